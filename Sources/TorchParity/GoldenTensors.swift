public import Foundation
public import TorchCheckpoint

/// Tensors that real PyTorch computed, saved by your own script (`torch.save({...})`
/// or `safetensors.torch.save_file`), to compare your Swift model's results with.
///
/// ```swift
/// import Testing
/// import TorchParity
///
/// @Test func embeddingsMatchTorch() throws {
///     let golden = try GoldenTensors(contentsOf: URL(fileURLWithPath: "parity/speaker.safetensors"))
///     let embeddings = try model(golden.tensor("frames"))
///     let comparison = try golden.compare(embeddings, with: "embeddings", atol: 1e-5, rtol: 0)
///     #expect(comparison.passed, "\(comparison)")
/// }
/// ```
public struct GoldenTensors: Sendable {
    /// The file the tensors come from.
    public let url: URL
    private let store: any TensorStore

    /// Opens a `.pt` checkpoint, a safetensors file or a sharded index, by its content.
    /// - Throws: `CheckpointError` for a file that cannot be read.
    public init(contentsOf url: URL) throws {
        self.url = url
        store = try TensorFile.open(url.path)
    }

    /// Every tensor's name, in file order.
    public var names: [String] { store.tensorNames }

    /// A floating-point tensor as Float32.
    public func tensor(_ name: String) throws -> FloatTensor { try store.floatTensor(name) }

    /// An integer tensor (token indices, lengths) as Int64.
    public func integerTensor(_ name: String) throws -> IntegerTensor { try store.integerTensor(name) }

    /// Compares `actual` with the golden tensor `name`: an element passes when
    /// `|actual − expected| ≤ atol + rtol·|expected|` (NaN never passes).
    public func compare(_ actual: FloatTensor, with name: String, atol: Double = 1e-5, rtol: Double = 1e-5) throws -> TensorComparison {
        TensorComparison(name: name, actual: actual, expected: try tensor(name), atol: atol, rtol: rtol)
    }
}

/// One tensor compared with torch's: max |error|, the number of elements out of
/// tolerance and the worst one (its index, expected and actual values).
public typealias TensorComparison = GoldenReport.Comparison

extension GoldenReport.Comparison: CustomStringConvertible {
    /// Compares any two tensors element by element: an element passes when
    /// `|actual − expected| ≤ atol + rtol·|expected|` (NaN never passes; shapes must be equal).
    /// - Parameters:
    ///   - name: what the report calls the tensor.
    ///   - actual: the Swift result.
    ///   - expected: torch's result.
    ///   - atol: the absolute tolerance.
    ///   - rtol: the tolerance relative to |expected|.
    public init(name: String, actual: FloatTensor, expected: FloatTensor, atol: Double, rtol: Double) {
        self = .compare(name, actual: actual, expected: expected, atol: atol, rtol: rtol)
    }

    /// "PASS embeddings (3, 256) max |err| 2.4e-07", or the failure with its worst element.
    public var description: String { "\(passed ? "PASS" : "FAIL") \(detail)" }

    /// The description without its PASS/FAIL: "embeddings (3, 256) max |err| 2.4e-07", or
    /// the shapes that differ, or the failure with its worst element (a fixture's report
    /// prints these under its own heading).
    var detail: String {
        let line = "\(name) \(TensorShape.format(expectedShape))"
        if actualShape != expectedShape { return line + " but got \(TensorShape.format(actualShape))" }
        let error = line + " max |err| \(maxAbsError)"
        guard mismatches > 0, let worst else { return error }
        return error + "; " + failureSummary(worst)
    }
}
