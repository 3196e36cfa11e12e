internal import CChecksum

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

    /// The CRC of `bytes`: the bulk folded with PCLMULQDQ where the CPU has it
    /// (over ten times faster than the table), the rest by table.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
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
