/// What ``FloatTensor`` and ``IntegerTensor`` share: a shape and row-major
/// scalars. The layout operations (select, slice, reshape, transpose,
/// concatenate, last valid step) are written once, here, for both.
public protocol RowMajorTensor: Sendable, Equatable {
    /// The element type.
    associatedtype Scalar: Sendable & Equatable
    /// The extent of each axis.
    var shape: [Int] { get }
    /// The elements in row-major order.
    var scalars: [Scalar] { get }
    /// A tensor of `shape` holding `scalars`; throws when the counts disagree.
    init(shape: [Int], scalars: [Scalar]) throws
}

extension RowMajorTensor {
    /// The number of axes.
    public var rank: Int { shape.count }

    /// Throws unless `scalars` fills `shape` (the fields are `var`s, so a tensor
    /// can be made inconsistent after its checked init).
    /// - Throws: ``TensorError/scalarCountMismatch(shape:scalarCount:)``.
    public func validated() throws -> Self {
        try TensorShape.requireScalarCount(scalars.count, fills: shape)
        return self
    }

    /// torch's `x.select(axis, index)`: entry `index` of `axis`, with that axis removed.
    /// - Parameters:
    ///   - axis: in `-rank..<rank`.
    ///   - index: in `-extent..<extent` (negative counts from the end, as in torch).
    /// - Returns: the shape without `axis`.
    public func select(axis: Int, index: Int) throws -> Self {
        let tensor = try validated()
        let axis = try TensorShape.normalizedAxis(axis, rank: rank)
        let (outer, extent, inner) = TensorShape.split(shape, at: axis)
        let resolved = index < 0 ? index + extent : index
        guard resolved >= 0, resolved < extent else {
            throw TensorError.indexOutOfRange(axis: axis, index: index, extent: extent)
        }
        var values: [Scalar] = []
        values.reserveCapacity(outer * inner)
        for o in 0..<outer {
            let start = (o * extent + resolved) * inner
            values.append(contentsOf: tensor.scalars[start..<start + inner])
        }
        var newShape = shape
        newShape.remove(at: axis)
        return try Self(shape: newShape, scalars: values)
    }

    /// torch's `x.narrow(axis, start, end - start)` (`x[..., start:end, ...]`): entries
    /// `range` of `axis`, the axis kept with extent `range.count`.
    /// - Throws: ``TensorError/rangeOutOfBounds(axis:start:end:extent:)`` for a range outside `0...extent`.
    public func slice(axis: Int, range: Range<Int>) throws -> Self {
        let tensor = try validated()
        let axis = try TensorShape.normalizedAxis(axis, rank: rank)
        let (outer, extent, inner) = TensorShape.split(shape, at: axis)
        guard range.lowerBound >= 0, range.upperBound <= extent else {
            throw TensorError.rangeOutOfBounds(axis: axis, start: range.lowerBound, end: range.upperBound, extent: extent)
        }
        var values: [Scalar] = []
        values.reserveCapacity(outer * range.count * inner)
        for o in 0..<outer {
            let base = o * extent * inner
            values.append(contentsOf: tensor.scalars[(base + range.lowerBound * inner)..<(base + range.upperBound * inner)])
        }
        var newShape = shape
        newShape[axis] = range.count
        return try Self(shape: newShape, scalars: values)
    }

