import Foundation
import TorchTensor
internal import CRecurrentKernels

/// The per-step arithmetic of one kind of recurrent cell, separated from the
/// weights and from the time loop so that ``RNN``, ``LSTM`` and ``GRU`` (and
/// their cells) share one driver (`RecurrentStack.run`).
///
/// The driver computes, for every batch row, the input side `x·W_ihᵀ + folded biases`
/// (projected ahead of the steps, or part of each step's product: ``InputPlan``) and
/// the recurrent projection `h·W_hhᵀ` against the packed `W_hh` fused with the gate
/// nonlinearities and state update (`trk_run`, one call per step).
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

    /// The fused step of the own kernel (`trk_run`) for this cell.
    var stepKind: trk_kind { get }
}

extension RecurrentCellKernel {
    /// Whether one product [x | h]·[W_ih | W_hh]ᵀ may replace the two: true when every
    /// gate only ever sees the sum of its input and hidden sides (RNN, LSTM), false for
    /// GRU, whose n gate multiplies the hidden side alone by r.
    static var sumsInputAndHidden: Bool { (0..<gateCount).allSatisfy(foldsHiddenBias(gate:)) }
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
    var stepKind: trk_kind { nonlinearity == .tanh ? TRK_RNN_TANH : TRK_RNN_RELU }
}

/// LSTM, gates stored in torch's order i, f, g, o:
/// `c' = σ(f)⊙c + σ(i)⊙tanh(g)`, `h' = σ(o)⊙tanh(c')`.
struct LSTMKernel: RecurrentCellKernel {
    typealias State = LSTMState
    static var gateCount: Int { 4 }
    static var hasCellState: Bool { true }
    static var moduleName: String { "LSTM" }
    static func foldsHiddenBias(gate: Int) -> Bool { true }
    static func makeState(h: FloatTensor, c: FloatTensor?) -> LSTMState { LSTMState(h: h, c: c ?? FloatTensor(uncheckedShape: h.shape, scalars: [Float](repeating: 0, count: h.scalars.count))) }
    static func components(of state: LSTMState) -> (h: FloatTensor, c: FloatTensor?) { (state.h, state.c) }
    var stepKind: trk_kind { TRK_LSTM }
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
    var stepKind: trk_kind { TRK_GRU }
}
