
/// What the weights under a prefix describe, inferred from names and shapes alone.
struct RecurrentSpec: Sendable, Equatable {
    /// G: 1 (RNN), 3 (GRU) or 4 (LSTM).
    var gateCount: Int
    /// Bare cell names (`weight_ih`) rather than layer names (`weight_ih_l0`).
    var isCell: Bool
    var inputSize: Int
    var hiddenSize: Int
    var projSize: Int
    var numLayers: Int
    var bidirectional: Bool
    var bias: Bool

    /// torch's class name: "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell".
    var kindName: String {
        let base = gateCount == 4 ? "LSTM" : gateCount == 3 ? "GRU" : "RNN"
        return isCell ? base + "Cell" : base
    }

    /// Reads the module's configuration from the tensors under `prefix`:
    /// L from the highest `_l{k}`, D from `_reverse`, bias from the bias keys,
    /// P and H from `weight_hr_l0`, H_out from `weight_hh_l0`'s columns, G from
    /// `weight_ih_l0`'s rows / H, I from its columns. Shapes of the other
    /// tensors are checked when they are loaded.
    static func infer(from source: any TensorSource, prefix: String) throws -> RecurrentSpec {
        let names = source.tensorNames(withPrefix: prefix)
        guard !names.isEmpty else {
            throw WeightLoadingError.cannotInfer("there are no tensors under the prefix '\(prefix)'")
        }
        let keys = names.map { String($0.dropFirst(prefix.count)) }
        let layerKeys = keys.compactMap(LayerKey.init)
        let cellKeys = keys.filter { cellParameterNames.contains($0) }

        if layerKeys.isEmpty {
            guard !cellKeys.isEmpty else {
                let listed = names.prefix(4).map { "'\($0)'" }.joined(separator: ", ")
                throw WeightLoadingError.cannotInfer(
                    "no recurrent weights (weight_ih_l0, ... or weight_ih, ...) under the prefix '\(prefix)'; found \(listed)\(names.count > 4 ? ", ..." : "")")
            }
            let ih = try matrix(source, prefix + "weight_ih")
            let hh = try matrix(source, prefix + "weight_hh")
            let hidden = hh.shape[1]
            let gates = try gateCount(rows: ih.shape[0], hiddenSize: hidden, key: prefix + "weight_ih")
            return RecurrentSpec(
                gateCount: gates, isCell: true, inputSize: ih.shape[1], hiddenSize: hidden, projSize: 0,
                numLayers: 1, bidirectional: false,
                bias: cellKeys.contains("bias_ih") || cellKeys.contains("bias_hh"))
        }

        let ih = try matrix(source, prefix + "weight_ih_l0")
        let hh = try matrix(source, prefix + "weight_hh_l0")
        let outputSize = hh.shape[1]
        var hidden = outputSize
        var proj = 0
        let hasProjection = layerKeys.contains { $0.parameter == "weight_hr" }
        if hasProjection {
            let hr = try matrix(source, prefix + "weight_hr_l0")
            hidden = hr.shape[1]
            proj = hr.shape[0]
            guard proj == outputSize else {
                throw WeightLoadingError.shapeMismatch(key: prefix + "weight_hh_l0", expected: [hh.shape[0], proj], found: hh.shape)
            }
        }
        let gates = try gateCount(rows: ih.shape[0], hiddenSize: hidden, key: prefix + "weight_ih_l0")
        if hasProjection, gates != 4 {
            // Only an LSTM has projections: name the first weight_hr as the stray key.
            let stray = layerKeys.first { $0.parameter == "weight_hr" }!
            throw WeightLoadingError.unexpectedKey(prefix + stray.key)
        }
        // Every layer up to the highest index must have its input weight, checked before
        // any layer is built: one stray key such as `bias_ih_l999999` must not make the
        // loader build (and report) a million empty layers.
        let numLayers = layerKeys.map(\.layer).max()! + 1
        let present = Set(layerKeys.filter { $0.parameter == "weight_ih" && !$0.reverse }.map(\.layer))
        if let missing = (0..<numLayers).first(where: { !present.contains($0) }) {
            throw WeightLoadingError.missingKey(prefix + "weight_ih_l\(missing)")
        }
        return RecurrentSpec(
            gateCount: gates, isCell: false, inputSize: ih.shape[1], hiddenSize: hidden, projSize: proj,
            numLayers: numLayers,
            bidirectional: layerKeys.contains { $0.reverse },
            bias: layerKeys.contains { $0.parameter == "bias_ih" || $0.parameter == "bias_hh" })
    }

