import Foundation

extension MappedFile {
    /// Tells the kernel the pages of `range` are not needed any more, so a
    /// conversion that streams a file larger than memory keeps its resident
    /// set small. The mapping stays valid: a later read faults the pages back
    /// in from the file.
    func releasePages(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty, range.lowerBound >= 0, range.upperBound <= count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        // Only whole pages inside the range: a neighbouring record may still be in use.
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }
}
