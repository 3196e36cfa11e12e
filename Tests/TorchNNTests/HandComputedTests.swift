import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

/// Small cases whose values follow from the equations by hand (computed here in
/// Double from the formulas, never copied from torch).
@Suite("Hand-computed values")
struct HandComputedTests {
    private func t(_ shape: [Int], _ values: [Float]) throws -> FloatTensor { try FloatTensor(shape: shape, scalars: values) }
    private func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    @Test("RNN tanh, H = 1: h' = tanh(w_ih x + b_ih + w_hh h + b_hh)")
    func rnnTanhScalar() throws {
        let weights = TensorDictionary([
            "weight_ih_l0": try t([1, 1], [0.5]), "weight_hh_l0": try t([1, 1], [-0.8]),
            "bias_ih_l0": try t([1], [0.1]), "bias_hh_l0": try t([1], [-0.05]),
        ])
        let rnn = try RNN(loading: weights)
        let xs: [Double] = [1, -2, 0.5]
        var h = 0.3
        var expected: [Float] = []
        for x in xs {
            h = tanh(0.5 * x + 0.1 - 0.8 * h - 0.05)
            expected.append(Float(h))
        }
        let result = try rnn(t([3, 1, 1], xs.map(Float.init)), initialState: t([1, 1, 1], [0.3]))
        try expectClose(result.output, t([3, 1, 1], expected), tolerance: 1e-6)
        try expectClose(result.hN, t([1, 1, 1], [expected[2]]), tolerance: 1e-6)
        #expect(result.cN == nil)
    }

    @Test("RNN H = 2 uses W_hh rows for outputs (a transposed W_hh would differ)")
    func rnnMatrixOrientation() throws {
        let whh: [[Double]] = [[0.1, 0.9], [-0.4, 0.2]]
        let weights = TensorDictionary([
            "weight_ih_l0": try t([2, 1], [1.0, -0.5]),
            "weight_hh_l0": try t([2, 2], whh.flatMap { $0.map(Float.init) }),
        ])
        let rnn = try RNN(loading: weights)
        #expect(!rnn.bias)
        let xs: [Double] = [0.7, -0.2]
        var h = [0.5, -0.6]
        for x in xs {
            h = [tanh(1.0 * x + whh[0][0] * h[0] + whh[0][1] * h[1]),
                 tanh(-0.5 * x + whh[1][0] * h[0] + whh[1][1] * h[1])]
        }
        let result = try rnn(t([2, 1], xs.map(Float.init)), initialState: t([1, 2], [0.5, -0.6]))
        try expectClose(result.hN, t([1, 2], h.map(Float.init)), tolerance: 1e-6)
    }

    @Test("RNN relu clamps negative pre-activations to exactly 0")
    func rnnRelu() throws {
        let weights = TensorDictionary([
            "weight_ih_l0": try t([2, 1], [1, -1]), "weight_hh_l0": try t([2, 2], [0, 0, 0, 0]),
            "bias_ih_l0": try t([2], [0.25, 0]), "bias_hh_l0": try t([2], [0, 0.5]),
        ])
        let rnn = try RNN(loading: weights, nonlinearity: .relu)
        #expect(rnn.nonlinearity == .relu)
        let result = try rnn(t([2, 1], [1, -2]))  // unbatched (T, I)
        // t=0: [1 + 0.25, −1 + 0.5] → [1.25, 0]; t=1: [−2 + 0.25, 2 + 0.5] → [0, 2.5].
        #expect(try result.output == t([2, 2], [1.25, 0, 0, 2.5]))
        #expect(try result.hN == t([1, 2], [0, 2.5]))
    }

