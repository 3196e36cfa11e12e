/// Shape and element type of a named tensor, known without reading its data.
public struct TensorDescriptor: Sendable, Equatable {
    /// Flattened dotted name (`rnn.weight_ih_l0`).
    public var name: String
    /// The stored element type (layers convert floating ones to Float32).
    public var dtype: DType
    /// Sizes per axis; empty for a 0-d tensor.
    public var shape: [Int]

    /// A descriptor with the given name, dtype and shape.
    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements (1 for a scalar).
    /// - Throws: ``TensorError`` for a negative extent or a count that overflows `Int`.
    public var count: Int {
        get throws { try TensorShape.elementCount(shape) }
    }
}

/// Anything that serves named tensors: a `.pt` checkpoint, a safetensors file,
/// an in-memory dictionary. Layers in `TorchNN` load their weights through it;
/// `TorchCheckpoint`'s stores conform to it.
public protocol TensorSource {
    /// Every tensor's flattened dotted name, in file order.
    var tensorNames: [String] { get }
    /// Name, dtype and shape of one tensor, or nil when there is none of that name.
    func descriptor(of name: String) -> TensorDescriptor?
    /// The tensor's values converted to contiguous Float32 (floating dtypes only).
    func floatTensor(_ name: String) throws -> FloatTensor
    /// The tensor's values as Int64 in row-major order (integer and bool dtypes only).
    func integerTensor(_ name: String) throws -> IntegerTensor
}

extension TensorSource {
    /// The names under a dotted prefix (`"rnn."`), with the prefix kept, in file order.
    public func tensorNames(withPrefix prefix: String) -> [String] {
        tensorNames.filter { $0.hasPrefix(prefix) }
    }
}
