import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

@Suite("Bidirectional layers")
struct BidirectionalTests {
    @Test("the reverse half is a forward run over the reversed sequence, aligned with the original time index")
    func reverseDirection() throws {
        let bidirectional = try LSTM(inputSize: 3, hiddenSize: 4, bidirectional: true, projSize: 2, seed: 71)
        let weights = bidirectional.stateDictionary()
        let names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]
        let forward = try LSTM(loading: renamed(weights, Dictionary(uniqueKeysWithValues: names.map { ("\($0)_l0", "\($0)_l0") })))
        let reverse = try LSTM(loading: renamed(weights, Dictionary(uniqueKeysWithValues: names.map { ("\($0)_l0_reverse", "\($0)_l0") })))

        var factory = TensorFactory(seed: 72)
        let input = factory.uniform([6, 2, 3])
        let h0 = factory.uniform([2, 2, 2]), c0 = factory.uniform([2, 2, 4])
        let both = try bidirectional(input, initialState: LSTMState(h: h0, c: c0))
        let f = try forward(input, initialState: LSTMState(h: h0.prefix(1), c: c0.prefix(1)))
        let r = try reverse(input.reversedAlongFirstAxis(),
                            initialState: LSTMState(h: h0.reversedAlongFirstAxis().prefix(1), c: c0.reversedAlongFirstAxis().prefix(1)))

        expectClose(both.output.columns(0..<2), f.output, tolerance: 1e-6)
        expectClose(both.output.columns(2..<4), r.output.reversedAlongFirstAxis(), tolerance: 1e-6)
        try expectClose(both.hN, FloatTensor.concatenate([f.hN, r.hN]), tolerance: 1e-6)
        try expectClose(try #require(both.cN), FloatTensor.concatenate([try #require(f.cN), try #require(r.cN)]), tolerance: 1e-6)
    }

    @Test("layer 1 takes [forward | reverse] of layer 0")
    func secondLayerInput() throws {
        let stack = try GRU(inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, seed: 73)
        let weights = stack.stateDictionary()
        let names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        var first: [String: String] = [:], second: [String: String] = [:]
        for name in names {
            first["\(name)_l0"] = "\(name)_l0"
            first["\(name)_l0_reverse"] = "\(name)_l0_reverse"
            second["\(name)_l1"] = "\(name)_l0"
            second["\(name)_l1_reverse"] = "\(name)_l0_reverse"
        }
        let layer0 = try GRU(loading: renamed(weights, first))
        let layer1 = try GRU(loading: renamed(weights, second))
        #expect(layer1.inputSize == 6)
        var factory = TensorFactory(seed: 74)
        let input = factory.uniform([5, 3, 2])
        let whole = try stack(input)
        let a = try layer0(input)
        let b = try layer1(a.output)
        expectClose(whole.output, b.output, tolerance: 1e-6)
        try expectClose(whole.hN, FloatTensor.concatenate([a.hN, b.hN]), tolerance: 1e-6)
    }

    @Test("unbatched bidirectional equals the batch-of-one run")
    func unbatched() throws {
        let rnn = try RNN(inputSize: 2, hiddenSize: 3, numLayers: 2, batchFirst: true, bidirectional: true, seed: 75)
        var factory = TensorFactory(seed: 76)
        let input = factory.uniform([4, 2])
        let h0 = factory.uniform([4, 3])
        let single = try rnn(input, initialState: h0)
        let batch = try rnn(input.unsqueezed(axis: 0), initialState: h0.unsqueezed(axis: 1))
        #expect(single.output.shape == [4, 6])
        try expectClose(single.output, batch.output.select(axis: 0, index: 0), tolerance: 0)
        try expectClose(single.hN, batch.hN.select(axis: 1, index: 0), tolerance: 0)
    }
}
