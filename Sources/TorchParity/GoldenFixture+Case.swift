import Foundation
import TorchNN

extension GoldenFixture {
    /// The contents of `case.json`: what the fixture's model is, how `model.pt` is read, and the tolerance.
    ///
    /// Two forms. One recurrent module, compared on `output`, `h_n` and `c_n`:
    /// `{"module": "LSTM", "prefix": "rnn."}` — only `module` is required. Or a model
    /// made of several steps, compared on the final `output`:
    /// `{"steps": [{"module": "Embedding", "prefix": "embed."}, {"module": "LSTM", "prefix": "rnn."},
    /// {"op": "last_step"}, {"module": "Linear", "prefix": "head."}]}`.
    /// The table of keys is in `fixtures/golden/README.md` and the DocC article.
    ///
    /// Decoding is strict: an unknown key, a value of the wrong type, or an option the module
    /// does not have set to anything but torch's default is a ``GoldenFixtureError`` naming the key.
    public struct Case: Sendable, Equatable {
        /// What the fixture runs.
        public enum Model: Sendable, Equatable {
            /// One recurrent module (RNN, LSTM, GRU or a cell) compared on `output`, `h_n`, `c_n`.
            case module(ModuleStep)
            /// Steps run one after another, compared on the final `output`.
            case steps([Step])
        }

        /// One step of a multi-step model.
        public enum Step: Sendable, Equatable {
            /// A module with weights.
            case module(ModuleStep)
            /// An operation without weights.
            case operation(Operation)
        }

        /// A module whose weights are in `model.pt` under `prefix`.
        public struct ModuleStep: Sendable, Equatable {
            /// torch's class name: "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
            /// "Embedding" or "Linear".
            public var module: String
            /// The dotted key prefix of the weights inside `model.pt` ("" or ending with ".").
            public var prefix: String
            /// torch's `batch_first` (RNN, LSTM, GRU; false for every other module).
            public var batchFirst: Bool
            /// torch's `nonlinearity` (RNN, RNNCell; `.tanh` for every other module).
            public var nonlinearity: Nonlinearity

            /// A module step; the defaults are torch's.
            public init(module: String, prefix: String = "", batchFirst: Bool = false, nonlinearity: Nonlinearity = .tanh) {
                self.module = module
                self.prefix = prefix
                self.batchFirst = batchFirst
                self.nonlinearity = nonlinearity
            }

            /// The recurrent kind, or nil for Embedding and Linear.
            public var recurrentKind: RecurrentModule.Kind? { RecurrentModule.Kind(rawValue: module) }
        }

        /// A head operation between modules (no weights).
        public enum Operation: String, Sendable, Equatable, CaseIterable {
            /// A recurrent step's `output` (implied when a module or activation follows one).
            case output
            /// `h_n[-1]`: the last layer's (last direction's) final hidden state, (B, H_out).
            case lastHidden = "h_n[-1]"
            /// Each sequence's output at its last valid step (`lengths[b] - 1`, else T - 1), (B, D·H_out).
            case lastStep = "last_step"
            /// Element-wise activations (`gelu` as `nn.GELU()`: the exact erf form).
            case relu, tanh, sigmoid, gelu
            /// Over the last axis.
            case softmax
            /// Over the last axis.
            case logSoftmax = "log_softmax"
            /// `F.normalize(x, p=2, dim=-1)`: x / max(‖x‖₂, 1e-12) over the last axis.
            case normalize
        }

        /// One recurrent module, or steps.
        public var model: Model
        /// An element passes when `|actual − expected| ≤ atol + rtol·|expected|`.
        public var atol: Double
        /// Relative tolerance (see ``atol``).
        public var rtol: Double
        /// `model.pt` is a `torch.save(model)` pickle or a TorchScript archive: read it with inert placeholders.
        public var fullModel: Bool

        /// A case with torch's default tolerance unless given.
        public init(model: Model, atol: Double = Case.defaultTolerance, rtol: Double = Case.defaultTolerance, fullModel: Bool = false) {
            self.model = model
            self.atol = atol
            self.rtol = rtol
            self.fullModel = fullModel
        }

        /// atol and rtol when case.json gives none.
        public static let defaultTolerance = 1e-5

        /// What the report calls the model: "LSTM", or the steps joined by " -> ".
        public var module: String {
            switch model {
            case let .module(step): return step.module
            case let .steps(steps):
                return steps.map { step in
                    switch step {
                    case let .module(module): return module.module
                    case let .operation(operation): return operation.rawValue
                    }
                }.joined(separator: " -> ")
            }
        }
    }
}

// MARK: - Decoding

