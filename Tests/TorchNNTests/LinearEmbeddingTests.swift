import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

@Suite("Linear and Embedding")
struct LinearEmbeddingTests {
    @Test("Linear computes x Wᵀ + b over the last axis, any leading axes")
    func linearByHand() throws {
        let linear = try Linear(weight: FloatTensor(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 0.5]),
                                bias: FloatTensor(shape: [2], scalars: [0.5, -1]))
        // rows [1, 1, 1] → [6.5, −1.5]; [2, 0, −2] → [−3.5, −4].
        let y = try linear(FloatTensor(shape: [1, 2, 3], scalars: [1, 1, 1, 2, 0, -2]))
        #expect(try y == FloatTensor(shape: [1, 2, 2], scalars: [6.5, -1.5, -3.5, -4]))
        #expect(try linear(FloatTensor(shape: [3], scalars: [1, 1, 1])) == FloatTensor(shape: [2], scalars: [6.5, -1.5]))
        let noBias = try Linear(weight: linear.weight)
        #expect(try noBias(FloatTensor(shape: [3], scalars: [1, 1, 1])) == FloatTensor(shape: [2], scalars: [6, -0.5]))
        #expect(try linear(FloatTensor(zeros: [0, 3])).shape == [0, 2])
    }

    @Test("Linear loads strictly and rejects bad inputs")
    func linearLoading() throws {
        let linear = try Linear(inputFeatures: 4, outputFeatures: 2, seed: 91)
        var dictionary = linear.stateDictionary(prefix: "head.")
        let loaded = try Linear(loading: dictionary, prefix: "head.")
        #expect(loaded.weight == linear.weight && loaded.bias == linear.bias)
        #expect(loaded.inputFeatures == 4 && loaded.outputFeatures == 2)
        dictionary["head.bias"] = try FloatTensor(zeros: [3])
        #expect(throws: WeightLoadingError.shapeMismatch(key: "head.bias", expected: [2], found: [3])) {
            try Linear(loading: dictionary, prefix: "head.")
        }
        dictionary["head.bias"] = nil
        dictionary["head.scale"] = try FloatTensor(zeros: [1])
        #expect(throws: WeightLoadingError.unexpectedKey("head.scale")) { try Linear(loading: dictionary, prefix: "head.") }
        #expect(throws: WeightLoadingError.missingKey("tail.weight")) { try Linear(loading: dictionary, prefix: "tail.") }
        #expect(throws: LayerInputError.shapeMismatch(argument: "input", expected: [5, 4], found: [5, 3])) {
            try linear(FloatTensor(zeros: [5, 3]))
        }
        #expect(throws: LayerInputError.self) { try linear(FloatTensor(shape: [], scalars: [1])) }
        #expect(throws: LayerInputError.self) { try Linear(weight: FloatTensor(zeros: [2, 2]), bias: FloatTensor(zeros: [3])) }
    }

    @Test("Linear over many rows equals row by row (GEMM vs GEMV)")
    func linearRows() throws {
        let linear = try Linear(inputFeatures: 5, outputFeatures: 3, seed: 92)
        var factory = TensorFactory(seed: 93)
        let x = factory.uniform([4, 5])
        let y = try linear(x)
        for r in 0..<4 { expectClose(try linear(x.select(axis: 0, index: r)), try y.select(axis: 0, index: r), tolerance: 1e-6) }
    }

    @Test("Embedding looks up rows; out-of-range and negative indices throw")
    func embedding() throws {
        let table = try FloatTensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        let embedding = try Embedding(weight: table)
        let y = try embedding([2, 0, 1, 2], shape: [2, 2])
        #expect(try y == FloatTensor(shape: [2, 2, 2], scalars: [20, 21, 0, 1, 10, 11, 20, 21]))
        #expect(try embedding([Int64(1)]) == FloatTensor(shape: [1, 2], scalars: [10, 11]))
        #expect(throws: LayerInputError.indexOutOfRange(position: 1, index: 3, count: 3)) { try embedding([0, 3]) }
        #expect(throws: LayerInputError.indexOutOfRange(position: 0, index: -1, count: 3)) { try embedding([-1]) }
        #expect(throws: LayerInputError.self) { try embedding([0, 1, 2], shape: [2, 2]) }

        var dictionary = embedding.stateDictionary(prefix: "embed.")
        #expect(try Embedding(loading: dictionary, prefix: "embed").weight == table)
        dictionary["embed.bias"] = try FloatTensor(zeros: [2])
        #expect(throws: WeightLoadingError.unexpectedKey("embed.bias")) { try Embedding(loading: dictionary, prefix: "embed.") }
        let random = try Embedding(numEmbeddings: 100, embeddingDim: 50, seed: 94)
        let mean = random.weight.scalars.reduce(0, +) / 5000
        let variance = random.weight.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5000
        #expect(abs(mean) < 0.1 && abs(variance - 1) < 0.1, "standard normal init")
    }

    @Test("embedding → LSTM → linear head composes, from one checkpoint")
    func composition() throws {
        var checkpoint = try Embedding(numEmbeddings: 7, embeddingDim: 4, seed: 95).stateDictionary(prefix: "model.embed.")
        let lstmWeights = try LSTM(inputSize: 4, hiddenSize: 6, numLayers: 2, seed: 96).stateDictionary(prefix: "model.rnn.")
        let headWeights = try Linear(inputFeatures: 6, outputFeatures: 2, seed: 97).stateDictionary(prefix: "model.head.")
        for source in [lstmWeights, headWeights] { for name in source.tensorNames { checkpoint[name] = source[name] } }

        let embed = try Embedding(loading: checkpoint, prefix: "model.embed.")
        let lstm = try LSTM(loading: checkpoint, prefix: "model.rnn.", batchFirst: true)
        let head = try Linear(loading: checkpoint, prefix: "model.head.")
        let tokens = [1, 4, 6, 0, 2, 2, 3, 5]  // (B = 2, T = 4)
        let embedded = try embed(tokens, shape: [2, 4])
        #expect(embedded.shape == [2, 4, 4])
        let encoded = try lstm(embedded, lengths: [4, 2])
        let logits = try head(encoded.output)
        #expect(logits.shape == [2, 4, 2])
        // Entry 1 has length 2: its padded outputs are zero, so the head gives exactly the bias there.
        let bias = try #require(head.bias)
        #expect(try logits.select(axis: 0, index: 1).select(axis: 0, index: 3) == bias)
        // The last valid step's logits come from h_n of the top layer.
        let top = try encoded.hN.select(axis: 0, index: 1)
        try expectClose(try head(top).select(axis: 0, index: 0), logits.select(axis: 0, index: 0).select(axis: 0, index: 3), tolerance: 1e-6)
    }
}
