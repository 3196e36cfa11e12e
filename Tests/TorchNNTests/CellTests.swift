import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

@Suite("Cells")
struct CellTests {
    private let cellNames = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    private var toLayer: [String: String] { Dictionary(uniqueKeysWithValues: cellNames.map { ($0, "\($0)_l0") }) }

    @Test("a cell step equals a one-step sequence module with the same weights")
    func cellEqualsOneStep() throws {
        var factory = TensorFactory(seed: 81)
        let x = factory.uniform([3, 4]), h = factory.uniform([3, 5]), c = factory.uniform([3, 5])

        let lstmCell = try LSTMCell(inputSize: 4, hiddenSize: 5, seed: 82)
        let lstm = try LSTM(loading: renamed(lstmCell.stateDictionary(), toLayer))
        let cellState = try lstmCell(x, initialState: LSTMState(h: h, c: c))
        let layer = try lstm(x.unsqueezed(axis: 0), initialState: LSTMState(h: h.unsqueezed(axis: 0), c: c.unsqueezed(axis: 0)))
        #expect(try cellState.h == layer.hN.select(axis: 0, index: 0))
        #expect(try cellState.c == layer.cN!.select(axis: 0, index: 0))

        let gruCell = try GRUCell(inputSize: 4, hiddenSize: 5, seed: 83)
        let gru = try GRU(loading: renamed(gruCell.stateDictionary(), toLayer))
        #expect(try gruCell(x, initialState: h) == gru(x.unsqueezed(axis: 0), initialState: h.unsqueezed(axis: 0)).hN.select(axis: 0, index: 0))

        let rnnCell = try RNNCell(inputSize: 4, hiddenSize: 5, nonlinearity: .relu, seed: 84)
        let rnn = try RNN(loading: renamed(rnnCell.stateDictionary(), toLayer), nonlinearity: .relu)
        #expect(try rnnCell(x, initialState: h) == rnn(x.unsqueezed(axis: 0), initialState: h.unsqueezed(axis: 0)).hN.select(axis: 0, index: 0))
    }

    @Test("unrolling a cell over a sequence equals the sequence module")
    func unrolledCell() throws {
        let cell = try GRUCell(inputSize: 2, hiddenSize: 3, seed: 85)
        let gru = try GRU(loading: renamed(cell.stateDictionary(), toLayer))
        var factory = TensorFactory(seed: 86)
        let input = factory.uniform([7, 2, 2])
        var h = try FloatTensor(zeros: [2, 3])
        var outputs: [FloatTensor] = []
        for t in 0..<7 {
            h = try cell(input.select(axis: 0, index: t), initialState: h)
            try outputs.append(h.unsqueezed(axis: 0))
        }
        let whole = try gru(input)
        try expectClose(FloatTensor.concatenate(outputs), whole.output, tolerance: 1e-6)
    }

    @Test("unbatched (I,) equals a batch of one")
    func unbatched() throws {
        let cell = try LSTMCell(inputSize: 2, hiddenSize: 3, bias: false, seed: 87)
        var factory = TensorFactory(seed: 88)
        let x = factory.uniform([2]), h = factory.uniform([3]), c = factory.uniform([3])
        let single = try cell(x, initialState: LSTMState(h: h, c: c))
        let batch = try cell(x.unsqueezed(axis: 0), initialState: LSTMState(h: h.unsqueezed(axis: 0), c: c.unsqueezed(axis: 0)))
        #expect(single.h.shape == [3])
        #expect(single.h.scalars == batch.h.scalars)
        #expect(single.c.scalars == batch.c.scalars)
        #expect(try cell(x).h.shape == [3])
    }

    @Test("RecurrentModule runs a cell: output and hN are h'")
    func moduleCell() throws {
        let cell = try LSTMCell(inputSize: 2, hiddenSize: 3, seed: 89)
        let module = try RecurrentModule.load(from: cell.stateDictionary(prefix: "c."), prefix: "c.", kind: .lstmCell)
        var factory = TensorFactory(seed: 90)
        let x = factory.uniform([4, 2])
        let result = try module(x)
        let direct = try cell(x)
        #expect(result.output == direct.h)
        #expect(result.hN == direct.h)
        #expect(result.cN == direct.c)
    }
}
