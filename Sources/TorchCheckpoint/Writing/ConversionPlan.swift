import Foundation

/// What `ptconvert convert` does to names and dtypes on the way out, usable
/// from Swift too: keep the tensors under a prefix (and strip it), rename with
/// regular expressions, cast floating tensors.
public struct ConversionOptions: Sendable {
    /// The dtype floating tensors are written as.
    public enum Cast: String, Sendable, CaseIterable {
        /// `keep` writes every dtype as stored; the others cast floating tensors to that dtype (round to nearest even).
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
        /// The regular expression (`NSRegularExpression` syntax), matched anywhere in a name.
        public let pattern: String
        /// What each match becomes; `$1` refers to the first group.
        public let replacement: String
        let expression: NSRegularExpression

        /// Parses `PATTERN=REPLACEMENT`, split at the first `=`.
        public init(_ rule: String) throws {
            guard let equals = rule.firstIndex(of: "=") else {
                throw ConversionError.invalidRename(rule: rule, reason: "expected PATTERN=REPLACEMENT")
            }
            try self.init(pattern: String(rule[..<equals]), replacement: String(rule[rule.index(after: equals)...]))
        }

        /// A rule from its two parts.
        /// - Throws: ``ConversionError/invalidRename(rule:reason:)`` when `pattern` is not a valid regular expression.
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

    /// Keep only the tensors under this prefix, and strip it. A prefix ending
    /// in `.` is matched as text (`model.` keeps `model.x`); otherwise it names
    /// whole components (`model` keeps `model` and `model.x`, strips `model.`,
    /// and leaves out `modelx`). Nil or empty keeps everything.
    public var select: String?
    /// Rename rules, applied in order after ``select``.
    public var renames: [Rename]
    /// The dtype floating tensors are written as.
    public var cast: Cast

    /// Options; the defaults write every tensor under its own name and dtype.
    public init(select: String? = nil, renames: [Rename] = [], cast: Cast = .keep) {
        self.select = select
        self.renames = renames
        self.cast = cast
    }

    /// The name a tensor or value is written under after `select`, or nil
    /// when it is not selected.
    public func selectedName(_ name: String) -> String? {
        guard let prefix = select, !prefix.isEmpty else { return name }
        if prefix.hasSuffix(".") {
            return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : nil
        }
        if name == prefix { return "" }
        return name.hasPrefix(prefix + ".") ? String(name.dropFirst(prefix.count + 1)) : nil
    }
}

/// The tensors a conversion writes, each with its source and output name.
public struct ConversionPlan: Sendable {
    /// One tensor of the plan.
    public struct Entry: Sendable {
        /// The name in the source file.
        public let sourceName: String
        /// The name it is written under, after selection and renames.
        public let outputName: String
        /// The dtype in the source file.
        public let sourceDType: DType
        /// The dtype it is written as.
        public let dtype: DType
        /// Sizes per axis.
        public let shape: [Int]
        /// Bytes it takes in the output.
        public var byteCount: Int {
            TensorShape.byteCount(elements: TensorShape.count(ofChecked: shape), itemSize: dtype.itemSize) ?? .max
        }
    }

    /// Every tensor to write, in source order.
    public let entries: [Entry]
    /// Non-tensor values under the selection (an `epoch`, an optimizer's
    /// `param_groups` settings), by source name in file order: no output
    /// format here holds them, so a conversion leaves them out.
    public let droppedValueNames: [String]
    private let store: any TensorStore

    /// Plans the conversion of `store` without reading any values.
    /// - Throws: ``ConversionError`` when nothing is selected, two tensors would get one name, a name would be empty, or a cast is impossible.
    public init(source store: any TensorStore, options: ConversionOptions = ConversionOptions()) throws {
        self.store = store
        var entries: [Entry] = []
        var claimed: [String: String] = [:]
        for tensor in store.tensors {
            guard var name = options.selectedName(tensor.name) else { continue }
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
        droppedValueNames = Self.values(of: store).map(\.name).filter { options.selectedName($0) != nil }
    }

    /// The non-tensor values a store holds (a sharded set: those of its .pt shards).
    private static func values(of store: any TensorStore) -> [NamedValue] {
        switch store {
        case let checkpoint as Checkpoint: return checkpoint.values
        case let sharded as ShardedTensorStore: return sharded.shards.flatMap(values(of:))
        default: return []
        }
    }

    /// Bytes written in all (saturating: views can be logically huge, and the
    /// writers refuse what cannot be materialised).
    public var totalBytes: Int {
        entries.reduce(0) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.byteCount)
            return overflow ? Int.max : sum
        }
    }

    /// What the writers consume: each tensor's bytes are produced when the
    /// writer reaches it (in place in the memory map when no conversion is
    /// needed) and their memory released once written.
    public var exports: [ExportTensor] {
        let store = self.store
        return entries.map { entry in
            ExportTensor.producing(name: entry.outputName, dtype: entry.dtype, shape: entry.shape) {
                try Self.contents(of: entry, in: store)
            }
        }
    }

    static func contents(of entry: Entry, in store: any TensorStore) throws -> TensorBytes {
        let tensor = try store.requireTensor(entry.sourceName)
        guard entry.dtype != entry.sourceDType else { return try store.exportContents(of: tensor) }
        return TensorBytes(try bytes(of: entry, in: store))
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
    /// A rename rule that is not `PATTERN=REPLACEMENT` or whose pattern is not a regular expression.
    case invalidRename(rule: String, reason: String)
    /// Two source tensors (`first`, `second`) would both be written as `name`.
    case nameCollision(name: String, first: String, second: String)
    /// Selection or renames leave a tensor's name empty.
    case emptyName(source: String)
    /// No tensor is under the selected prefix (or the file has none).
    case nothingSelected(file: String, prefix: String?)
    /// A cast asked of a tensor whose dtype cannot be cast (only floating dtypes are).
    case unsupportedCast(name: String, from: DType, to: DType)

    public var errorDescription: String? {
        switch self {
        case let .invalidRename(rule, reason): return "--rename '\(rule)': \(reason)"
        case let .nameCollision(name, first, second): return "'\(first)' and '\(second)' would both be written as '\(name)'"
        case let .emptyName(source):
            return source.isEmpty ? "the file is a tensor saved alone, with no name; give it one with --rename '^$=NAME'"
                                  : "tensor '\(source)' would be written with an empty name"
        case let .nothingSelected(file, prefix):
            guard let prefix else { return "\(file): the file holds no tensors" }
            return prefix.hasSuffix(".") ? "\(file): no tensor name starts with '\(prefix)'"
                                         : "\(file): no tensor is named '\(prefix)' or '\(prefix).…'"
        case let .unsupportedCast(name, from, to): return "tensor '\(name)': cannot cast \(from.rawValue) to \(to.rawValue)"
        }
    }
}
