import TorchTensor
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

    /// One fused pass for one batch row: SIMD over the H units (``VectorMath``), each
    /// chunk of units loading all G gates' pre-activations, applying the gate
    /// nonlinearities and updating the state in registers, with no scalar `expf`/`tanhf`.
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
    func step(hiddenSize H: Int, input: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
              hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>?) {
        switch nonlinearity {
        case .tanh:
            forEachChunk(H) { j, n in
                VectorMath.store(VectorMath.tanh(VectorMath.load(input + j, n) + VectorMath.load(recurrent + j, n)), hidden + j, n)
            }
        case .relu:
            forEachChunk(H) { j, n in
                let s = VectorMath.load(input + j, n) + VectorMath.load(recurrent + j, n)
                // Same as Nonlinearity.relu: x ≤ 0 gives 0, NaN (every comparison false) stays NaN.
                VectorMath.store(s.replacing(with: 0, where: s .<= 0), hidden + j, n)
            }
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
    static func makeState(h: FloatTensor, c: FloatTensor?) -> LSTMState { LSTMState(h: h, c: c ?? FloatTensor(uncheckedShape: h.shape, scalars: [Float](repeating: 0, count: h.scalars.count))) }
    static func components(of state: LSTMState) -> (h: FloatTensor, c: FloatTensor?) { (state.h, state.c) }

    @inline(__always)
    func step(hiddenSize H: Int, input: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
              hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>?) {
        guard let cell else { return }
        forEachChunk(H) { j, n in
            @inline(__always) func gate(_ k: Int) -> VectorMath.Vector {
                VectorMath.load(input + k * H + j, n) + VectorMath.load(recurrent + k * H + j, n)
            }
            let i = VectorMath.sigmoid(gate(0))
            let f = VectorMath.sigmoid(gate(1))
            let g = VectorMath.tanh(gate(2))
            let o = VectorMath.sigmoid(gate(3))
            let c = f * VectorMath.load(cell + j, n) + i * g
            VectorMath.store(c, cell + j, n)
            VectorMath.store(o * VectorMath.tanh(c), hidden + j, n)
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
        forEachChunk(H) { j, count in
            let r = VectorMath.sigmoid(VectorMath.load(input + j, count) + VectorMath.load(recurrent + j, count))
            let z = VectorMath.sigmoid(VectorMath.load(input + H + j, count) + VectorMath.load(recurrent + H + j, count))
            let n = VectorMath.tanh(VectorMath.load(input + 2 * H + j, count) + r * VectorMath.load(recurrent + 2 * H + j, count))
            // torch's fused CPU cell computes n + z⊙(h − n): same value, same rounding.
            let h = VectorMath.load(hidden + j, count)
            VectorMath.store(n + z * (h - n), hidden + j, count)
        }
    }
}

/// Calls `body(j, n)` for consecutive chunks `j..<j+n` covering `0..<count`:
/// full vectors (n = `VectorMath.width`), then one shorter tail. The loads and
/// stores of `VectorMath` taking `n` read and write only those n elements.
@inline(__always)
func forEachChunk(_ count: Int, _ body: (_ start: Int, _ length: Int) -> Void) {
    let width = VectorMath.width
    var j = 0
    while j + width <= count {
        body(j, width)
        j += width
    }
    if j < count { body(j, count - j) }
}