extension GoldenFixture.Case {
    /// Parses `case.json`'s bytes; `file` names the file in errors.
    public init(json data: Data, file: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            // The parser's own one-line account (with the position), never a Swift debug dump.
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "not valid JSON"
            throw GoldenFixtureError.invalidJSON(file: file, reason: detail.replacingOccurrences(of: "\n", with: " "))
        }
        guard let top = object as? [String: Any] else {
            throw GoldenFixtureError.wrongType(file: file, key: "(top level)", expected: "a JSON object")
        }
        var keys = CaseKeys(file: file, path: "", object: top)
        atol = try keys.number("atol") ?? Self.defaultTolerance
        rtol = try keys.number("rtol") ?? Self.defaultTolerance
        fullModel = try keys.bool("full_model") ?? false
        if top["steps"] != nil, top["module"] != nil {
            throw GoldenFixtureError.conflictingKeys(file: file, keys: ["module", "steps"])
        }
        if let steps = try keys.array("steps") {
            guard !steps.isEmpty else {
                throw GoldenFixtureError.invalidValue(file: file, key: "steps", value: "[]", expected: "at least one step")
            }
            model = .steps(try steps.enumerated().map { index, element in
                try Self.step(element, file: file, path: "steps[\(index)]")
            })
        } else {
            model = .module(try Self.moduleStep(&keys, recurrentOnly: true))
        }
        try keys.finish()
    }

    private static func step(_ element: Any, file: String, path: String) throws -> Step {
        guard let object = element as? [String: Any] else {
            throw GoldenFixtureError.wrongType(file: file, key: path, expected: "an object with \"module\" or \"op\"")
        }
        var keys = CaseKeys(file: file, path: path + ".", object: object)
        if object["op"] != nil {
            if object["module"] != nil { throw GoldenFixtureError.conflictingKeys(file: file, keys: [path + ".module", path + ".op"]) }
            let name = try keys.string("op") ?? ""
            guard let operation = Operation(rawValue: name) else {
                throw GoldenFixtureError.invalidValue(file: file, key: path + ".op", value: name,
                                                      expected: Operation.allCases.map(\.rawValue).joined(separator: ", "))
            }
            try keys.finish()
            return .operation(operation)
        }
        let module = try moduleStep(&keys, recurrentOnly: false)
        try keys.finish()
        return .module(module)
    }

    /// `module`, `prefix`, `batch_first`, `nonlinearity` with torch's defaults; an option the
    /// module does not have is accepted only at torch's default, so files that write every key still read.
    private static func moduleStep(_ keys: inout CaseKeys, recurrentOnly: Bool) throws -> ModuleStep {
        guard let name = try keys.string("module") else {
            throw GoldenFixtureError.missingKey(file: keys.file, key: keys.path + "module")
        }
        let recurrent = RecurrentModule.Kind(rawValue: name)
        let known = RecurrentModule.Kind.allCases.map(\.rawValue) + (recurrentOnly ? [] : ["Embedding", "Linear"])
        guard known.contains(name) else {
            throw GoldenFixtureError.invalidValue(file: keys.file, key: keys.path + "module", value: name,
                                                  expected: known.joined(separator: ", ")
                                                    + (recurrentOnly ? " (Embedding and Linear go in \"steps\")" : ""))
        }
        var step = ModuleStep(module: name, prefix: try keys.string("prefix") ?? "")
        if let batchFirst = try keys.bool("batch_first") {
            let applies = recurrent.map { !$0.isCell } ?? false
            guard applies || !batchFirst else {
                throw GoldenFixtureError.inapplicableOption(file: keys.file, key: keys.path + "batch_first", module: name, default: "false")
            }
            step.batchFirst = batchFirst
        }
        if let value = try keys.string("nonlinearity") {
            guard let nonlinearity = Nonlinearity(rawValue: value) else {
                throw GoldenFixtureError.invalidValue(file: keys.file, key: keys.path + "nonlinearity", value: value, expected: "tanh, relu")
            }
            let applies = recurrent == .rnn || recurrent == .rnnCell
            guard applies || nonlinearity == .tanh else {
                throw GoldenFixtureError.inapplicableOption(file: keys.file, key: keys.path + "nonlinearity", module: name, default: "\"tanh\"")
            }
            step.nonlinearity = nonlinearity
        }
        return step
    }
}

/// Typed reads from one JSON object that remember which keys were read, so that
/// ``finish()`` can name the first key nobody asked for.
private struct CaseKeys {
    let file: String
    /// "" at the top level, "steps[2]." inside a step: what errors put before the key.
    let path: String
    let object: [String: Any]
    private var read: Set<String> = []

    init(file: String, path: String, object: [String: Any]) {
        self.file = file
        self.path = path
        self.object = object
    }

    private mutating func value(_ key: String) -> Any? {
        read.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        return value
    }

    /// JSON booleans are NSNumbers whose type code is "c" (char), on Darwin and Linux alike.
    private static func isBool(_ value: Any) -> Bool {
        (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
    }

    mutating func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value as? String else {
            throw GoldenFixtureError.wrongType(file: file, key: path + key, expected: "a string")
        }
        return string
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard Self.isBool(value), let bool = value as? Bool else {
            throw GoldenFixtureError.wrongType(file: file, key: path + key, expected: "true or false")
        }
        return bool
    }

    /// A finite, non-negative number (tolerances).
    mutating func number(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard !Self.isBool(value), let number = (value as? NSNumber)?.doubleValue else {
            throw GoldenFixtureError.wrongType(file: file, key: path + key, expected: "a number")
        }
        guard number.isFinite, number >= 0 else {
            throw GoldenFixtureError.invalidValue(file: file, key: path + key, value: "\(number)", expected: "a finite number ≥ 0")
        }
        return number
    }

    mutating func array(_ key: String) throws -> [Any]? {
        guard let value = value(key) else { return nil }
        guard let array = value as? [Any] else {
            throw GoldenFixtureError.wrongType(file: file, key: path + key, expected: "an array")
        }
        return array
    }

    /// Throws for the first (alphabetically) key that was never read.
    func finish() throws {
        if let unknown = object.keys.filter({ !read.contains($0) }).sorted().first {
            throw GoldenFixtureError.unknownKey(file: file, key: path + unknown)
        }
    }
}
