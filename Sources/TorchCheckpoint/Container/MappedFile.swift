import Foundation

/// A read-only memory map of a whole file. Tensors stored uncompressed are
/// served straight from it, so opening a checkpoint copies no weight data.
final class MappedFile: @unchecked Sendable {
    let path: String
    let count: Int
    private let base: UnsafeRawPointer?

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.unreadable(file: path, reason: "not a regular file")
        }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw CheckpointError.unreadable(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        // libzip reads from the map: close it before unmapping.
        libzipLock.lock()
        libzip = nil
        libzipLock.unlock()
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// libzip's view of this map, opened on the first deflated entry and kept,
    /// so a checkpoint of many deflated records parses its central directory
    /// once rather than once per record. Guarded by `libzipLock`.
    private let libzipLock = NSLock()
    private var libzip: LibzipArchive?

    /// Runs `body` with the (cached) libzip archive of this file, serialised.
    func withLibzip<R>(_ body: (LibzipArchive) throws -> R) throws -> R {
        libzipLock.lock()
        defer { libzipLock.unlock() }
        if let libzip { return try body(libzip) }
        let opened = try LibzipArchive(file: self)
        libzip = opened
        return try body(opened)
    }

    /// The whole file. Valid while `self` is alive.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Bytes that stay valid as long as their owner does: a slice of a memory map
/// or a buffer decompressed from a deflated entry.
struct ByteRegion: @unchecked Sendable {
    private let owner: AnyObject
    private let bytes: UnsafeRawBufferPointer

    init(file: MappedFile, range: Range<Int>) {
        owner = file
        bytes = UnsafeRawBufferPointer(rebasing: file.bytes[range])
    }

    init(owned buffer: OwnedBuffer, count: Int) {
        owner = buffer
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer.pointer)[0..<count])
    }

    var count: Int { bytes.count }

    /// The bytes, guaranteed valid for the duration of `body`.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(bytes) }
    }
}

/// Heap memory holding a decompressed entry.
final class OwnedBuffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawBufferPointer
    init(count: Int) {
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
    }
    deinit { pointer.deallocate() }
}

/// Little-endian integer reads with bounds checks, for container headers.
extension UnsafeRawBufferPointer {
    func le16(_ at: Int) -> Int? {
        guard at >= 0, at <= count - 2 else { return nil }
        return Int(self[at]) | Int(self[at + 1]) << 8
    }
    func le32(_ at: Int) -> Int? {
        guard at >= 0, at <= count - 4 else { return nil }
        var v = 0
        for i in 0..<4 { v |= Int(self[at + i]) << (8 * i) }
        return v
    }
    func le64(_ at: Int) -> UInt64? {
        guard at >= 0, at <= count - 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(self[at + i]) << (8 * UInt64(i)) }
        return v
    }
}
