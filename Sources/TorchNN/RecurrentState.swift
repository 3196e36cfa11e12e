public import TorchTensor

/// The initial state of a module whose kind is known only at run time (``RecurrentModule``).
/// Typed modules take theirs directly: `initialState:` is an ``LSTMState`` for ``LSTM`` and
/// ``LSTMCell``, a `FloatTensor` h0 for the others.
public enum RecurrentState: Sendable, Equatable {
    /// h0 of an RNN or GRU: (L·D, B, H), (B, H) for a cell; unbatched without the B axis.
    case hidden(FloatTensor)
    /// h0 and c0 of an LSTM or LSTM cell.
    case lstm(LSTMState)
}
