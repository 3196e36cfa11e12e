import Foundation
import Testing
import TorchCheckpoint
@testable import TorchNN

/// Reproducible random tensors for consistency tests.
struct TensorFactory {
    var generator: SeededGenerator

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    mutating func uniform(_ shape: [Int], scale: Float = 1) -> FloatTensor {
        FloatTensor(uncheckedShape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -scale...scale, using: &generator) })
    }
}

/// Max |a − b| over two same-shaped tensors (∞ when the shapes differ).
func maxDifference(_ a: FloatTensor, _ b: FloatTensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Expects equal shapes and every element within `tolerance`.
func expectClose(_ a: FloatTensor, _ b: FloatTensor, tolerance: Float = 1e-5,
                 _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.shape == b.shape, comment, sourceLocation: sourceLocation)
    let difference = maxDifference(a, b)
    #expect(difference <= tolerance, "max |difference| \(difference) > \(tolerance). \(comment.map { "\($0)" } ?? "")",
            sourceLocation: sourceLocation)
}

extension FloatTensor {
    /// The first `count` entries along axis 0.
    func prefix(_ count: Int) -> FloatTensor {
        let inner = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = count
        return FloatTensor(uncheckedShape: newShape, scalars: Array(scalars[..<(count * inner)]))
    }

    /// Entries along axis 0 in reverse order.
    func reversedAlongFirstAxis() -> FloatTensor {
        let inner = shape.dropFirst().reduce(1, *)
        var values: [Float] = []
        for t in stride(from: shape[0] - 1, through: 0, by: -1) {
            values.append(contentsOf: scalars[(t * inner)..<((t + 1) * inner)])
        }
        return FloatTensor(uncheckedShape: shape, scalars: values)
    }

    /// Columns `range` of the last axis.
    func columns(_ range: Range<Int>) -> FloatTensor {
        let width = shape.last!
        let rows = scalars.count / width
        var values: [Float] = []
        for r in 0..<rows { values.append(contentsOf: scalars[(r * width + range.lowerBound)..<(r * width + range.upperBound)]) }
        var newShape = shape
        newShape[newShape.count - 1] = range.count
        return FloatTensor(uncheckedShape: newShape, scalars: values)
    }

    /// Stacks equally shaped tensors along a new axis `axis`.
    static func stack(_ parts: [FloatTensor], axis: Int) -> FloatTensor {
        let shape = parts[0].shape
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[axis...].reduce(1, *)
        var values: [Float] = []
        for o in 0..<outer {
            for part in parts { values.append(contentsOf: part.scalars[(o * inner)..<((o + 1) * inner)]) }
        }
        var newShape = shape
        newShape.insert(parts.count, at: axis)
        return FloatTensor(uncheckedShape: newShape, scalars: values)
    }
}

/// The tensors of `source` named in `mapping`, under their new names (others dropped).
func renamed(_ source: TensorDictionary, _ mapping: [String: String]) -> TensorDictionary {
    var result = TensorDictionary()
    for name in source.tensorNames {
        if let target = mapping[name] { result[target] = source[name] }
    }
    return result
}

/// A TensorSource that reports a chosen dtype for some names (TensorDictionary is always float32).
struct RetypedSource: TensorSource {
    var base: TensorDictionary
    var dtypes: [String: DType]

    var tensorNames: [String] { base.tensorNames }

    func descriptor(of name: String) -> TensorDescriptor? {
        guard var descriptor = base.descriptor(of: name) else { return nil }
        descriptor.dtype = dtypes[name] ?? descriptor.dtype
        return descriptor
    }

    func floatTensor(_ name: String) throws -> FloatTensor {
        if let dtype = dtypes[name], !dtype.isFloatingPoint {
            throw CheckpointError.wrongDType(file: "<test>", name: name, found: dtype, expected: "a floating-point dtype")
        }
        return try base.floatTensor(name)
    }

    func integerTensor(_ name: String) throws -> IntegerTensor {
        try base.integerTensor(name)
    }
}
