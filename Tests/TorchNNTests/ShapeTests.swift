import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

@Suite("Shapes and layouts")
struct ShapeTests {
    @Test("LSTM shapes: batched, batch-first, unbatched, bidirectional, projections",
          arguments: [(false, false, 0), (true, false, 0), (false, true, 0), (true, true, 3), (false, true, 2), (true, false, 2)])
    func lstmShapes(batchFirst: Bool, bidirectional: Bool, projSize: Int) throws {
        let (T, B, I, H, L) = (5, 3, 4, 6, 2)
        let D = bidirectional ? 2 : 1
        let Hout = projSize > 0 ? projSize : H
        let lstm = try LSTM(inputSize: I, hiddenSize: H, numLayers: L, batchFirst: batchFirst,
                            bidirectional: bidirectional, projSize: projSize, seed: 1)
        var factory = TensorFactory(seed: 2)
        let input = factory.uniform(batchFirst ? [B, T, I] : [T, B, I])
        let result = try lstm(input)
        #expect(result.output.shape == (batchFirst ? [B, T, D * Hout] : [T, B, D * Hout]))
        #expect(result.hN.shape == [L * D, B, Hout])
        #expect(result.cN?.shape == [L * D, B, H])

        let unbatched = try lstm(factory.uniform([T, I]))
        #expect(unbatched.output.shape == [T, D * Hout])
        #expect(unbatched.hN.shape == [L * D, Hout])
        #expect(unbatched.cN?.shape == [L * D, H])
    }

    @Test("RNN and GRU shapes; cN is nil")
    func rnnGruShapes() throws {
        let rnn = try RNN(inputSize: 2, hiddenSize: 3, numLayers: 3, bidirectional: true, seed: 1)
        let gru = try GRU(inputSize: 2, hiddenSize: 3, numLayers: 3, bidirectional: true, seed: 1)
        var factory = TensorFactory(seed: 3)
        let input = factory.uniform([4, 5, 2])
        for result in [try rnn(input), try gru(input)] {
            #expect(result.output.shape == [4, 5, 6])
            #expect(result.hN.shape == [6, 5, 3])
            #expect(result.cN == nil)
        }
    }

