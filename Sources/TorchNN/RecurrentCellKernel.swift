import TorchCheckpoint
import Foundation

/// The per-step arithmetic of one kind of recurrent cell, separated from the
/// weights and from the time loop so that ``RNN``, ``LSTM`` and ``GRU`` (and
/// their cells) share one driver (`RecurrentStack.run`).
///
/// The driver computes, for every batch row, the input projection
/// `x·W_ihᵀ + folded biases` (one GEMM over all T·B rows, G·H columns) and the
/// recurrent projection `h·W_hhᵀ + unfolded biases` (one GEMM per step); the
/// kernel turns the two G·H rows into the new state in one fused pass.
protocol RecurrentCellKernel: Sendable {
    /// The state the public API passes around: `h` (a ``FloatTensor``), or
    /// ``LSTMState`` for an LSTM. Layers take it as `initialState`, cells as `state`.
    associatedtype State: Sendable
    /// Wraps h (and c) as `State`.
    static func makeState(h: FloatTensor, c: FloatTensor?) -> State
    /// Splits `State` into h and c.
    static func components(of state: State) -> (h: FloatTensor, c: FloatTensor?)
    /// Gates stacked along the rows of `weight_ih` / `weight_hh` (G).
    static var gateCount: Int { get }
    /// Whether the cell carries `c` besides `h`.
    static var hasCellState: Bool { get }
    /// torch's class name of the sequence module ("RNN", "LSTM", "GRU").
    static var moduleName: String { get }
    /// Whether gate `gate`'s part of `bias_hh` may be added on the input side.
    /// True whenever the bias only enters as a sum with the input projection;
    /// GRU's `b_hn` is multiplied by the reset gate, so it must stay with `W_hn h`.
    static func foldsHiddenBias(gate: Int) -> Bool

    /// One fused pass for one batch row.
    /// - Parameters:
    ///   - hiddenSize: H.
    ///   - input: the G·H input projection of this row and step (folded biases included).
    ///   - recurrent: the G·H recurrent projection `W_hh h + unfolded biases`.
    ///   - hidden: H values: on entry the previous `h` (only GRU reads it), on exit the
    ///     new `h` (for an LSTM with projections, `o ⊙ tanh(c')` before `W_hr`).
    ///   - cell: H values of `c`, updated in place (nil for cells without one).
    func step(
        hiddenSize: Int,
        input: UnsafePointer<Float>,
        recurrent: UnsafePointer<Float>,
        hidden: UnsafeMutablePointer<Float>,
        cell: UnsafeMutablePointer<Float>?
    )
}

/// Elman RNN: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
struct RNNKernel: RecurrentCellKernel {
    typealias State = FloatTensor
    static var gateCount: Int { 1 }
    static var hasCellState: Bool { false }
    static var moduleName: String { "RNN" }
    static func foldsHiddenBias(gate: Int) -> Bool { true }
    static func makeState(h: FloatTensor, c: FloatTensor?) -> FloatTensor { h }
    static func components(of state: FloatTensor) -> (h: FloatTensor, c: FloatTensor?) { (state, nil) }

    var nonlinearity: Nonlinearity

    @inline(__always)
    func step(hiddenSize: Int, input: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
              hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>?) {
        switch nonlinearity {
        case .tanh:
            for j in 0..<hiddenSize { hidden[j] = tanhf(input[j] + recurrent[j]) }
        case .relu:
            for j in 0..<hiddenSize { hidden[j] = Nonlinearity.relu.apply(input[j] + recurrent[j]) }
        }
    }
}

/// LSTM, gates stored in torch's order i, f, g, o:
/// `c' = σ(f)⊙c + σ(i)⊙tanh(g)`, `h' = σ(o)⊙tanh(c')`.
struct LSTMKernel: RecurrentCellKernel {
    typealias State = LSTMState
    static var gateCount: Int { 4 }
    static var hasCellState: Bool { true }
    static var moduleName: String { "LSTM" }
    static func foldsHiddenBias(gate: Int) -> Bool { true }
    static func makeState(h: FloatTensor, c: FloatTensor?) -> LSTMState { LSTMState(h: h, c: c ?? FloatTensor(zeros: h.shape)) }
    static func components(of state: LSTMState) -> (h: FloatTensor, c: FloatTensor?) { (state.h, state.c) }

    @inline(__always)
    func step(hiddenSize H: Int, input: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
              hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>?) {
        guard let cell else { return }
        for j in 0..<H {
            let i = sigmoid(input[j] + recurrent[j])
            let f = sigmoid(input[H + j] + recurrent[H + j])
            let g = tanhf(input[2 * H + j] + recurrent[2 * H + j])
            let o = sigmoid(input[3 * H + j] + recurrent[3 * H + j])
            let c = f * cell[j] + i * g
            cell[j] = c
            hidden[j] = o * tanhf(c)
        }
    }
}

/// GRU, gates stored in torch's order r, z, n:
/// `n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))`, `h' = (1−z)⊙n + z⊙h`.
struct GRUKernel: RecurrentCellKernel {
    typealias State = FloatTensor
    static var gateCount: Int { 3 }
    static var hasCellState: Bool { false }
    static var moduleName: String { "GRU" }
    static func makeState(h: FloatTensor, c: FloatTensor?) -> FloatTensor { h }
    static func components(of state: FloatTensor) -> (h: FloatTensor, c: FloatTensor?) { (state, nil) }
    // r and z only ever see b_ih + b_hh as a sum; b_hn sits inside r ⊙ (...).
    static func foldsHiddenBias(gate: Int) -> Bool { gate != 2 }

    @inline(__always)
    func step(hiddenSize H: Int, input: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
              hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>?) {
        for j in 0..<H {
            let r = sigmoid(input[j] + recurrent[j])
            let z = sigmoid(input[H + j] + recurrent[H + j])
            let n = tanhf(input[2 * H + j] + r * recurrent[2 * H + j])
            // torch's fused CPU cell computes n + z⊙(h − n): same value, same rounding.
            hidden[j] = n + z * (hidden[j] - n)
        }
    }
}
