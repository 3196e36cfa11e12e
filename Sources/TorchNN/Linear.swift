import Foundation
public import TorchTensor

/// `torch.nn.Linear`: y = x Wᵀ + b over the last axis, any leading axes.
///
/// Letters: I input features, O output features, `...` any leading axes.
public struct Linear: Module {
    /// W: (O, I).
    public private(set) var weight: FloatTensor
    /// b: (O), or nil without a bias.
    public private(set) var bias: FloatTensor?

    /// I.
    public var inputFeatures: Int { weight.shape[1] }
    /// O.
    public var outputFeatures: Int { weight.shape[0] }

    /// A new layer with torch's default initialisation: W and b uniform in ±1/√I
    /// (`kaiming_uniform_(a=√5)` works out to that bound).
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, seed: UInt64? = nil) throws {
        guard inputFeatures > 0, outputFeatures > 0 else {
            throw LayerInputError.invalidConfiguration(
                "Linear needs positive sizes, got inputFeatures \(inputFeatures), outputFeatures \(outputFeatures)")
        }
        guard TensorShape.checkedElementCount([outputFeatures, inputFeatures]) != nil else {
            throw LayerInputError.invalidConfiguration("a (\(outputFeatures), \(inputFeatures)) weight holds more elements than Int can count")
        }
        var generator = SeededGenerator.make(seed)
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = FloatTensor(uncheckedShape: [outputFeatures, inputFeatures],
                             scalars: generator.uniform(count: outputFeatures * inputFeatures, bound: bound))
        self.bias = bias ? FloatTensor(uncheckedShape: [outputFeatures], scalars: generator.uniform(count: outputFeatures, bound: bound)) : nil
    }

    /// A layer with the given weight (O, I) and optional bias (O).
    public init(weight: FloatTensor, bias: FloatTensor? = nil) throws {
        _ = try weight.validated("weight")
        guard weight.shape.count == 2, weight.shape[0] > 0, weight.shape[1] > 0 else {
            throw LayerInputError.wrongRank(argument: "weight", expected: "a non-empty (O, I) matrix", found: weight.shape)
        }
        if let bias {
            _ = try bias.validated("bias")
            guard bias.shape == [weight.shape[0]] else {
                throw LayerInputError.shapeMismatch(argument: "bias", expected: [weight.shape[0]], found: bias.shape)
            }
        }
        self.weight = weight
        self.bias = bias
    }

    /// Loads `weight` (O, I) and, when present, `bias` (O) from under `prefix`, strictly.
    public init(loading source: some TensorSource, prefix: String = "") throws {
        self = try Self.loadLayer(from: source, prefix: prefix) { try Self(loading: &$0, prefix: $1) }
    }

    /// Loads the weights as part of a model (see ``Module``); problems are recorded in `loader`.
    public init(loading loader: inout ModuleLoader, prefix: String) throws {
        let prefix = normalizedPrefix(prefix)
        guard let shape = inferredMatrixShape(&loader, prefix + "weight", expected: "(out, in)", alsoUnder: prefix) else {
            self.weight = FloatTensor(uncheckedShape: [1, 1], scalars: [0])  // placeholder: the load throws
            self.bias = nil
            return
        }
        weight = try loader.tensor(prefix + "weight", shape: shape)
        bias = try loader.optionalTensor(prefix + "bias", shape: [shape[0]])
    }

    /// - Parameter x: (..., I), at least one axis.
    /// - Returns: (..., O).
    public func callAsFunction(_ x: FloatTensor) throws -> FloatTensor {
        _ = try x.validated("input")
        guard let last = x.shape.last else {
            throw LayerInputError.wrongRank(argument: "input", expected: "(..., \(inputFeatures))", found: x.shape)
        }
        guard last == inputFeatures else {
            var expected = x.shape
            expected[expected.count - 1] = inputFeatures
            throw LayerInputError.shapeMismatch(argument: "input", expected: expected, found: x.shape)
        }
        let rows = x.scalars.count / inputFeatures
        var shape = x.shape
        shape[shape.count - 1] = outputFeatures
        guard rows > 0 else { return try FloatTensor(zeros: shape) }
        let out = outputFeatures, features = inputFeatures
        var result = [Float](repeating: 0, count: rows * out)
        result.withUnsafeMutableBufferPointer { y in
            // Bias first, then accumulate x Wᵀ onto it (beta = 1) in one GEMM.
            if let bias {
                bias.scalars.withUnsafeBufferPointer { b in
                    for row in 0..<rows { (y.baseAddress! + row * out).update(from: b.baseAddress!, count: out) }
                }
            }
            x.scalars.withUnsafeBufferPointer { input in
                weight.scalars.withUnsafeBufferPointer { w in
                    BLAS.multiplyRows(m: rows, n: out, k: features, x: input.baseAddress!, weight: w.baseAddress!,
                                      beta: bias == nil ? 0 : 1, into: y.baseAddress!)
                }
            }
        }
        return FloatTensor(uncheckedShape: shape, scalars: result)
    }

    /// `weight` and `bias` under `prefix`.
    public func stateDictionary(prefix: String = "") -> TensorDictionary {
        var dictionary = TensorDictionary()
        dictionary[prefix + "weight"] = weight
        if let bias { dictionary[prefix + "bias"] = bias }
        return dictionary
    }
}