    @Test("batch-first is a transpose of the time-major run; h0/h_n keep (L·D, B, H)")
    func batchFirstIsTranspose() throws {
        var lstm = try LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 7)
        var factory = TensorFactory(seed: 8)
        let timeMajor = factory.uniform([5, 3, 3])
        let state = LSTMState(h: factory.uniform([4, 3, 4]), c: factory.uniform([4, 3, 4]))
        let reference = try lstm(timeMajor, initialState: state, lengths: [5, 2, 4])
        lstm.batchFirst = true
        let batchMajor = FloatTensor.stack(try (0..<3).map { try timeMajor.select(axis: 1, index: $0) }, axis: 0)
        let result = try lstm(batchMajor, initialState: state, lengths: [5, 2, 4])
        for b in 0..<3 {
            #expect(try result.output.select(axis: 0, index: b) == reference.output.select(axis: 1, index: b))
        }
        #expect(result.hN == reference.hN)
        #expect(result.cN == reference.cN)
    }

    @Test("batch of B equals each entry run alone (GEMM path vs GEMV path)")
    func batchEntriesAreIndependent() throws {
        var factory = TensorFactory(seed: 11)
        let gru = try GRU(inputSize: 3, hiddenSize: 5, numLayers: 2, seed: 12)
        let lstm = try LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, projSize: 2, seed: 13)
        let input = factory.uniform([6, 4, 3])
        let h0 = factory.uniform([2, 4, 5])
        let gruAll = try gru(input, initialState: h0)
        let lstmAll = try lstm(input)
        for b in 0..<4 {
            let alone = try input.select(axis: 1, index: b)
            let gruOne = try gru(alone, initialState: h0.select(axis: 1, index: b))
            try expectClose(gruOne.output, gruAll.output.select(axis: 1, index: b))
            try expectClose(gruOne.hN, gruAll.hN.select(axis: 1, index: b))
            let lstmOne = try lstm(alone)
            try expectClose(lstmOne.output, lstmAll.output.select(axis: 1, index: b))
            expectClose(try #require(lstmOne.cN), try #require(lstmAll.cN).select(axis: 1, index: b))
        }
    }

    @Test("the last layer's h_n rows are the output's last step (unidirectional)")
    func hNMatchesLastOutput() throws {
        var factory = TensorFactory(seed: 21)
        let rnn = try RNN(inputSize: 2, hiddenSize: 3, numLayers: 2, seed: 22)
        let result = try rnn(factory.uniform([4, 2, 2]))
        #expect(try result.hN.select(axis: 0, index: 1) == result.output.select(axis: 0, index: 3))
    }

    @Test("stateDictionary uses torch's names and shapes, and loads back identically")
    func stateDictionaryRoundTrip() throws {
        let lstm = try LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: 2, seed: 5)
        let dictionary = lstm.stateDictionary(prefix: "encoder.rnn.")
        #expect(dictionary.tensorNames.count == 2 * 2 * 5)
        #expect(Array(dictionary.tensorNames.prefix(5)) == [
            "encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0", "encoder.rnn.bias_ih_l0",
            "encoder.rnn.bias_hh_l0", "encoder.rnn.weight_hr_l0",
        ])
        #expect(dictionary["encoder.rnn.weight_ih_l1_reverse"]?.shape == [20, 4])
        #expect(dictionary["encoder.rnn.weight_hh_l0"]?.shape == [20, 2])
        #expect(dictionary["encoder.rnn.weight_hr_l1_reverse"]?.shape == [2, 5])
        let loaded = try LSTM(loading: dictionary, prefix: "encoder.rnn.")
        #expect(loaded.stateDictionary(prefix: "encoder.rnn.").tensorNames == dictionary.tensorNames)
        var factory = TensorFactory(seed: 6)
        let input = factory.uniform([3, 2, 3])
        #expect(try loaded(input) == lstm(input))
    }

    @Test("default initialisation: uniform in ±1/√H, reproducible by seed")
    func initialisation() throws {
        let gru = try GRU(inputSize: 3, hiddenSize: 16, seed: 9)
        let values = gru.stateDictionary().tensorNames.flatMap { gru.stateDictionary()[$0]!.scalars }
        #expect(values.allSatisfy { abs($0) <= 0.25 })
        #expect(values.contains { abs($0) > 0.2 }, "the values spread over the whole range")
        #expect(try GRU(inputSize: 3, hiddenSize: 16, seed: 9).stateDictionary()["weight_ih_l0"] == gru.stateDictionary()["weight_ih_l0"])
        #expect(try GRU(inputSize: 3, hiddenSize: 16, seed: 10).stateDictionary()["weight_ih_l0"] != gru.stateDictionary()["weight_ih_l0"])
        let noBias = try RNN(inputSize: 2, hiddenSize: 2, bias: false, seed: 1).stateDictionary()
        #expect(noBias.tensorNames == ["weight_ih_l0", "weight_hh_l0"])
    }

    @Test("invalid configurations throw instead of trapping")
    func invalidConfigurations() {
        #expect(throws: LayerInputError.self) { try LSTM(inputSize: 0, hiddenSize: 4) }
        #expect(throws: LayerInputError.self) { try GRU(inputSize: 2, hiddenSize: 0) }
        #expect(throws: LayerInputError.self) { try RNN(inputSize: 2, hiddenSize: 2, numLayers: 0) }
        #expect(throws: LayerInputError.invalidConfiguration("projSize (4) must be smaller than hiddenSize (4)")) {
            try LSTM(inputSize: 2, hiddenSize: 4, projSize: 4)
        }
        #expect(throws: LayerInputError.self) { try Linear(inputFeatures: 0, outputFeatures: 1) }
        #expect(throws: LayerInputError.self) { try Embedding(numEmbeddings: 3, embeddingDim: 0) }
    }
}

