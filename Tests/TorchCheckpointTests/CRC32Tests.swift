import Foundation
import Testing
@testable import TorchCheckpoint

/// The folded CRC (PCLMULQDQ) equals the table CRC, the reference.
@Suite("CRC-32")
struct CRC32Tests {
    @Test("known values")
    func known() {
        let text = Array("123456789".utf8)
        #expect(text.withUnsafeBytes(CRC32.checksum) == 0xCBF4_3926)
        let zeros = [UInt8](repeating: 0, count: 4096)
        #expect(zeros.withUnsafeBytes(CRC32.checksum) == 0xC71C_0011)
    }

    @Test("folding equals the table for every length and alignment up to 600 bytes, and for 1 MB")
    func foldMatchesTable() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(1 << 20) + 37).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { raw in
            var mismatches: [String] = []
            for start in 0..<16 {
                for length in 0...600 {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    if CRC32.checksum(slice) != CRC32.tableChecksum(slice) { mismatches.append("start \(start) length \(length)") }
                }
            }
            #expect(mismatches.isEmpty)
            #expect(CRC32.serialChecksum(raw) == CRC32.tableChecksum(raw))
            // Two halves combined equal the whole, wherever the split.
            let whole = CRC32.tableChecksum(raw)
            var wrongSplits: [Int] = []
            for split in [0, 1, 63, 64, 1000, raw.count / 2, raw.count - 1, raw.count] {
                let first = CRC32.serialChecksum(UnsafeRawBufferPointer(rebasing: raw[..<split]))
                let second = CRC32.serialChecksum(UnsafeRawBufferPointer(rebasing: raw[split...]))
                if CRC32.combine(first, second, secondLength: raw.count - split) != whole { wrongSplits.append(split) }
            }
            #expect(wrongSplits.isEmpty)
        }
        // A record above the threshold goes through the two-thread path.
        let large = (0..<(CRC32.parallelThreshold + 4097)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        large.withUnsafeBytes { #expect(CRC32.checksum($0) == CRC32.tableChecksum($0)) }
        // On x86-64 machines with PCLMULQDQ the fast path is the one tested above.
        #if arch(x86_64)
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if cpuinfo.contains(" pclmulqdq") && cpuinfo.contains(" sse4_1") { #expect(CRC32.foldAvailable) }
        #endif
    }
}
