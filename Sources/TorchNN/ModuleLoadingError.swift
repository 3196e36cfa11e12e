import Foundation

/// Every problem of one whole-model load, together — what
/// `load_state_dict(strict=True)` reports as missing, unexpected and size-mismatched keys.
public struct ModuleLoadingError: Error, LocalizedError, Equatable, Sendable {
    /// The prefix the model was loaded under ("" for none).
    public var prefix: String
    /// Each problem, in the order found (unexpected keys last).
    public var problems: [WeightLoadingError]

    /// An error for the model under `prefix` with every problem found.
    public init(prefix: String, problems: [WeightLoadingError]) {
        self.prefix = prefix
        self.problems = problems
    }

    /// Parameters the model needs that the source lacks.
    public var missingKeys: [String] {
        problems.compactMap { if case let .missingKey(key) = $0 { key } else { nil } }
    }

    /// Tensors under the prefix that no parameter used.
    public var unexpectedKeys: [String] {
        problems.compactMap { if case let .unexpectedKey(key) = $0 { key } else { nil } }
    }

    /// Parameters present with another shape than the model's.
    public var mismatchedKeys: [String] {
        problems.compactMap { if case let .shapeMismatch(key, _, _) = $0 { key } else { nil } }
    }

    public var errorDescription: String? {
        let count = problems.count
        let under = prefix.isEmpty ? "" : " under '\(prefix)'"
        let lines = problems.map { "  - " + ($0.errorDescription ?? "\($0)") }
        return "\(count) problem\(count == 1 ? "" : "s") loading the model\(under):\n" + lines.joined(separator: "\n")
    }
}
