import Foundation

/// `write(2)` in bounded chunks. One call per tensor (64 MiB and more) spends
/// most of its time in the kernel's copy into the page cache on the Linux
/// machines measured; chunks of a few hundred KiB written straight from the
/// memory map run at the speed of `cp` (BENCHMARKS.md, "Loading and converting").
enum ChunkedOutput {
    /// Bytes per `write(2)` call.
    static let chunkBytes = 256 << 10

    /// Writes every byte, retrying partial writes and EINTR; errors name `path`.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = Foundation.write(fd, base + done, min(chunkBytes, buffer.count - done))
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError.io(file: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            guard n > 0 else { throw WriteError.io(file: path, reason: "write made no progress") }
            done += n
        }
    }
}
