import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

@Suite("Strict weight loading and inference")
struct WeightLoadingTests {
    /// A 2-layer bidirectional LSTM with projections under "model.rnn.", plus an unrelated head.
    func lstmCheckpoint() throws -> TensorDictionary {
        var dictionary = try LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: 2, seed: 1)
            .stateDictionary(prefix: "model.rnn.")
        dictionary["model.head.weight"] = try FloatTensor(zeros: [2, 4])
        dictionary["model.rnn_extra.weight"] = try FloatTensor(zeros: [1])
        return dictionary
    }

    @Test("everything is inferred from names and shapes")
    func inference() throws {
        let lstm = try LSTM(loading: lstmCheckpoint(), prefix: "model.rnn.", batchFirst: true)
        #expect(lstm.inputSize == 3)
        #expect(lstm.hiddenSize == 5)
        #expect(lstm.projSize == 2)
        #expect(lstm.numLayers == 2)
        #expect(lstm.bidirectional)
        #expect(lstm.bias)
        #expect(lstm.batchFirst)

        let gru = try GRU(loading: GRU(inputSize: 7, hiddenSize: 2, numLayers: 3, bias: false, seed: 2).stateDictionary())
        #expect((gru.inputSize, gru.hiddenSize, gru.numLayers, gru.bias, gru.bidirectional) == (7, 2, 3, false, false))

        let cell = try LSTMCell(loading: LSTMCell(inputSize: 6, hiddenSize: 3, seed: 3).stateDictionary(prefix: "cell."), prefix: "cell.")
        #expect((cell.inputSize, cell.hiddenSize, cell.bias) == (6, 3, true))
    }

    @Test("a prefix without the trailing dot means the same")
    func prefixNormalisation() throws {
        let lstm = try LSTM(loading: lstmCheckpoint(), prefix: "model.rnn")
        #expect(lstm.numLayers == 2)
    }

    @Test("a missing key names the full key")
    func missingKey() throws {
        var dictionary = try lstmCheckpoint()
        dictionary["model.rnn.bias_hh_l1_reverse"] = nil
        #expect(throws: WeightLoadingError.missingKey("model.rnn.bias_hh_l1_reverse")) {
            try LSTM(loading: dictionary, prefix: "model.rnn.")
        }
        var noL0 = try lstmCheckpoint()
        noL0["model.rnn.weight_ih_l0"] = nil
        #expect(throws: WeightLoadingError.missingKey("model.rnn.weight_ih_l0")) {
            try LSTM(loading: noL0, prefix: "model.rnn.")
        }
        // A gap in the layers: l0 and l2 but no l1.
        var gap = try GRU(inputSize: 2, hiddenSize: 2, numLayers: 3, seed: 1).stateDictionary()
        for key in ["weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"] { gap[key] = nil }
        #expect(throws: WeightLoadingError.missingKey("weight_ih_l1")) { try GRU(loading: gap) }
    }

    @Test("biases are all or nothing")
    func biasAllOrNothing() throws {
        var dictionary = try RNN(inputSize: 2, hiddenSize: 3, numLayers: 2, seed: 1).stateDictionary()
        dictionary["bias_ih_l0"] = nil
        dictionary["bias_hh_l0"] = nil
        #expect(throws: WeightLoadingError.missingKey("bias_ih_l0")) { try RNN(loading: dictionary) }
    }

    @Test("an unexpected key under the prefix is rejected; keys outside it are ignored")
    func unexpectedKey() throws {
        var dictionary = try lstmCheckpoint()
        #expect(throws: Never.self) { try LSTM(loading: dictionary, prefix: "model.rnn.") }
        dictionary["model.rnn.weight_ih_l2"] = try FloatTensor(zeros: [20, 4])
        // l2 is now expected, so its other weights are missing.
        #expect(throws: WeightLoadingError.missingKey("model.rnn.weight_hh_l2")) {
            try LSTM(loading: dictionary, prefix: "model.rnn.")
        }
        dictionary["model.rnn.weight_ih_l2"] = nil
        dictionary["model.rnn.running_mean"] = try FloatTensor(zeros: [5])
        #expect(throws: WeightLoadingError.unexpectedKey("model.rnn.running_mean")) {
            try LSTM(loading: dictionary, prefix: "model.rnn.")
        }
        dictionary["model.rnn.running_mean"] = nil
        dictionary["model.rnn.weight_ih"] = try FloatTensor(zeros: [20, 3])
        #expect(throws: WeightLoadingError.unexpectedKey("model.rnn.weight_ih")) {
            try LSTM(loading: dictionary, prefix: "model.rnn.")
        }
        dictionary["model.rnn.weight_ih"] = nil
        dictionary["model.rnn.weight_ih_l01"] = try FloatTensor(zeros: [20, 3])
        #expect(throws: WeightLoadingError.unexpectedKey("model.rnn.weight_ih_l01")) {
            try LSTM(loading: dictionary, prefix: "model.rnn.")
        }
    }

    @Test("weight_hr on a GRU is unexpected")
    func projectionOnGRU() throws {
        var dictionary = try GRU(inputSize: 2, hiddenSize: 4, seed: 1).stateDictionary()
        dictionary["weight_hr_l0"] = try FloatTensor(zeros: [4, 4])
        #expect(throws: WeightLoadingError.unexpectedKey("weight_hr_l0")) { try GRU(loading: dictionary) }
    }

    @Test("a shape that does not fit names the key and both shapes")
    func shapeMismatch() throws {
        var dictionary = try lstmCheckpoint()
        dictionary["model.rnn.weight_ih_l1"] = try FloatTensor(zeros: [20, 5])
        let error = WeightLoadingError.shapeMismatch(key: "model.rnn.weight_ih_l1", expected: [20, 4], found: [20, 5])
        #expect(throws: error) { try LSTM(loading: dictionary, prefix: "model.rnn.") }
        #expect(error.localizedDescription == "weight 'model.rnn.weight_ih_l1' has shape (20, 5); expected (20, 4)")

        var bias = try lstmCheckpoint()
        bias["model.rnn.bias_ih_l0"] = try FloatTensor(zeros: [19])
        #expect(throws: WeightLoadingError.shapeMismatch(key: "model.rnn.bias_ih_l0", expected: [20], found: [19])) {
            try LSTM(loading: bias, prefix: "model.rnn.")
        }

        var projection = try lstmCheckpoint()
        projection["model.rnn.weight_hh_l0"] = try FloatTensor(zeros: [20, 3])
        #expect(throws: WeightLoadingError.shapeMismatch(key: "model.rnn.weight_hh_l0", expected: [20, 2], found: [20, 3])) {
            try LSTM(loading: projection, prefix: "model.rnn.")
        }

        var reverse = try GRU(inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1).stateDictionary()
        reverse["weight_hh_l0_reverse"] = try FloatTensor(zeros: [9, 2])
        #expect(throws: WeightLoadingError.shapeMismatch(key: "weight_hh_l0_reverse", expected: [9, 3], found: [9, 2])) {
            try GRU(loading: reverse)
        }
    }

    @Test("the module kind comes from the gate count and is checked")
    func kindMismatch() throws {
        let gruWeights = try GRU(inputSize: 2, hiddenSize: 4, seed: 1).stateDictionary()
        #expect(throws: WeightLoadingError.kindMismatch(expected: "LSTM", found: "GRU")) { try LSTM(loading: gruWeights) }
        #expect(throws: WeightLoadingError.kindMismatch(expected: "RNN", found: "GRU")) { try RNN(loading: gruWeights) }
        #expect(throws: WeightLoadingError.kindMismatch(expected: "GRUCell", found: "GRU")) { try GRUCell(loading: gruWeights) }
        let cellWeights = try LSTMCell(inputSize: 2, hiddenSize: 4, seed: 1).stateDictionary()
        #expect(throws: WeightLoadingError.kindMismatch(expected: "LSTM", found: "LSTMCell")) { try LSTM(loading: cellWeights) }
        #expect(throws: WeightLoadingError.kindMismatch(expected: "GRU", found: "LSTMCell")) {
            try RecurrentModule.load(from: cellWeights, kind: "GRU")
        }
    }

    @Test("RecurrentModule infers each of the six kinds")
    func recurrentModuleInference() throws {
        let sources: [(RecurrentModule.Kind, TensorDictionary)] = [
            (.rnn, try RNN(inputSize: 2, hiddenSize: 3, seed: 1).stateDictionary(prefix: "m.")),
            (.lstm, try LSTM(inputSize: 2, hiddenSize: 3, projSize: 1, seed: 1).stateDictionary(prefix: "m.")),
            (.gru, try GRU(inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1).stateDictionary(prefix: "m.")),
            (.rnnCell, try RNNCell(inputSize: 2, hiddenSize: 3, seed: 1).stateDictionary(prefix: "m.")),
            (.lstmCell, try LSTMCell(inputSize: 2, hiddenSize: 3, bias: false, seed: 1).stateDictionary(prefix: "m.")),
            (.gruCell, try GRUCell(inputSize: 2, hiddenSize: 3, seed: 1).stateDictionary(prefix: "m.")),
        ]
        for (kind, source) in sources {
            let module = try RecurrentModule.load(from: source, prefix: "m.")
            #expect(module.kind == kind)
            #expect(try RecurrentModule.load(from: source, prefix: "m.", kind: kind.rawValue).kind == kind)
            #expect(module.stateDictionary(prefix: "m.").tensorNames == source.tensorNames)
        }
        // hidden size 1 with 4 rows is an LSTM, not an RNN of hidden size 4: weight_hh's columns decide.
        let tiny = try LSTM(inputSize: 1, hiddenSize: 1, seed: 1).stateDictionary()
        #expect(try RecurrentModule.load(from: tiny).kind == .lstm)
    }

    @Test("what cannot be inferred is a cannotInfer error")
    func cannotInfer() throws {
        let empty = TensorDictionary()
        #expect(throws: WeightLoadingError.cannotInfer("there are no tensors under the prefix 'rnn.'")) {
            try LSTM(loading: empty, prefix: "rnn")
        }
        let linear = TensorDictionary(["fc.weight": try FloatTensor(zeros: [2, 2])])
        #expect(throws: WeightLoadingError.self) { try RecurrentModule.load(from: linear, prefix: "fc.") }
        let twoGates = TensorDictionary([
            "weight_ih_l0": try FloatTensor(zeros: [8, 3]), "weight_hh_l0": try FloatTensor(zeros: [8, 4]),
        ])
        #expect(throws: WeightLoadingError.cannotInfer(
            "'weight_ih_l0' has 8 rows, which is not 1, 3 or 4 gates (RNN, GRU, LSTM) of hidden size 4")) {
            try RecurrentModule.load(from: twoGates)
        }
        let vector = TensorDictionary(["weight_ih_l0": try FloatTensor(zeros: [8]), "weight_hh_l0": try FloatTensor(zeros: [8, 2])])
        #expect(throws: WeightLoadingError.self) { try RecurrentModule.load(from: vector) }
        #expect(throws: WeightLoadingError.cannotInfer(
            "unknown module kind 'Transformer'; expected one of RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell")) {
            try RecurrentModule.load(from: twoGates, kind: "Transformer")
        }
    }

    @Test("a stray key naming a far layer is refused before any layer is built")
    func strayFarLayer() throws {
        var weights = try LSTM(inputSize: 2, hiddenSize: 3, seed: 1).stateDictionary()
        weights["bias_ih_l999999"] = try FloatTensor(zeros: [12])
        #expect(throws: WeightLoadingError.missingKey("weight_ih_l1")) { try LSTM(loading: weights) }
        #expect(throws: WeightLoadingError.self) { try RecurrentModule.load(from: weights) }
    }

    @Test("integer-typed weights are rejected with their dtype")
    func integerWeights() throws {
        let base = try RNN(inputSize: 2, hiddenSize: 3, seed: 1).stateDictionary()
        let source = RetypedSource(base: base, dtypes: ["bias_hh_l0": .int64])
        #expect(throws: WeightLoadingError.unsupportedDType(key: "bias_hh_l0", dtype: .int64)) { try RNN(loading: source) }
        let first = RetypedSource(base: base, dtypes: ["weight_ih_l0": .int32])
        #expect(throws: WeightLoadingError.unsupportedDType(key: "weight_ih_l0", dtype: .int32)) { try RNN(loading: first) }
    }

    @Test("error messages name the key and the shapes")
    func messages() {
        #expect(WeightLoadingError.missingKey("a.weight_hh_l0").localizedDescription == "missing weight 'a.weight_hh_l0'")
        #expect(WeightLoadingError.unexpectedKey("a.x").localizedDescription.contains("'a.x'"))
        #expect(WeightLoadingError.shapeMismatch(key: "b", expected: [3], found: [4]).localizedDescription
                == "weight 'b' has shape (4,); expected (3,)")
        #expect(WeightLoadingError.kindMismatch(expected: "LSTM", found: "GRU").localizedDescription.contains("GRU"))
        #expect(LayerInputError.lengthOutOfRange(batchIndex: 2, length: 9, steps: 6).localizedDescription
                == "lengths[2] is 9; every length must be in 1...6 (the number of time steps)")
    }

    @Test("weights from real checkpoints in any floating dtype load as Float32")
    func checkpointDTypes() throws {
        for name in ["rnn_h512_fp16", "lstm_bf16", "gru_float64_weights", "lstm_noncontiguous", "gru_shared_storage"] {
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("fixtures/golden").appendingPathComponent(name)
            let checkpoint = try Checkpoint(contentsOf: directory.appendingPathComponent("model.pt"))
            let module = try RecurrentModule.load(from: checkpoint)
            #expect(module.stateDictionary().tensorNames == checkpoint.tensorNames, "\(name)")
        }
    }
}