@Suite("Bad inputs are typed errors")
struct InputErrorTests {
    let lstm = try! LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1)
    let gru = try! GRU(inputSize: 3, hiddenSize: 4, seed: 1)

    @Test("wrong rank and wrong feature count")
    func inputShape() {
        #expect(throws: LayerInputError.wrongRank(argument: "input", expected: "(T, B, 3) or unbatched (T, 3)", found: [3])) {
            try lstm(FloatTensor(zeros: [3]))
        }
        #expect(throws: LayerInputError.self) { try lstm(FloatTensor(zeros: [1, 1, 1, 3])) }
        #expect(throws: LayerInputError.shapeMismatch(argument: "input", expected: [5, 2, 3], found: [5, 2, 4])) {
            try lstm(FloatTensor(zeros: [5, 2, 4]))
        }
        #expect(throws: LayerInputError.empty(argument: "input", shape: [0, 2, 3])) { try lstm(FloatTensor(zeros: [0, 2, 3])) }
        #expect(throws: LayerInputError.empty(argument: "input", shape: [4, 0, 3])) { try lstm(FloatTensor(zeros: [4, 0, 3])) }
    }

    @Test("a tensor whose scalars do not fill its shape")
    func inconsistentTensor() throws {
        var input = try FloatTensor(zeros: [2, 2, 3])
        input.shape = [2, 3, 3]
        #expect(throws: LayerInputError.inconsistentTensor(argument: "input", shape: [2, 3, 3], scalarCount: 12)) {
            try lstm(input)
        }
        var h0 = try FloatTensor(zeros: [2, 2, 4])
        h0.scalars.removeLast()
        #expect(throws: LayerInputError.self) {
            try lstm(FloatTensor(zeros: [2, 2, 3]), initialState: LSTMState(h: h0, c: FloatTensor(zeros: [2, 2, 4])))
        }
        input.shape = [-2, -3, 3]
        #expect(throws: LayerInputError.self) { try lstm(input) }
    }

    @Test("initial states must match (L·D, B, H_out) and (L·D, B, H)")
    func stateShapes() throws {
        let input = try FloatTensor(zeros: [5, 2, 3])
        #expect(throws: LayerInputError.shapeMismatch(argument: "h0", expected: [2, 2, 4], found: [1, 2, 4])) {
            try lstm(input, initialState: LSTMState(h: FloatTensor(zeros: [1, 2, 4]), c: FloatTensor(zeros: [2, 2, 4])))
        }
        #expect(throws: LayerInputError.shapeMismatch(argument: "c0", expected: [2, 2, 4], found: [2, 4])) {
            try lstm(input, initialState: LSTMState(h: FloatTensor(zeros: [2, 2, 4]), c: FloatTensor(zeros: [2, 4])))
        }
        #expect(throws: LayerInputError.shapeMismatch(argument: "h0", expected: [1, 4], found: [1, 1, 4])) {
            try gru(FloatTensor(zeros: [5, 3]), initialState: FloatTensor(zeros: [1, 1, 4]))
        }
    }

    @Test("lengths: one per entry, each in 1...T")
    func lengths() throws {
        let input = try FloatTensor(zeros: [5, 2, 3])
        #expect(throws: LayerInputError.lengthsCount(expected: 2, found: 3)) { try gru(input, lengths: [1, 2, 3]) }
        #expect(throws: LayerInputError.lengthOutOfRange(batchIndex: 1, length: 6, steps: 5)) { try gru(input, lengths: [5, 6]) }
        #expect(throws: LayerInputError.lengthOutOfRange(batchIndex: 0, length: 0, steps: 5)) { try gru(input, lengths: [0, 5]) }
        #expect(throws: LayerInputError.lengthOutOfRange(batchIndex: 0, length: -1, steps: 5)) { try gru(input, lengths: [-1, 5]) }
    }

    @Test("a cell state for a module without one")
    func cellStateForGRU() throws {
        let module = RecurrentModule.gru(gru)
        #expect(throws: LayerInputError.self) { try module(FloatTensor(zeros: [2, 3]), initialState: .lstm(LSTMState(h: FloatTensor(zeros: [1, 4]), c: FloatTensor(zeros: [1, 4])))) }
        let cell = RecurrentModule.gruCell(try GRUCell(inputSize: 3, hiddenSize: 4, seed: 1))
        #expect(throws: LayerInputError.self) { try cell(FloatTensor(zeros: [3]), initialState: .lstm(LSTMState(h: FloatTensor(zeros: [4]), c: FloatTensor(zeros: [4])))) }
        #expect(throws: LayerInputError.self) { try cell(FloatTensor(zeros: [1, 3]), lengths: [1]) }
    }

    @Test("cells check input and state shapes")
    func cellShapes() throws {
        let cell = try LSTMCell(inputSize: 3, hiddenSize: 4, seed: 1)
        #expect(throws: LayerInputError.self) { try cell(FloatTensor(zeros: [2, 2, 3])) }
        #expect(throws: LayerInputError.shapeMismatch(argument: "input", expected: [2, 3], found: [2, 5])) {
            try cell(FloatTensor(zeros: [2, 5]))
        }
        #expect(throws: LayerInputError.shapeMismatch(argument: "h", expected: [2, 4], found: [4])) {
            try cell(FloatTensor(zeros: [2, 3]), initialState: LSTMState(h: FloatTensor(zeros: [4]), c: FloatTensor(zeros: [2, 4])))
        }
        #expect(throws: LayerInputError.empty(argument: "input", shape: [0, 3])) { try cell(FloatTensor(zeros: [0, 3])) }
    }
}
