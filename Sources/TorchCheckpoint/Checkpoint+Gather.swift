import Foundation

/// Materialising a tensor of a `.pt` checkpoint: gathering its strided
/// elements into a contiguous row-major buffer and swapping bytes from a
/// big-endian file.
extension Checkpoint {
    public func hostOrderBytes(of tensor: StoredTensor) throws -> [UInt8] { try gather(tensor) }

    // MARK: Gathering

    /// Copies the tensor's elements into a contiguous buffer in host byte order.
    ///
    /// Every size and offset is re-derived here with checked arithmetic from
    /// the tensor's metadata and checked against the bytes actually present,
    /// so nothing below can trap, read outside the storage or allocate more
    /// than `ReadLimits.maxTensorBytes`, whatever the metadata says.
    func gather(_ tensor: StoredTensor) throws -> [UInt8] {
        let item = tensor.dtype.itemSize
        func invalid(_ reason: String) -> CheckpointError { .invalidTensor(file: path, name: tensor.name, reason: reason) }
        func outside(_ reason: String) -> CheckpointError { .outOfBounds(file: path, name: tensor.name, reason: reason) }

        guard tensor.shape.count == tensor.strides.count else {
            throw invalid("size \(tensor.shape) and stride \(tensor.strides) differ in rank")
        }
        guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.strides.allSatisfy({ $0 >= 0 }),
              tensor.storageOffset >= 0, tensor.rootOffset >= 0 else {
            throw invalid("negative size, stride or offset (size \(tensor.shape), stride \(tensor.strides), offset \(tensor.storageOffset))")
        }
        var count = 1
        for n in tensor.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw invalid("element count of shape \(tensor.shape) overflows") }
            count = product
        }
        let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: item)
        guard !byteOverflow, byteCount <= limits.maxTensorBytes else {
            throw CheckpointError.limitExceeded(file: path,
                what: "tensor '\(tensor.name)' of \(count) \(tensor.dtype.rawValue) elements (\(byteOverflow ? "more than Int.max" : String(byteCount)) bytes)",
                limit: limits.maxTensorBytes)
        }

        let region = try storageBytes(tensor.storageKey, for: tensor.name)
        guard count > 0 else { return [] }

        // The furthest element reached, in elements of the root storage; checked
        // against the bytes actually present (the pickle was checked against the
        // storage's declared size; this guards everything else).
        let available = region.count / item
        let (base, baseOverflow) = tensor.rootOffset.addingReportingOverflow(tensor.storageOffset)
        guard !baseOverflow else { throw outside("offset \(tensor.rootOffset) + \(tensor.storageOffset) overflows") }
        var furthest = base
        for (n, s) in zip(tensor.shape, tensor.strides) {
            let (reach, o1) = (n - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = furthest.addingReportingOverflow(reach)
            guard !o1, !o2 else { throw outside("size \(tensor.shape) with stride \(tensor.strides) overflows") }
            furthest = sum
        }
        guard furthest < available else {
            throw outside("element \(furthest) of a storage of \(available) \(tensor.dtype.rawValue) elements")
        }
        // furthest < available ≤ region.count / item, so every byte offset below
        // (at most furthest * item + item) fits in Int and lies in the region.

        // Elements beyond the stretch of storage the view spans are expansion
        // (stride 0 repeats one element any number of times): charged before allocating.
        let spanBytes = (furthest - base + 1) * item
        try chargeExpansion(byteCount - min(byteCount, spanBytes), as: "view " + tensor.name, tensor: tensor.name)

        var out = [UInt8](repeating: 0, count: byteCount)
        let baseByte = base * item
        region.withUnsafeBytes { source in out.withUnsafeMutableBytes { destination in
            guard let from = source.baseAddress, let to = destination.baseAddress else { return }
            if tensor.isContiguous {
                to.copyMemory(from: from + baseByte, byteCount: byteCount)
                return
            }
            // Odometer over every index but the last; the last axis is one run.
            let rank = tensor.shape.count
            let inner = tensor.shape[rank - 1], innerStride = tensor.strides[rank - 1]
            var index = [Int](repeating: 0, count: rank - 1)
            var written = 0
            while written < byteCount {
                var offset = 0
                for axis in 0..<(rank - 1) { offset += index[axis] * tensor.strides[axis] }
                let start = baseByte + offset * item
                if innerStride == 1 {
                    (to + written).copyMemory(from: from + start, byteCount: inner * item)
                } else {
                    for j in 0..<inner {
                        (to + written + j * item).copyMemory(from: from + start + j * innerStride * item, byteCount: item)
                    }
                }
                written += inner * item
                var axis = rank - 2
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < tensor.shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
        } }
        if isBigEndian != ElementConversion.hostIsBigEndian { ElementConversion.swapBytes(&out, unit: tensor.dtype.swapUnit) }
        return out
    }
}
