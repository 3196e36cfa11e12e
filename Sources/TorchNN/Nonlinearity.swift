import Foundation

/// The activation of ``RNN`` and ``RNNCell``: torch's `nonlinearity` argument.
public enum Nonlinearity: String, Sendable, CaseIterable, Codable {
    case tanh
    case relu

    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .tanh: return tanhf(x)
        // max(x, 0) keeps NaN propagation as torch.relu does (NaN compares false).
        case .relu: return x > 0 ? x : (x.isNaN ? x : 0)
        }
    }
}

/// σ(x) = 1 / (1 + e^(−x)). For very negative x, e^(−x) overflows to +∞ and the
/// result is exactly 0; for very positive x it rounds to exactly 1: no NaN either way.
@inline(__always)
func sigmoid(_ x: Float) -> Float {
    1 / (1 + expf(-x))
}
