/// An in-memory `TensorSource`, handy for tests and for weights built in code.
public struct TensorDictionary: TensorSource, Sendable, Equatable {
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

    /// Adds every tensor of `other` (after this one's, in `other`'s order); a name
    /// both hold takes `other`'s tensor.
    public mutating func merge(_ other: TensorDictionary) {
        for name in other.tensorNames { self[name] = other[name] }
    }

    public func descriptor(of name: String) -> TensorDescriptor? {
        storage[name].map { TensorDescriptor(name: name, dtype: .float32, shape: $0.shape) }
    }

    public func floatTensor(_ name: String) throws -> FloatTensor {
        guard let tensor = storage[name] else { throw TensorError.noSuchTensor(name: name) }
        return tensor
    }

    public func integerTensor(_ name: String) throws -> IntegerTensor {
        guard storage[name] != nil else { throw TensorError.noSuchTensor(name: name) }
        throw TensorError.wrongDType(name: name, found: .float32, expected: "an integer dtype")
    }
}
