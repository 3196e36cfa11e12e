import TorchTensor
import Foundation

/// Why a layer refused its arguments: a wrong shape, an out-of-range length or
/// index, an unsupported request. Thrown instead of trapping, so data read from
/// disk or the network can never crash the process.
public enum LayerInputError: Error, LocalizedError, Equatable, Sendable {
    /// A tensor of a rank the layer does not take; `expected` describes the accepted shapes.
    case wrongRank(argument: String, expected: String, found: [Int])
    /// A tensor whose shape does not match what the layer and the other arguments require.
    case shapeMismatch(argument: String, expected: [Int], found: [Int])
    /// A tensor whose `scalars.count` does not match its `shape` (or with a negative extent).
    case inconsistentTensor(argument: String, shape: [Int], scalarCount: Int)
    /// A sequence with no time steps or a batch with no entries.
    case empty(argument: String, shape: [Int])
    /// `lengths` must have one entry per batch entry.
    case lengthsCount(expected: Int, found: Int)
    /// A sequence length outside `1...T`.
    case lengthOutOfRange(batchIndex: Int, length: Int, steps: Int)
    /// An embedding index outside `0..<numEmbeddings`.
    case indexOutOfRange(position: Int, index: Int, count: Int)
    /// A configuration the layer cannot be built with (zero sizes, `projSize >= hiddenSize`, ...).
    case invalidConfiguration(String)
    /// An operation this layer does not support (streaming a bidirectional layer, a cell state for a GRU, ...).
    case unsupported(String)

    public var errorDescription: String? {
        switch self {
        case let .wrongRank(argument, expected, found):
            return "\(argument) has shape \(format(found)); expected \(expected)"
        case let .shapeMismatch(argument, expected, found):
            return "\(argument) has shape \(format(found)); expected \(format(expected))"
        case let .inconsistentTensor(argument, shape, count):
            return "\(argument) has shape \(format(shape)) but holds \(count) scalars"
        case let .empty(argument, shape):
            return "\(argument) has shape \(format(shape)); a sequence needs at least one step and one batch entry"
        case let .lengthsCount(expected, found):
            return "lengths has \(found) entries; expected one per batch entry (\(expected))"
        case let .lengthOutOfRange(batchIndex, length, steps):
            return "lengths[\(batchIndex)] is \(length); every length must be in 1...\(steps) (the number of time steps)"
        case let .indexOutOfRange(position, index, count):
            return "index \(index) at position \(position) is out of range for an embedding of \(count) rows (0..<\(count))"
        case let .invalidConfiguration(reason):
            return "invalid layer configuration: \(reason)"
        case let .unsupported(reason):
            return reason
        }
    }
}

extension FloatTensor {
    /// Throws unless `scalars.count` matches `shape` (the fields are public
    /// `var`s, so a tensor can be made inconsistent after its checked init).
    func validated(_ argument: String) throws -> FloatTensor {
        guard TensorShape.checkedElementCount(shape) == scalars.count else {
            throw LayerInputError.inconsistentTensor(argument: argument, shape: shape, scalarCount: scalars.count)
        }
        return self
    }
}
