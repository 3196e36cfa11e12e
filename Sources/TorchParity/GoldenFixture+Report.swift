import Foundation
import TorchCheckpoint
import TorchNN
import TorchTensor

/// The outcome of ``GoldenFixture/verify()``.
public struct GoldenReport: Sendable, Equatable, CustomStringConvertible {
    /// One element of a compared tensor.
    public struct Element: Sendable, Equatable {
        /// The element's position in the tensor's shape (torch's `t[i, j, k]`).
        public var index: [Int]
        /// torch's value.
        public var expected: Double
        /// The Swift layers' value.
        public var actual: Double
        /// `atol + rtol·|expected|` at this element.
        public var tolerance: Double

        /// |actual − expected| (NaN when either is NaN).
        public var error: Double { abs(actual - expected) }
    }

    /// One result tensor compared with torch's.
    public struct Comparison: Sendable, Equatable {
        /// "output", "h_n" or "c_n".
        public var name: String
        /// The golden tensor's shape.
        public var expectedShape: [Int]
        /// The Swift result's shape.
        public var actualShape: [Int]
        /// max |actual − expected| (∞ when the shapes differ, NaN when a value is NaN).
        public var maxAbsError: Double
        /// Elements outside `atol + rtol·|expected|` (all of them when the shapes differ).
        public var mismatches: Int
        /// The element furthest outside its tolerance (largest |error| / tolerance; a NaN first);
        /// nil when the shapes differ or the tensor is empty.
        public var worst: Element?

        /// Whether the shapes agree and every element is within tolerance.
        public var passed: Bool { expectedShape == actualShape && mismatches == 0 }

        /// Number of elements compared (of the expected tensor); `Int.max` for a shape
        /// whose element count overflows (a report edited by hand), never a trap.
        public var count: Int { TensorShape.count(ofChecked: expectedShape) }
    }

    /// The fixture folder's name.
    public var name: String
    /// The module ("LSTM") or the steps ("Embedding -> LSTM -> last_step -> Linear").
    public var module: String
    /// The fixture's absolute tolerance.
    public var atol: Double
    /// The fixture's relative tolerance.
    public var rtol: Double
    /// Each compared tensor, in the order output, h_n, c_n.
    public var comparisons: [Comparison]

    /// Whether every compared tensor passed.
    public var passed: Bool { comparisons.allSatisfy(\.passed) }

    public var description: String {
        var lines = ["\(passed ? "PASS" : "FAIL") \(name) (\(module), atol \(atol), rtol \(rtol))"]
        for c in comparisons { lines.append("  \(c.passed ? "ok  " : "FAIL") \(c.detail)") }
        return lines.joined(separator: "\n")
    }
}

extension GoldenReport.Comparison {
    /// "3 of 60 elements out of tolerance; worst at [0, 2, 3]: expected 0.125, got 0.126 (|err| 0.001 > tol 1.13e-05)".
    /// Values print with 9 significant digits, enough to tell any two Float32 apart.
    public func failureSummary(_ worst: GoldenReport.Element) -> String {
        let index = "[" + worst.index.map(String.init).joined(separator: ", ") + "]"
        return "\(mismatches) of \(count) element\(count == 1 ? "" : "s") out of tolerance; worst at \(index): "
            + "expected \(String(format: "%.9g", worst.expected)), got \(String(format: "%.9g", worst.actual)) "
            + "(|err| \(String(format: "%.3g", worst.error)) > tol \(String(format: "%.3g", worst.tolerance)))"
    }

    /// Compares `actual` with `expected` element by element:
    /// an element passes when `|actual − expected| ≤ atol + rtol·|expected|`.
    static func compare(_ name: String, actual: FloatTensor?, expected: FloatTensor, atol: Double, rtol: Double) -> Self {
        guard let actual, actual.shape == expected.shape, actual.scalars.count == expected.scalars.count else {
            return .init(name: name, expectedShape: expected.shape, actualShape: actual?.shape ?? [],
                         maxAbsError: .infinity, mismatches: expected.scalars.count, worst: nil)
        }
        var maxError = 0.0
        var mismatches = 0
        var worstIndex: Int?
        var worstRatio = -Double.infinity
        for index in expected.scalars.indices {
            let a = Double(actual.scalars[index]), b = Double(expected.scalars[index])
            let error = abs(a - b)
            let tolerance = atol + rtol * abs(b)
            // Written so that NaN on either side counts as a mismatch.
            if !(error <= tolerance) { mismatches += 1 }
            if error > maxError || error.isNaN && !maxError.isNaN { maxError = error }
            // How far outside (or inside) its own tolerance; NaN beats everything.
            let ratio = error.isNaN ? .infinity : tolerance > 0 ? error / tolerance : (error > 0 ? .infinity : 0)
            if worstIndex == nil || ratio > worstRatio {
                worstRatio = ratio
                worstIndex = index
            }
        }
        let worst = worstIndex.map { index in
            GoldenReport.Element(index: multiIndex(index, shape: expected.shape),
                                 expected: Double(expected.scalars[index]), actual: Double(actual.scalars[index]),
                                 tolerance: atol + rtol * abs(Double(expected.scalars[index])))
        }
        return .init(name: name, expectedShape: expected.shape, actualShape: actual.shape,
                     maxAbsError: maxError, mismatches: mismatches, worst: worst)
    }
}

/// The row-major multi-index of flat position `flat` in `shape` ([] for a 0-d tensor).
func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}
