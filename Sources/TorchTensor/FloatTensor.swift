/// A contiguous, row-major Float32 tensor: what layers compute with.
///
/// Building one checks that `scalars` fills `shape` exactly (a typed
/// ``TensorError``, never a trap). The fields stay `var` so values can be
/// edited in place; operations re-check the pair before they index.
///
/// ```swift
/// let x = try FloatTensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let p = try x.softmax(axis: -1)               // (2, 3), rows sum to 1
/// let best = try p.argmax(axis: -1)             // IntegerTensor (2,)
/// ```
public struct FloatTensor: RowMajorTensor, Sendable, Equatable {
    /// The extent of each axis; `[]` for a 0-d tensor.
    public var shape: [Int]
    /// The elements in row-major order.
    public var scalars: [Float]

    /// A tensor of `shape` holding `scalars` in row-major order.
    /// - Throws: ``TensorError/scalarCountMismatch(shape:scalarCount:)`` when the counts
    ///   disagree; ``TensorError/negativeExtent(shape:)`` or
    ///   ``TensorError/elementCountOverflow(shape:)`` for an invalid shape.
    public init(shape: [Int], scalars: [Float]) throws {
        try TensorShape.requireScalarCount(scalars.count, fills: shape)
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros.
    /// - Throws: ``TensorError`` for a negative extent or an overflowing element count.
    public init(zeros shape: [Int]) throws {
        self.shape = shape
        self.scalars = [Float](repeating: 0, count: try TensorShape.elementCount(shape))
    }

    /// A 1-d tensor (N) of `scalars` (cannot fail).
    public init(_ scalars: [Float]) {
        self.shape = [scalars.count]
        self.scalars = scalars
    }

    /// A 0-d tensor holding one value (cannot fail).
    public init(scalar: Float) {
        self.shape = []
        self.scalars = [scalar]
    }

    /// For code in this package whose sizes hold by construction.
    package init(uncheckedShape shape: [Int], scalars: [Float]) {
        assert(TensorShape.checkedElementCount(shape) == scalars.count, "shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }
}

/// A contiguous, row-major Int64 tensor: token indices, lengths, argmax results.
///
/// Int64 is torch's index dtype (`torch.long`), so checkpoints and golden files
/// hold these values without conversion.
public struct IntegerTensor: RowMajorTensor, Sendable, Equatable {
    /// The extent of each axis; `[]` for a 0-d tensor.
    public var shape: [Int]
    /// The elements in row-major order.
    public var scalars: [Int64]

    /// A tensor of `shape` holding `scalars` in row-major order.
    /// - Throws: ``TensorError/scalarCountMismatch(shape:scalarCount:)`` when the counts
    ///   disagree; ``TensorError`` for an invalid shape.
    public init(shape: [Int], scalars: [Int64]) throws {
        try TensorShape.requireScalarCount(scalars.count, fills: shape)
        self.shape = shape
        self.scalars = scalars
    }

    /// A 1-d tensor (N) of `scalars` (cannot fail).
    public init(_ scalars: [Int64]) {
        self.shape = [scalars.count]
        self.scalars = scalars
    }

    /// A 0-d tensor holding one value (cannot fail).
    public init(scalar: Int64) {
        self.shape = []
        self.scalars = [scalar]
    }

    /// For code in this package whose sizes hold by construction.
    package init(uncheckedShape shape: [Int], scalars: [Int64]) {
        assert(TensorShape.checkedElementCount(shape) == scalars.count, "shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    /// The values as `Int`, for APIs that take lengths or indices as `[Int]`.
    public var intScalars: [Int] { scalars.map { Int(truncatingIfNeeded: $0) } }

    /// The values under their old name (`integerTensor(_:)` returned a `(shape, values)` tuple).
    @available(*, deprecated, renamed: "scalars")
    public var values: [Int64] { scalars }
}
