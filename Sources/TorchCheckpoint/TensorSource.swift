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
    public var count: Int { shape.reduce(1, *) }
}

/// A contiguous, row-major Float32 tensor: what layers compute with.
public struct FloatTensor: Sendable, Equatable {
    /// Sizes per axis, outermost first; empty for a scalar.
    public var shape: [Int]
    /// The values in row-major order: `shape`'s product of them.
    public var scalars: [Float]

    /// A tensor holding `scalars` row-major in `shape`; their counts must agree (a programming error traps).
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.scalars = [Float](repeating: 0, count: shape.reduce(1, *))
    }
}

/// Anything that serves named tensors: a `.pt` checkpoint, a safetensors file,
/// an in-memory dictionary. Layers in `TorchNN` load their weights through it.
public protocol TensorSource {
    /// Every tensor's flattened dotted name, in file order.
    var tensorNames: [String] { get }
    /// Name, dtype and shape of one tensor, or nil when there is none of that name.
    func descriptor(of name: String) -> TensorDescriptor?
    /// The tensor's values converted to contiguous Float32 (floating dtypes only).
    func floatTensor(_ name: String) throws -> FloatTensor
    /// The tensor's values as Int64 in row-major order (integer and bool dtypes only).
    func integerTensor(_ name: String) throws -> (shape: [Int], values: [Int64])
}

extension TensorSource {
    /// The names under a dotted prefix (`"rnn."`), with the prefix kept, in file order.
    public func tensorNames(withPrefix prefix: String) -> [String] {
        tensorNames.filter { $0.hasPrefix(prefix) }
    }
}

/// An in-memory `TensorSource`, handy for tests and for weights built in code.
public struct TensorDictionary: TensorSource, Sendable {
    public private(set) var tensorNames: [String] = []
    private var storage: [String: FloatTensor] = [:]

    /// An empty dictionary.
    public init() {}

    /// A dictionary of the given tensors, in the given order.
    public init(_ pairs: KeyValuePairs<String, FloatTensor>) {
        for (name, tensor) in pairs { self[name] = tensor }
    }

    /// The tensor under `name`; setting nil removes it, setting a new name appends it to ``tensorNames``.
    public subscript(name: String) -> FloatTensor? {
        get { storage[name] }
        set {
            if storage[name] == nil, newValue != nil { tensorNames.append(name) }
            if newValue == nil { tensorNames.removeAll { $0 == name } }
            storage[name] = newValue
        }
    }

    public func descriptor(of name: String) -> TensorDescriptor? {
        storage[name].map { TensorDescriptor(name: name, dtype: .float32, shape: $0.shape) }
    }

    public func floatTensor(_ name: String) throws -> FloatTensor {
        guard let tensor = storage[name] else { throw CheckpointError.noSuchTensor(file: "<memory>", name: name) }
        return tensor
    }

    public func integerTensor(_ name: String) throws -> (shape: [Int], values: [Int64]) {
        guard storage[name] != nil else { throw CheckpointError.noSuchTensor(file: "<memory>", name: name) }
        throw CheckpointError.wrongDType(file: "<memory>", name: name, found: .float32, expected: "an integer dtype")
    }
}
