import Foundation
import TorchTensor

/// Fresh weights with torch's default initialisation, and export back to torch's names.
extension RecurrentStack {
    /// Every parameter uniform in ±1/√H, as `torch.nn.RNNBase.reset_parameters` does
    /// (weights, biases and `weight_hr` alike).
    init(kernel: Kernel, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool,
         batchFirst: Bool, bidirectional: Bool, projSize: Int, seed: UInt64?) throws {
        guard inputSize > 0 else { throw LayerInputError.invalidConfiguration("inputSize must be positive, got \(inputSize)") }
        guard hiddenSize > 0 else { throw LayerInputError.invalidConfiguration("hiddenSize must be positive, got \(hiddenSize)") }
        guard numLayers > 0 else { throw LayerInputError.invalidConfiguration("numLayers must be positive, got \(numLayers)") }
        guard projSize >= 0 else { throw LayerInputError.invalidConfiguration("projSize must be zero or positive, got \(projSize)") }
        guard projSize < hiddenSize else {
            throw LayerInputError.invalidConfiguration("projSize (\(projSize)) must be smaller than hiddenSize (\(hiddenSize))")
        }
        // Every weight's element count must be countable: sizes from a caller never trap.
        let widestInput = max(inputSize, TensorShape.checkedElementCount([2, projSize > 0 ? projSize : hiddenSize]) ?? .max)
        guard TensorShape.checkedElementCount([numLayers, 2, Kernel.gateCount, hiddenSize, widestInput]) != nil else {
            throw LayerInputError.invalidConfiguration(
                "the weights of inputSize \(inputSize), hiddenSize \(hiddenSize), numLayers \(numLayers) hold more elements than Int can count")
        }
        self.kernel = kernel
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.projSize = projSize
        self.numLayers = numLayers
        self.bidirectional = bidirectional
        self.bias = bias
        self.batchFirst = batchFirst
        self.weights = []

        var generator = SeededGenerator.make(seed)
        let bound = 1 / Float(hiddenSize).squareRoot()
        for layer in 0..<numLayers {
            for _ in 0..<directions {
                let inputWeight = generator.uniform(count: gateWidth * layerInputSize(layer), bound: bound)
                let hiddenWeight = generator.uniform(count: gateWidth * outputSize, bound: bound)
                let inputBias = bias ? generator.uniform(count: gateWidth, bound: bound) : nil
                let hiddenBias = bias ? generator.uniform(count: gateWidth, bound: bound) : nil
                let projection = projSize > 0 ? generator.uniform(count: projSize * hiddenSize, bound: bound) : nil
                weights.append(RecurrentWeights(
                    kernel: Kernel.self, hiddenSize: hiddenSize,
                    inputWeight: inputWeight, hiddenWeight: hiddenWeight,
                    inputBias: inputBias, hiddenBias: hiddenBias, projectionWeight: projection))
            }
        }
    }

    /// The parameters under torch's names, in torch's `state_dict` order
    /// (per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr).
    /// Cells use the bare names (`weight_ih`, ...).
    func stateDictionary(prefix: String, cell: Bool) -> TensorDictionary {
        var dictionary = TensorDictionary()
        for layer in 0..<numLayers {
            for direction in 0..<directions {
                let w = weights[layer * directions + direction]
                let suffix = cell ? "" : "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                dictionary[prefix + "weight_ih" + suffix] =
                    FloatTensor(uncheckedShape: [gateWidth, layerInputSize(layer)], scalars: w.inputWeight)
                dictionary[prefix + "weight_hh" + suffix] =
                    FloatTensor(uncheckedShape: [gateWidth, outputSize], scalars: w.hiddenWeight)
                if let b = w.inputBias { dictionary[prefix + "bias_ih" + suffix] = FloatTensor(uncheckedShape: [gateWidth], scalars: b) }
                if let b = w.hiddenBias { dictionary[prefix + "bias_hh" + suffix] = FloatTensor(uncheckedShape: [gateWidth], scalars: b) }
                if let p = w.projectionWeight {
                    dictionary[prefix + "weight_hr" + suffix] = FloatTensor(uncheckedShape: [projSize, hiddenSize], scalars: p)
                }
            }
        }
        return dictionary
    }
}