    /// torch's `x.reshape(shape)`: the same scalars under another shape; one extent may be `-1`
    /// (inferred from the others).
    /// - Throws: ``TensorError/invalidReshape(from:to:)`` when the sizes differ, more than one
    ///   extent is `-1`, or another extent is negative.
    public func reshaped(_ newShape: [Int]) throws -> Self {
        let tensor = try validated()
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidReshape(from: shape, to: newShape)
        }
        var resolved = newShape
        if let position = inferred.first {
            var known = newShape
            known[position] = 1
            guard let rest = TensorShape.checkedElementCount(known), rest > 0, tensor.scalars.count % rest == 0 else {
                throw TensorError.invalidReshape(from: shape, to: newShape)
            }
            resolved[position] = tensor.scalars.count / rest
        }
        guard TensorShape.checkedElementCount(resolved) == tensor.scalars.count else {
            throw TensorError.invalidReshape(from: shape, to: newShape)
        }
        return try Self(shape: resolved, scalars: tensor.scalars)
    }

    /// torch's `x.unsqueeze(axis)`: an axis of extent 1 inserted at `axis` (in `-(rank+1)...rank`).
    public func unsqueezed(axis: Int) throws -> Self {
        let tensor = try validated()
        let position = try TensorShape.normalizedAxis(axis, rank: rank + 1)
        var newShape = shape
        newShape.insert(1, at: position)
        return try Self(shape: newShape, scalars: tensor.scalars)
    }

    /// torch's `x.transpose(axis0, axis1)`, made contiguous: the two axes swapped.
    public func transposed(_ axis0: Int, _ axis1: Int) throws -> Self {
        let tensor = try validated()
        let a = try TensorShape.normalizedAxis(axis0, rank: rank)
        let b = try TensorShape.normalizedAxis(axis1, rank: rank)
        guard a != b, !tensor.scalars.isEmpty else { return tensor }
        var newShape = shape
        newShape.swapAt(a, b)
        // Row-major strides of the source, read in the order of the new axes.
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        strides.swapAt(a, b)
        var values: [Scalar] = []
        values.reserveCapacity(tensor.scalars.count)
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for _ in 0..<tensor.scalars.count {
            values.append(tensor.scalars[offset])
            // Odometer over the new shape, keeping the source offset in step.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < newShape[axis] { break }
                offset -= strides[axis] * newShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return try Self(shape: newShape, scalars: values)
    }

    /// torch's `torch.cat(tensors, axis)`: tensors of equal shape except along `axis`, joined along it.
    /// - Throws: ``TensorError/empty(operation:shape:)`` for no tensors,
    ///   ``TensorError/shapeMismatch(operation:expected:found:)`` for shapes that differ elsewhere.
    public static func concatenate(_ tensors: [Self], axis: Int = 0) throws -> Self {
        guard let first = tensors.first else { throw TensorError.empty(operation: "concatenate", shape: []) }
        let axis = try TensorShape.normalizedAxis(axis, rank: first.rank)
        var total = 0
        for tensor in tensors {
            _ = try tensor.validated()
            var expected = first.shape
            if tensor.rank == first.rank { expected[axis] = tensor.shape[axis] }
            guard tensor.shape == expected else {
                throw TensorError.shapeMismatch(operation: "concatenate", expected: expected, found: tensor.shape)
            }
            let (sum, overflow) = total.addingReportingOverflow(tensor.shape[axis])
            guard !overflow else { throw TensorError.elementCountOverflow(shape: expected) }
            total = sum
        }
        var newShape = first.shape
        newShape[axis] = total
        _ = try TensorShape.elementCount(newShape)
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var values: [Scalar] = []
        values.reserveCapacity(outer * total * inner)
        for o in 0..<outer {
            for tensor in tensors {
                let block = tensor.shape[axis] * inner
                values.append(contentsOf: tensor.scalars[(o * block)..<((o + 1) * block)])
            }
        }
        return try Self(shape: newShape, scalars: values)
    }

    /// The output at each sequence's last valid step: what a classifier head reads from a
    /// padded recurrent output (torch: `output[lengths - 1, arange(B)]`, or
    /// `output[arange(B), lengths - 1]` batch-first).
    /// - Parameters:
    ///   - lengths: B valid lengths in `1...T`; nil means every sequence is T long.
    ///   - batchFirst: whether `self` is (B, T, F) rather than (T, B, F).
    /// - Returns: (B, F).
    /// - Throws: ``TensorError/wrongRank(operation:expected:found:)`` unless `self` has 3 axes,
    ///   ``TensorError/lengthsCount(expected:found:)``, ``TensorError/lengthOutOfRange(batchIndex:length:steps:)``.
    public func lastValidStep(lengths: [Int]? = nil, batchFirst: Bool = false) throws -> Self {
        let tensor = try validated()
        guard rank == 3 else {
            throw TensorError.wrongRank(operation: "lastValidStep", expected: batchFirst ? "(B, T, F)" : "(T, B, F)", found: shape)
        }
        let (steps, batch, features) = batchFirst ? (shape[1], shape[0], shape[2]) : (shape[0], shape[1], shape[2])
        let lengths = lengths ?? [Int](repeating: steps, count: batch)
        guard lengths.count == batch else { throw TensorError.lengthsCount(expected: batch, found: lengths.count) }
        var values: [Scalar] = []
        values.reserveCapacity(batch * features)
        for (b, length) in lengths.enumerated() {
            guard length >= 1, length <= steps else {
                throw TensorError.lengthOutOfRange(batchIndex: b, length: length, steps: steps)
            }
            let row = batchFirst ? b * steps + (length - 1) : (length - 1) * batch + b
            values.append(contentsOf: tensor.scalars[(row * features)..<((row + 1) * features)])
        }
        return try Self(shape: [batch, features], scalars: values)
    }
}
