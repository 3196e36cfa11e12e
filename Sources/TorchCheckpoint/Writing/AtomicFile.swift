import Foundation

/// Writing a file so that it appears complete or not at all: the contents go
/// to a temporary file in the destination's folder (same file system, so the
/// final `rename(2)` is atomic), which replaces the destination only once
/// complete. On failure the temporary file is removed and the destination is
/// left as it was.
enum AtomicFile {
    /// A fresh, hidden name beside `destination`.
    static func temporaryPath(for destination: String) -> String {
        let url = URL(fileURLWithPath: destination)
        let tag = String(UInt32.random(in: .min ... .max), radix: 16)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())-\(tag)").path
    }

    /// Runs `body` with a temporary path, then renames it onto `destination`.
    /// Errors `body` throws pass through unchanged (they should name
    /// `destination`, not the temporary file).
    static func write(to destination: String, _ body: (_ temporary: String) throws -> Void) throws {
        let temporary = temporaryPath(for: destination)
        do {
            try body(temporary)
            try commit(temporary, to: destination)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Several files that are all written, or none: every `body` writes its
    /// temporary file first; the renames happen only when all succeeded.
    static func write(to destinations: [String], _ body: (_ index: Int, _ temporary: String) throws -> Void) throws {
        let temporaries = destinations.map(temporaryPath(for:))
        do {
            for (index, temporary) in temporaries.enumerated() { try body(index, temporary) }
            for (temporary, destination) in zip(temporaries, destinations) { try commit(temporary, to: destination) }
        } catch {
            for temporary in temporaries { unlink(temporary) }
            throw error
        }
    }

    private static func commit(_ temporary: String, to destination: String) throws {
        guard rename(temporary, destination) == 0 else {
            throw WriteError.io(file: destination, reason: "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
    }
}
