import Foundation
public import TorchTensor

/// Why a layer could not be built from a `TensorSource`.
///
/// Loading is strict, like `load_state_dict(strict=True)`: every tensor under
/// the prefix must be used, every parameter the layer needs must be present,
/// and every shape must fit. Each case names the full key (prefix included).
public enum WeightLoadingError: Error, LocalizedError, Hashable, Sendable {
    /// A parameter the layer needs is absent.
    case missingKey(String)
    /// A tensor under the prefix that is no parameter of the layer.
    case unexpectedKey(String)
    /// A parameter whose shape does not fit the layer the other weights describe.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// The weights do not determine the layer (no weights under the prefix,
    /// a gate count that is not 1, 3 or 4, a tensor that is not a matrix, ...).
    case cannotInfer(String)
    /// The weights describe another kind of module than the one asked for.
    case kindMismatch(expected: String, found: String)
    /// A parameter stored with a non-floating dtype.
    case unsupportedDType(key: String, dtype: DType)

    public var errorDescription: String? {
        switch self {
        case let .missingKey(key):
            return "missing weight '\(key)'"
        case let .unexpectedKey(key):
            return "unexpected weight '\(key)': it is not a parameter of this module (strict loading uses every tensor under the prefix)"
        case let .shapeMismatch(key, expected, found):
            return "weight '\(key)' has shape \(format(found)); expected \(format(expected))"
        case let .cannotInfer(reason):
            return "cannot infer the module from its weights: \(reason)"
        case let .kindMismatch(expected, found):
            return "expected the weights of a \(expected), but they describe a \(found)"
        case let .unsupportedDType(key, dtype):
            return "weight '\(key)' has dtype \(dtype.rawValue); expected a floating-point dtype"
        }
    }
}

/// `[4, 3]` → `(4, 3)`, torch's way of printing a shape.
func format(_ shape: [Int]) -> String { TensorShape.format(shape) }
