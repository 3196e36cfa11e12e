import Foundation
import TorchCheckpoint

/// Sizes like `2GB`, `500MB`, `64KiB` or plain bytes.
enum ByteSize {
    static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10),
                                      ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count)), value > 0 else { return nil }
            return Int(value * Double(factor))
        }
        guard let value = Int(trimmed), value > 0 else { return nil }
        return value
    }
}

/// Hugging Face-style sharding: `model-00001-of-00003.safetensors` files plus
/// `model.safetensors.index.json` (`{"metadata": {"total_size": N}, "weight_map": {...}}`).
enum Sharding {
    /// Consecutive groups of at most `maxBytes` (a larger tensor gets a shard of its own).
    static func split(_ entries: [ConversionPlan.Entry], maxBytes: Int?) -> [[ConversionPlan.Entry]] {
        guard let maxBytes else { return [entries] }
        var shards: [[ConversionPlan.Entry]] = [[]]
        var size = 0
        for entry in entries {
            if !shards[shards.count - 1].isEmpty, size + entry.byteCount > maxBytes {
                shards.append([])
                size = 0
            }
            shards[shards.count - 1].append(entry)
            size += entry.byteCount
        }
        return shards
    }

    static func fileNames(for output: String, shardCount: Int) -> [String] {
        guard shardCount > 1 else { return [output] }
        let url = URL(fileURLWithPath: output)
        let stem = url.deletingPathExtension().lastPathComponent
        let ext = url.pathExtension
        let folder = url.deletingLastPathComponent()
        return (1...shardCount).map {
            folder.appendingPathComponent(String(format: "%@-%05d-of-%05d.%@", stem, $0, shardCount, ext)).path
        }
    }

    static func indexPath(for output: String) -> String { output + ".index.json" }

    static func writeIndex(for output: String, shards: [[ConversionPlan.Entry]], destinations: [String], totalBytes: Int) throws {
        var weightMap: [(String, String)] = []
        for (shard, destination) in zip(shards, destinations) {
            let file = URL(fileURLWithPath: destination).lastPathComponent
            for entry in shard { weightMap.append((entry.outputName, file)) }
        }
        let text = JSONText.object([
            ("metadata", JSONText.object([("total_size", String(totalBytes))])),
            ("weight_map", JSONText.object(weightMap.map { ($0.0, JSONText.string($0.1)) })),
        ]) + "\n"
        try AtomicFile.write(to: indexPath(for: output)) { temporary in
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        }
    }
}

/// Writes through a temporary file in the destination's folder, renamed into
/// place only when complete, so an interrupted run never leaves a truncated file.
enum AtomicFile {
    static func write(to destination: String, _ body: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: destination)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)").path
        do {
            try body(temporary)
            guard rename(temporary, destination) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination,
                    NSLocalizedDescriptionKey: "\(destination): cannot move the finished file into place: \(String(cString: strerror(errno)))"])
            }
        } catch {
            unlink(temporary)
            // Messages should name the file the user asked for, not the temporary one.
            let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            throw AtomicWriteError(message: message.replacingOccurrences(of: temporary, with: destination))
        }
    }
}

struct AtomicWriteError: Error, LocalizedError {
    let message: String
    var errorDescription: String? { message }
}

/// A progress bar on stderr when it is a terminal and the work takes over a second.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(total: Int, enabled: Bool) {
        self.total = max(total, 1)
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed > 1, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let fraction = min(1, Double(done) / Double(total))
        let rate = Double(done) / elapsed
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r[%@] %5.1f%%  %@ / %@  %@/s  %.0fs left ", bar, fraction * 100,
                          Self.human(done), Self.human(total), Self.human(Int(rate)), remaining)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func human(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return String(format: unit == 0 ? "%.0f %@" : "%.1f %@", value, units[unit])
    }
}
