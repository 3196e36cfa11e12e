public import TorchTensor

/// What a recurrent sequence module returns.
///
/// Letters: T steps, B batch entries, H hidden size, P projection size,
/// H_out = P when `projSize > 0` else H, L layers, D = 2 if bidirectional else 1.
public struct RecurrentOutput: Sendable, Equatable {
    /// (T, B, D·H_out), (B, T, D·H_out) with `batchFirst`, or (T, D·H_out) unbatched.
    /// Steps at or past a sequence's length are zero.
    public var output: FloatTensor
    /// (L·D, B, H_out), or (L·D, H_out) unbatched; layer-major, direction-minor.
    /// With lengths, each sequence's state at its last valid step.
    public var hN: FloatTensor
    /// (L·D, B, H), or (L·D, H) unbatched: the LSTM's final cell state; nil for RNN and GRU.
    public var cN: FloatTensor?

    /// A result from its parts (shapes as above).
    public init(output: FloatTensor, hN: FloatTensor, cN: FloatTensor?) {
        self.output = output
        self.hN = hN
        self.cN = cN
    }
}

/// The `(h, c)` pair an LSTM or LSTM cell carries.
public struct LSTMState: Sendable, Equatable {
    /// h: (L·D, B, H_out) for a layer, (B, H) for a cell; unbatched without the B axis.
    public var h: FloatTensor
    /// c: (L·D, B, H) for a layer, (B, H) for a cell; unbatched without the B axis.
    public var c: FloatTensor

    /// A state from h and c (shapes as above).
    public init(h: FloatTensor, c: FloatTensor) {
        self.h = h
        self.c = c
    }
}
