import Foundation

/// What `ptconvert convert` does to names and dtypes on the way out, usable
/// from Swift too: keep the tensors under a prefix (and strip it), rename with
/// regular expressions, cast floating tensors.
public struct ConversionOptions: Sendable {
    /// The dtype floating tensors are written as.
    public enum Cast: String, Sendable, CaseIterable {
        case keep, float32, float16, bfloat16

        var target: DType? {
            switch self {
            case .keep: return nil
            case .float32: return .float32
            case .float16: return .float16
            case .bfloat16: return .bfloat16
            }
        }
    }

    /// A rename rule: `pattern` (a regular expression) replaced by `replacement`
    /// (which may use `$1`-style group references) in every name.
    public struct Rename: Sendable {
        public let pattern: String
        public let replacement: String
        let expression: NSRegularExpression

        /// Parses `PATTERN=REPLACEMENT`, split at the first `=`.
        public init(_ rule: String) throws {
            guard let equals = rule.firstIndex(of: "=") else {
                throw ConversionError.invalidRename(rule: rule, reason: "expected PATTERN=REPLACEMENT")
            }
            try self.init(pattern: String(rule[..<equals]), replacement: String(rule[rule.index(after: equals)...]))
        }

        public init(pattern: String, replacement: String) throws {
            self.pattern = pattern
            self.replacement = replacement
            do {
                expression = try NSRegularExpression(pattern: pattern)
            } catch {
                throw ConversionError.invalidRename(rule: "\(pattern)=\(replacement)", reason: "not a valid regular expression")
            }
        }

        func apply(_ name: String) -> String {
            expression.stringByReplacingMatches(in: name, range: NSRange(name.startIndex..., in: name), withTemplate: replacement)
        }
    }

    public var select: String?
    public var renames: [Rename]
    public var cast: Cast

    public init(select: String? = nil, renames: [Rename] = [], cast: Cast = .keep) {
        self.select = select
        self.renames = renames
        self.cast = cast
    }
}

/// The tensors a conversion writes, each with its source and output name.
public struct ConversionPlan: Sendable {
    public struct Entry: Sendable {
        public let sourceName: String
        public let outputName: String
        public let sourceDType: DType
        public let dtype: DType
        public let shape: [Int]
        public var byteCount: Int {
            TensorShape.byteCount(elements: TensorShape.count(ofChecked: shape), itemSize: dtype.itemSize) ?? .max
        }
    }

    public let entries: [Entry]
    private let store: any TensorStore

    public init(source store: any TensorStore, options: ConversionOptions = ConversionOptions()) throws {
        self.store = store
        var entries: [Entry] = []
        var claimed: [String: String] = [:]
        for tensor in store.tensors {
            var name = tensor.name
            if let prefix = options.select {
                guard name.hasPrefix(prefix) else { continue }
                name.removeFirst(prefix.count)
            }
            for rule in options.renames { name = rule.apply(name) }
            guard !name.isEmpty else { throw ConversionError.emptyName(source: tensor.name) }
            if let other = claimed[name] {
                throw ConversionError.nameCollision(name: name, first: other, second: tensor.name)
            }
            claimed[name] = tensor.name
            let dtype = tensor.dtype.isFloatingPoint ? (options.cast.target ?? tensor.dtype) : tensor.dtype
            entries.append(Entry(sourceName: tensor.name, outputName: name, sourceDType: tensor.dtype, dtype: dtype, shape: tensor.shape))
        }
        if entries.isEmpty {
            throw ConversionError.nothingSelected(file: store.path, prefix: options.select)
        }
        self.entries = entries
    }

    /// Bytes written in all (saturating: views can be logically huge, and the
    /// writers refuse what cannot be materialised).
    public var totalBytes: Int {
        entries.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.byteCount)
            return overflow ? Int.max : sum
        }
    }

    /// What the writers consume: each tensor's bytes are produced when the writer reaches it.
    public var exports: [ExportTensor] {
        let store = self.store
        return entries.map { entry in
            ExportTensor(name: entry.outputName, dtype: entry.dtype, shape: entry.shape) {
                try Self.bytes(of: entry, in: store)
            }
        }
    }

    /// Contiguous little-endian bytes of one entry, cast when asked: through
    /// Float32 with round-to-nearest-even, as torch's `.to(dtype)` does.
    static func bytes(of entry: Entry, in store: any TensorStore) throws -> [UInt8] {
        defer { if let tensor = store.tensor(named: entry.sourceName) { store.releaseResidentMemory(of: tensor) } }
        guard entry.dtype != entry.sourceDType else { return try store.contiguousBytes(entry.sourceName) }
        let floats = try store.floatTensor(entry.sourceName).scalars
        var out: [UInt8]
        switch entry.dtype {
        case .float32:
            out = floats.withUnsafeBytes { Array($0) }
        case .float16:
            out = [UInt8](repeating: 0, count: floats.count * 2)
            out.withUnsafeMutableBytes { raw in
                let halves = raw.bindMemory(to: UInt16.self)
                for i in floats.indices { halves[i] = ElementConversion.floatToHalf(floats[i]) }
            }
        case .bfloat16:
            out = [UInt8](repeating: 0, count: floats.count * 2)
            out.withUnsafeMutableBytes { raw in
                let halves = raw.bindMemory(to: UInt16.self)
                for i in floats.indices { halves[i] = ElementConversion.floatToBFloat16(floats[i]) }
            }
        default:
            throw ConversionError.unsupportedCast(name: entry.sourceName, from: entry.sourceDType, to: entry.dtype)
        }
        if ElementConversion.hostIsBigEndian { ElementConversion.swapBytes(&out, unit: entry.dtype.itemSize) }
        return out
    }
}

/// Why a conversion plan cannot be made.
public enum ConversionError: Error, LocalizedError, Equatable, Sendable {
    case invalidRename(rule: String, reason: String)
    case nameCollision(name: String, first: String, second: String)
    case emptyName(source: String)
    case nothingSelected(file: String, prefix: String?)
    case unsupportedCast(name: String, from: DType, to: DType)

    public var errorDescription: String? {
        switch self {
        case let .invalidRename(rule, reason): return "--rename '\(rule)': \(reason)"
        case let .nameCollision(name, first, second): return "'\(first)' and '\(second)' would both be written as '\(name)'"
        case let .emptyName(source):
            return source.isEmpty ? "the file is a tensor saved alone, with no name; give it one with --rename '^$=NAME'"
                                  : "tensor '\(source)' would be written with an empty name"
        case let .nothingSelected(file, prefix):
            return prefix.map { "\(file): no tensor name starts with '\($0)'" } ?? "\(file): the file holds no tensors"
        case let .unsupportedCast(name, from, to): return "tensor '\(name)': cannot cast \(from.rawValue) to \(to.rawValue)"
        }
    }
}