    private static let cellParameterNames: Set<String> = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]

    /// A present, floating, rank-2 tensor's descriptor.
    private static func matrix(_ source: any TensorSource, _ name: String) throws -> TensorDescriptor {
        guard let descriptor = source.descriptor(of: name) else { throw WeightLoadingError.missingKey(name) }
        guard descriptor.dtype.isFloatingPoint else {
            throw WeightLoadingError.unsupportedDType(key: name, dtype: descriptor.dtype)
        }
        guard descriptor.shape.count == 2, descriptor.shape.allSatisfy({ $0 > 0 }) else {
            throw WeightLoadingError.cannotInfer("'\(name)' has shape \(format(descriptor.shape)); expected a non-empty matrix")
        }
        return descriptor
    }

    private static func gateCount(rows: Int, hiddenSize: Int, key: String) throws -> Int {
        guard rows % hiddenSize == 0, [1, 3, 4].contains(rows / hiddenSize) else {
            throw WeightLoadingError.cannotInfer(
                "'\(key)' has \(rows) rows, which is not 1, 3 or 4 gates (RNN, GRU, LSTM) of hidden size \(hiddenSize)")
        }
        return rows / hiddenSize
    }
}

/// A parsed layer parameter name: `weight_ih_l3_reverse` → (weight_ih, 3, reverse).
struct LayerKey {
    var key: String
    var parameter: String
    var layer: Int
    var reverse: Bool

    private static let parameters = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]

    init?(_ key: String) {
        var rest = Substring(key)
        reverse = rest.hasSuffix("_reverse")
        if reverse { rest = rest.dropLast("_reverse".count) }
        guard let parameter = Self.parameters.first(where: { rest.hasPrefix($0 + "_l") }) else { return nil }
        let digits = rest.dropFirst(parameter.count + 2)
        // Canonical decimal only ("l0", "l12"; not "l01" or "l+1"): torch never writes others.
        // At most six digits, so a hostile name cannot make the layer count overflow.
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              digits == "0" || !digits.hasPrefix("0"), digits.count <= 6, let layer = Int(digits) else { return nil }
        self.key = key
        self.parameter = parameter
        self.layer = layer
    }
}

extension RecurrentStack {
    /// Builds a stack from the weights under `prefix`, recording problems in `loader`.
    /// When the weights do not describe this kind of module, the problem is recorded, the
    /// tensors under `prefix` count as used (that one problem explains them) and a
    /// placeholder comes back: the load it belongs to throws, so the placeholder is never used.
    /// - Parameter cell: whether to expect a cell's bare names rather than `_l{k}` names.
    static func load(_ loader: inout ModuleLoader, prefix rawPrefix: String, kernel: Kernel, batchFirst: Bool,
                     cell: Bool) throws -> RecurrentStack {
        let prefix = normalizedPrefix(rawPrefix)
        do {
            let spec = try RecurrentSpec.infer(from: loader.source, prefix: prefix)
            return try RecurrentStack(loading: &loader, prefix: prefix, spec: spec, kernel: kernel, batchFirst: batchFirst, cell: cell)
        } catch let problem as WeightLoadingError {
            loader.record(problem)
            loader.markUsed(loader.source.tensorNames(withPrefix: prefix))
            return try RecurrentStack(kernel: kernel, inputSize: 1, hiddenSize: 1, numLayers: 1, bias: false,
                                      batchFirst: batchFirst, bidirectional: false, projSize: 0, seed: 0)
        }
    }

    /// Builds a stack once the spec is known (``RecurrentModule`` infers it first to pick the kind).
    /// - Throws: ``WeightLoadingError/kindMismatch(expected:found:)`` for weights of another kind;
    ///   missing and mis-shaped keys are recorded in `loader`.
    init(loading loader: inout ModuleLoader, prefix: String, spec: RecurrentSpec, kernel: Kernel, batchFirst: Bool, cell: Bool) throws {
        let expected = Kernel.moduleName + (cell ? "Cell" : "")
        guard spec.kindName == expected else {
            throw WeightLoadingError.kindMismatch(expected: expected, found: spec.kindName)
        }
        self.kernel = kernel
        self.inputSize = spec.inputSize
        self.hiddenSize = spec.hiddenSize
        self.projSize = spec.projSize
        self.numLayers = spec.numLayers
        self.bidirectional = spec.bidirectional
        self.bias = spec.bias
        self.batchFirst = batchFirst
        self.weights = []

        func take(_ key: String, _ shape: [Int]) throws -> [Float] { try loader.tensor(prefix + key, shape: shape).scalars }
        for layer in 0..<numLayers {
            for direction in 0..<directions {
                let suffix = cell ? "" : "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                let inputWeight = try take("weight_ih" + suffix, [gateWidth, layerInputSize(layer)])
                let hiddenWeight = try take("weight_hh" + suffix, [gateWidth, outputSize])
                let inputBias = bias ? try take("bias_ih" + suffix, [gateWidth]) : nil
                let hiddenBias = bias ? try take("bias_hh" + suffix, [gateWidth]) : nil
                let projection = projSize > 0 ? try take("weight_hr" + suffix, [projSize, hiddenSize]) : nil
                weights.append(RecurrentWeights(
                    kernel: Kernel.self, hiddenSize: hiddenSize,
                    inputWeight: inputWeight, hiddenWeight: hiddenWeight,
                    inputBias: inputBias, hiddenBias: hiddenBias, projectionWeight: projection))
            }
        }
    }
}
