internal import CChecksum
import Dispatch

/// CRC-32 (IEEE 802.3, as zip uses it): folded with carry-less multiplication
/// where the CPU has it, slice-by-8 otherwise, so checking a large
/// stored record costs little next to reading it.
enum CRC32 {
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            tables[0][i] = c
        }
        for i in 0..<256 {
            for t in 1..<8 {
                let prev = tables[t - 1][i]
                tables[t][i] = tables[0][Int(prev & 0xFF)] ^ (prev >> 8)
            }
        }
        return tables
    }()

    /// Whether the CPU folds with carry-less multiplication (CChecksum).
    static let foldAvailable = ptc_crc32_fold_available() == 1

    /// Records at least this large are checked as two halves on two threads.
    static let parallelThreshold = 16 << 20

    /// The CRC of `bytes`; a large record's two halves are checked on two
    /// threads (touching its pages is most of the cost) and combined.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard bytes.count >= parallelThreshold else { return serialChecksum(bytes) }
        let half = bytes.count / 2
        let work = Halves(bytes: bytes, half: half, parts: .allocate(capacity: 2))
        defer { work.parts.deallocate() }
        // Each thread writes only its own element; both are read after concurrentPerform returns.
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            work.parts[index] = serialChecksum(UnsafeRawBufferPointer(rebasing: index == 0 ? work.bytes[..<work.half] : work.bytes[work.half...]))
        }
        return combine(work.parts[0], work.parts[1], secondLength: bytes.count - half)
    }

    /// The CRC of A followed by B from the CRCs of A and B (zlib's
    /// `crc32_combine`): CRC(A) multiplied by x^(8·|B|) modulo the polynomial, plus CRC(B).
    static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        var power: UInt32 = 1 << 31  // x^0 in the reflected representation
        var square: UInt32 = 1 << 30 // x^1, squared as the bits of 8·length are consumed
        var n = UInt64(secondLength) << 3
        while n != 0 {
            if n & 1 != 0 { power = multiplyModP(square, power) }
            square = multiplyModP(square, square)
            n >>= 1
        }
        return multiplyModP(power, first) ^ second
    }

    /// a·b modulo the CRC polynomial, bit-reflected; `a` must not be 0.
    private static func multiplyModP(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var m: UInt32 = 1 << 31, product: UInt32 = 0, b = b
        while m != 0 {
            if a & m != 0 {
                product ^= b
                if a & (m - 1) == 0 { break }
            }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ 0xEDB8_8320 : b >> 1
        }
        return product
    }

    /// One thread: the bulk folded with PCLMULQDQ where the CPU has it
    /// (over ten times faster than the table), the rest by table.
    static func serialChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard foldAvailable, bytes.count >= 64, let base = bytes.baseAddress else { return tableChecksum(bytes) }
        let bulk = bytes.count & ~15
        let folded = ptc_crc32_fold(base.assumingMemoryBound(to: UInt8.self), bulk, 0xFFFF_FFFF)
        return tableChecksum(UnsafeRawBufferPointer(rebasing: bytes[bulk...]), register: folded)
    }

    /// Slice-by-8 from the CRC register `register` (not inverted).
    static func tableChecksum(_ bytes: UnsafeRawBufferPointer, register: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        var crc = register
        let t0 = tables[0], t1 = tables[1], t2 = tables[2], t3 = tables[3]
        let t4 = tables[4], t5 = tables[5], t6 = tables[6], t7 = tables[7]
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let lo = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
            let x = crc ^ lo
            crc = t7[Int(x & 0xFF)] ^ t6[Int((x >> 8) & 0xFF)] ^ t5[Int((x >> 16) & 0xFF)] ^ t4[Int(x >> 24)]
                ^ t3[Int(hi & 0xFF)] ^ t2[Int((hi >> 8) & 0xFF)] ^ t1[Int((hi >> 16) & 0xFF)] ^ t0[Int(hi >> 24)]
            i += 8
        }
        while i < n {
            crc = t0[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
            i += 1
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// The two halves of a record and where their CRCs go, shared by the two
/// threads of `CRC32.checksum` for the duration of one call.
private struct Halves: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    let half: Int
    let parts: UnsafeMutableBufferPointer<UInt32>
}