    @Test("LSTM, H = 1: gates i, f, g, o in that order")
    func lstmScalar() throws {
        let wih: [Double] = [0.3, -0.2, 0.5, 0.7], whh: [Double] = [0.1, 0.4, -0.6, 0.2]
        let bih: [Double] = [0.05, 0.1, -0.1, 0.2], bhh: [Double] = [0.0, 0.3, 0.1, -0.1]
        let weights = TensorDictionary([
            "weight_ih_l0": try t([4, 1], wih.map(Float.init)), "weight_hh_l0": try t([4, 1], whh.map(Float.init)),
            "bias_ih_l0": try t([4], bih.map(Float.init)), "bias_hh_l0": try t([4], bhh.map(Float.init)),
        ])
        let lstm = try LSTM(loading: weights)
        var h = 0.2, c = -0.4
        var outputs: [Float] = []
        for x in [0.5, -1.0] {
            func gate(_ k: Int) -> Double { wih[k] * x + bih[k] + whh[k] * h + bhh[k] }
            let i = sigma(gate(0)), f = sigma(gate(1)), g = tanh(gate(2)), o = sigma(gate(3))
            c = f * c + i * g
            h = o * tanh(c)
            outputs.append(Float(h))
        }
        let result = try lstm(t([2, 1], [0.5, -1.0]), initialState: LSTMState(h: t([1, 1], [0.2]), c: t([1, 1], [-0.4])))
        try expectClose(result.output, t([2, 1], outputs), tolerance: 1e-6)
        try expectClose(result.hN, t([1, 1], [Float(h)]), tolerance: 1e-6)
        try expectClose(try #require(result.cN), t([1, 1], [Float(c)]), tolerance: 1e-6)
    }

    @Test("LSTM with proj_size: h' = W_hr (o ⊙ tanh c'), h has P columns, c has H")
    func lstmProjection() throws {
        // H = 2, P = 1, I = 1: weight_ih (8, 1), weight_hh (8, 1), weight_hr (1, 2).
        let wih: [Double] = [0.2, -0.1, 0.4, 0.3, -0.5, 0.6, 0.1, 0.2]
        let whh: [Double] = [0.3, 0.1, -0.2, 0.5, 0.4, -0.3, 0.2, 0.1]
        let whr: [Double] = [0.9, -0.7]
        let weights = TensorDictionary([
            "weight_ih_l0": try t([8, 1], wih.map(Float.init)), "weight_hh_l0": try t([8, 1], whh.map(Float.init)),
            "weight_hr_l0": try t([1, 2], whr.map(Float.init)),
        ])
        let lstm = try LSTM(loading: weights)
        #expect(lstm.hiddenSize == 2 && lstm.projSize == 1 && lstm.inputSize == 1 && !lstm.bias)
        var h = 0.25
        var c = [0.1, -0.2]
        for x in [1.0, -0.5, 0.3] {
            var m = [0.0, 0.0]
            for j in 0..<2 {
                func gate(_ k: Int) -> Double { wih[2 * k + j] * x + whh[2 * k + j] * h }
                c[j] = sigma(gate(1)) * c[j] + sigma(gate(0)) * tanh(gate(2))
                m[j] = sigma(gate(3)) * tanh(c[j])
            }
            h = whr[0] * m[0] + whr[1] * m[1]
        }
        let result = try lstm(t([3, 1, 1], [1, -0.5, 0.3]),
                              initialState: LSTMState(h: t([1, 1, 1], [0.25]), c: t([1, 1, 2], [0.1, -0.2])))
        #expect(result.output.shape == [3, 1, 1])
        try expectClose(result.hN, t([1, 1, 1], [Float(h)]), tolerance: 1e-6)
        try expectClose(try #require(result.cN), t([1, 1, 2], c.map(Float.init)), tolerance: 1e-6)
    }

    @Test("GRU, H = 1: b_hn is multiplied by r, not folded into the input side")
    func gruResetGateMultipliesHiddenBias() throws {
        let wih: [Double] = [0.4, -0.3, 0.8], whh: [Double] = [0.2, 0.5, -0.6]
        let bih: [Double] = [-3.0, 0.2, 0.1], bhh: [Double] = [0.1, -0.1, 1.5]
        let weights = TensorDictionary([
            "weight_ih_l0": try t([3, 1], wih.map(Float.init)), "weight_hh_l0": try t([3, 1], whh.map(Float.init)),
            "bias_ih_l0": try t([3], bih.map(Float.init)), "bias_hh_l0": try t([3], bhh.map(Float.init)),
        ])
        let gru = try GRU(loading: weights)
        var h = 0.4, folded = 0.4
        for x in [0.9, -0.4, 0.2] {
            func step(_ h: Double, foldBhn: Bool) -> Double {
                let r = sigma(wih[0] * x + bih[0] + whh[0] * h + bhh[0])
                let z = sigma(wih[1] * x + bih[1] + whh[1] * h + bhh[1])
                let n = foldBhn ? tanh(wih[2] * x + bih[2] + bhh[2] + r * (whh[2] * h))
                                : tanh(wih[2] * x + bih[2] + r * (whh[2] * h + bhh[2]))
                return (1 - z) * n + z * h
            }
            h = step(h, foldBhn: false)
            folded = step(folded, foldBhn: true)
        }
        #expect(abs(h - folded) > 0.05, "the case must tell the two formulas apart")
        let result = try gru(t([3, 1, 1], [0.9, -0.4, 0.2]), initialState: t([1, 1, 1], [0.4]))
        try expectClose(result.hN, t([1, 1, 1], [Float(h)]), tolerance: 1e-6)
    }

    @Test("cells: one step by hand, batched and unbatched")
    func cells() throws {
        let rnnCell = try RNNCell(loading: TensorDictionary([
            "weight_ih": t([1, 2], [0.5, -1]), "weight_hh": t([1, 1], [2]),
            "bias_ih": t([1], [0.1]), "bias_hh": t([1], [-0.2]),
        ]), nonlinearity: .relu)
        // relu(0.5·1 − 1·0.25 + 0.1 − 0.2 + 2·h): h = 0.5 → 1.15; h = −1 → 0.
        let h = try rnnCell(t([2, 2], [1, 0.25, 1, 0.25]), initialState: t([2, 1], [0.5, -1]))
        try expectClose(h, t([2, 1], [1.15, 0]), tolerance: 1e-6)
        let single = try rnnCell(t([2], [1, 0.25]), initialState: t([1], [0.5]))
        try expectClose(single, t([1], [1.15]), tolerance: 1e-6)

        let gruCell = try GRUCell(loading: TensorDictionary([
            "weight_ih": t([3, 1], [1, 2, 3]), "weight_hh": t([3, 1], [0.5, 0.5, 0.5]),
        ]))
        let x = 0.2, h0 = -0.3
        let r = sigma(1 * x + 0.5 * h0), z = sigma(2 * x + 0.5 * h0)
        let n = tanh(3 * x + r * 0.5 * h0)
        try expectClose(try gruCell(t([1], [0.2]), initialState: t([1], [-0.3])), t([1], [Float((1 - z) * n + z * h0)]), tolerance: 1e-6)
        // Without a state h starts at 0: h' = (1 − σ(2x))·tanh(3x).
        try expectClose(try gruCell(t([1, 1], [0.2])), t([1, 1], [Float((1 - sigma(0.4)) * tanh(0.6))]), tolerance: 1e-6)

        let lstmCell = try LSTMCell(loading: TensorDictionary([
            "weight_ih": t([4, 1], [1, 1, 1, 1]), "weight_hh": t([4, 1], [0, 0, 0, 0]),
            "bias_ih": t([4], [0, 0, 0, 0]), "bias_hh": t([4], [0, -1, 0, 0]),
        ]))
        let state = try lstmCell(t([1], [0.5]), initialState: LSTMState(h: t([1], [9]), c: t([1], [2])))
        let c1 = sigma(-0.5) * 2 + sigma(0.5) * tanh(0.5)
        try expectClose(state.c, t([1], [Float(c1)]), tolerance: 1e-6)
        try expectClose(state.h, t([1], [Float(sigma(0.5) * tanh(c1))]), tolerance: 1e-6)
    }
}

