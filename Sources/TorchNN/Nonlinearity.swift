/// The activation of ``RNN`` and ``RNNCell``: torch's `nonlinearity` argument.
///
/// The kernels apply it (and the sigmoids of LSTM and GRU) over whole vectors:
/// `tanh` with the branch-free vector tanh of the step kernel, `relu` as `x > 0 ? x : 0` with NaN
/// kept, as `torch.relu` does.
public enum Nonlinearity: String, Sendable, CaseIterable, Codable {
    /// h' = tanh(...), torch's default.
    case tanh
    /// h' = max(0, ...).
    case relu
}
