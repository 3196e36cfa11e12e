import Foundation

/// Why a tensor could not be built or an operation could not run. Every case
/// names the shapes, axes and indices involved; nothing in ``FloatTensor`` or
/// ``IntegerTensor`` traps on sizes that disagree.
public enum TensorError: Error, LocalizedError, Equatable, Sendable {
    /// A shape with an extent below zero.
    case negativeExtent(shape: [Int])
    /// A shape whose element count does not fit in `Int`.
    case elementCountOverflow(shape: [Int])
    /// `scalars.count` differs from the number of elements `shape` holds.
    case scalarCountMismatch(shape: [Int], scalarCount: Int)
    /// An axis outside `-rank..<rank`.
    case axisOutOfRange(axis: Int, rank: Int)
    /// An index outside `-extent..<extent` along `axis`.
    case indexOutOfRange(axis: Int, index: Int, extent: Int)
    /// A range `start..<end` outside `0...extent` along `axis`.
    case rangeOutOfBounds(axis: Int, start: Int, end: Int, extent: Int)
    /// Two shapes that do not broadcast together (torch's broadcasting rules).
    case notBroadcastable(operation: String, lhs: [Int], rhs: [Int])
    /// A tensor with another number of axes than the operation takes; `expected` in torch's letters.
    case wrongRank(operation: String, expected: String, found: [Int])
    /// A shape an operation cannot take, with the shape it expected.
    case shapeMismatch(operation: String, expected: [Int], found: [Int])
    /// A reshape to a shape of another size, or with more than one `-1`.
    case invalidReshape(from: [Int], to: [Int])
    /// An operation that needs at least one tensor, or one element along the axis.
    case empty(operation: String, shape: [Int])
    /// `lengths` must have one entry per batch entry.
    case lengthsCount(expected: Int, found: Int)
    /// A sequence length outside `1...T`.
    case lengthOutOfRange(batchIndex: Int, length: Int, steps: Int)
    /// No tensor of that name in an in-memory ``TensorDictionary``.
    case noSuchTensor(name: String)
    /// A tensor of another dtype than the accessor reads.
    case wrongDType(name: String, found: DType, expected: String)

    public var errorDescription: String? {
        switch self {
        case let .negativeExtent(shape):
            return "shape \(TensorShape.format(shape)) has a negative extent"
        case let .elementCountOverflow(shape):
            return "shape \(TensorShape.format(shape)) holds more elements than Int can count"
        case let .scalarCountMismatch(shape, count):
            return "shape \(TensorShape.format(shape)) does not hold \(count) scalars"
        case let .axisOutOfRange(axis, rank):
            return "axis \(axis) is out of range for a tensor of \(rank) axes (expected \(-rank)..<\(rank))"
        case let .indexOutOfRange(axis, index, extent):
            return "index \(index) is out of range for axis \(axis) of extent \(extent)"
        case let .rangeOutOfBounds(axis, start, end, extent):
            return "range \(start)..<\(end) is out of bounds for axis \(axis) of extent \(extent)"
        case let .notBroadcastable(operation, lhs, rhs):
            return "\(operation): shapes \(TensorShape.format(lhs)) and \(TensorShape.format(rhs)) do not broadcast"
        case let .wrongRank(operation, expected, found):
            return "\(operation): found shape \(TensorShape.format(found)); expected \(expected)"
        case let .shapeMismatch(operation, expected, found):
            return "\(operation): found shape \(TensorShape.format(found)); expected \(TensorShape.format(expected))"
        case let .invalidReshape(from, to):
            return "cannot reshape \(TensorShape.format(from)) to \(TensorShape.format(to))"
        case let .empty(operation, shape):
            return "\(operation) needs at least one element, got shape \(TensorShape.format(shape))"
        case let .lengthsCount(expected, found):
            return "lengths has \(found) entries; expected one per batch entry (\(expected))"
        case let .lengthOutOfRange(batchIndex, length, steps):
            return "lengths[\(batchIndex)] is \(length); every length must be in 1...\(steps) (the number of time steps)"
        case let .noSuchTensor(name):
            return "no tensor named '\(name)'"
        case let .wrongDType(name, found, expected):
            return "tensor '\(name)' has dtype \(found.rawValue); expected \(expected)"
        }
    }
}

extension TensorShape {
    /// `[4, 3]` → `(4, 3)`, torch's way of printing a shape.
    public static func format(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }
}
