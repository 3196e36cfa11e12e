/// Shape arithmetic, checked in one place: every element count, axis and
/// stride the library computes from a shape that may come from a file goes
/// through here, so a negative extent or an overflowing product is a
/// ``TensorError`` rather than a trap.
public enum TensorShape {
    /// The number of elements of `shape` (1 for a 0-d shape `[]`).
    /// - Throws: ``TensorError/negativeExtent(shape:)``, ``TensorError/elementCountOverflow(shape:)``.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for extent in shape {
            guard extent >= 0 else { throw TensorError.negativeExtent(shape: shape) }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw TensorError.elementCountOverflow(shape: shape) }
            count = product
        }
        return count
    }

    /// Throws unless `count` scalars fill `shape` exactly.
    /// - Throws: ``TensorError/scalarCountMismatch(shape:scalarCount:)``, or the errors of ``elementCount(_:)``.
    public static func requireScalarCount(_ count: Int, fills shape: [Int]) throws {
        guard try elementCount(shape) == count else {
            throw TensorError.scalarCountMismatch(shape: shape, scalarCount: count)
        }
    }

    /// ``elementCount(_:)`` as an optional, for callers that map the failure to their own error.
    public static func checkedElementCount(_ shape: [Int]) -> Int? {
        try? elementCount(shape)
    }

    /// The element count of a shape a reader or a layer has already checked with
    /// ``elementCount(_:)``; saturates at `Int.max` instead of trapping should an
    /// unchecked shape reach it.
    package static func count(ofChecked shape: [Int]) -> Int {
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: Swift.max(extent, 0))
            if overflow { return .max }
            count = product
        }
        return count
    }

    /// `count · itemSize` bytes, or nil when it overflows.
    public static func byteCount(elements count: Int, itemSize: Int) -> Int? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: itemSize)
        return overflow || bytes < 0 ? nil : bytes
    }

    /// A torch-style axis (negative counts from the end) as an index into a shape of `rank` axes.
    /// - Throws: ``TensorError/axisOutOfRange(axis:rank:)``.
    public static func normalizedAxis(_ axis: Int, rank: Int) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved < rank else { throw TensorError.axisOutOfRange(axis: axis, rank: rank) }
        return resolved
    }

    /// (outer, extent, inner): the products of the axes before, at and after `axis`.
    /// Only called on validated shapes, whose sub-products cannot overflow.
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }
}
