public import TorchTensor

/// Any of the six torch recurrent modules, loaded by inferring the kind from
/// the weights: `weight_ih_l0` vs `weight_ih` tells a layer from a cell, and
/// `weight_ih`'s rows / H give the gate count (1 RNN, 3 GRU, 4 LSTM).
///
/// ```swift
/// let module = try RecurrentModule.load(from: checkpoint, prefix: "model.rnn.", kind: "LSTM")
/// let result = try module(input, initialState: .lstm(LSTMState(h: h0, c: c0)))
/// ```
public enum RecurrentModule: Module {
    /// An `nn.RNN`.
    case rnn(RNN)
    /// An `nn.LSTM`.
    case lstm(LSTM)
    /// An `nn.GRU`.
    case gru(GRU)
    /// An `nn.RNNCell`.
    case rnnCell(RNNCell)
    /// An `nn.LSTMCell`.
    case lstmCell(LSTMCell)
    /// An `nn.GRUCell`.
    case gruCell(GRUCell)

    /// torch's class names.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// `nn.RNN`.
        case rnn = "RNN"
        /// `nn.LSTM`.
        case lstm = "LSTM"
        /// `nn.GRU`.
        case gru = "GRU"
        /// `nn.RNNCell`.
        case rnnCell = "RNNCell"
        /// `nn.LSTMCell`.
        case lstmCell = "LSTMCell"
        /// `nn.GRUCell`.
        case gruCell = "GRUCell"

        /// Whether this is a one-step cell rather than a sequence module.
        public var isCell: Bool { self == .rnnCell || self == .lstmCell || self == .gruCell }
    }

    /// The kind of the wrapped module.
    public var kind: Kind {
        switch self {
        case .rnn: return .rnn
        case .lstm: return .lstm
        case .gru: return .gru
        case .rnnCell: return .rnnCell
        case .lstmCell: return .lstmCell
        case .gruCell: return .gruCell
        }
    }

    /// Loads whichever recurrent module the weights under `prefix` describe.
    /// - Parameters:
    ///   - source: the tensors, for example a `Checkpoint` or a `SafetensorsFile`.
    ///   - prefix: the dotted key prefix of the module's weights (`"model.rnn."`); a missing final dot is added.
    ///   - kind: when given, a check: weights of another kind throw
    ///     ``WeightLoadingError/kindMismatch(expected:found:)``.
    ///   - nonlinearity: for RNN / RNNCell (not stored in the weights).
    ///   - batchFirst: for sequence modules (not stored in the weights).
    public static func load(from source: some TensorSource, prefix: String = "", kind: Kind? = nil,
                            nonlinearity: Nonlinearity = .tanh, batchFirst: Bool = false) throws -> RecurrentModule {
        try loadLayer(from: source, prefix: prefix) {
            try RecurrentModule(loading: &$0, prefix: $1, kind: kind, nonlinearity: nonlinearity, batchFirst: batchFirst)
        }
    }

    /// Loads the module as part of a model (see ``Module``), inferring its kind; problems are recorded in `loader`.
    /// - Parameters:
    ///   - loader: the load this module is part of.
    ///   - prefix: the module's key prefix (empty or ending with ".").
    ///   - kind: when given, a check: weights of another kind are a
    ///     ``WeightLoadingError/kindMismatch(expected:found:)``.
    ///   - nonlinearity: for RNN / RNNCell (not stored in the weights).
    ///   - batchFirst: for sequence modules (not stored in the weights).
    public init(loading loader: inout ModuleLoader, prefix: String, kind: Kind?, nonlinearity: Nonlinearity,
                batchFirst: Bool) throws {
        let prefix = normalizedPrefix(prefix)
        do {
            self = try Self.build(&loader, prefix: prefix, kind: kind, nonlinearity: nonlinearity, batchFirst: batchFirst)
        } catch let problem as WeightLoadingError {
            loader.record(problem)
            loader.markUsed(loader.source.tensorNames(withPrefix: prefix))
            // Placeholder: the load this belongs to throws, so it is never used.
            self = .rnn(try RNN(inputSize: 1, hiddenSize: 1, seed: 0))
        }
    }

    /// Loads the module as part of a model, of any kind, with tanh, not batch-first.
    public init(loading loader: inout ModuleLoader, prefix: String) throws {
        try self.init(loading: &loader, prefix: prefix, kind: nil, nonlinearity: .tanh, batchFirst: false)
    }

    private static func build(_ loader: inout ModuleLoader, prefix: String, kind: Kind?, nonlinearity: Nonlinearity,
                              batchFirst: Bool) throws -> RecurrentModule {
        let spec = try RecurrentSpec.infer(from: loader.source, prefix: prefix)
        guard let inferred = Kind(rawValue: spec.kindName) else {
            throw WeightLoadingError.cannotInfer("unknown module kind '\(spec.kindName)'")
        }
        if let kind, kind != inferred {
            throw WeightLoadingError.kindMismatch(expected: kind.rawValue, found: inferred.rawValue)
        }
        let cell = inferred.isCell
        switch inferred {
        case .rnn, .rnnCell:
            let core = try RecurrentStack(loading: &loader, prefix: prefix, spec: spec,
                                          kernel: RNNKernel(nonlinearity: nonlinearity), batchFirst: batchFirst, cell: cell)
            return cell ? .rnnCell(RNNCell(core: core)) : .rnn(RNN(core: core))
        case .lstm, .lstmCell:
            let core = try RecurrentStack(loading: &loader, prefix: prefix, spec: spec,
                                          kernel: LSTMKernel(), batchFirst: batchFirst, cell: cell)
            return cell ? .lstmCell(LSTMCell(core: core)) : .lstm(LSTM(core: core))
        case .gru, .gruCell:
            let core = try RecurrentStack(loading: &loader, prefix: prefix, spec: spec,
                                          kernel: GRUKernel(), batchFirst: batchFirst, cell: cell)
            return cell ? .gruCell(GRUCell(core: core)) : .gru(GRU(core: core))
        }
    }

    /// ``load(from:prefix:kind:nonlinearity:batchFirst:)`` with the kind spelled as torch's
    /// class name ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell").
    /// - Throws: ``WeightLoadingError/cannotInfer(_:)`` for an unknown name.
    public static func load(from source: some TensorSource, prefix: String = "", kind name: String,
                            nonlinearity: Nonlinearity = .tanh, batchFirst: Bool = false) throws -> RecurrentModule {
        guard let kind = Kind(rawValue: name) else {
            let known = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw WeightLoadingError.cannotInfer("unknown module kind '\(name)'; expected one of \(known)")
        }
        return try load(from: source, prefix: prefix, kind: kind, nonlinearity: nonlinearity, batchFirst: batchFirst)
    }

    /// Runs the module.
    ///
    /// Sequence modules: `input` (T, B, I) / (B, T, I) / (T, I); `initialState` h0 (L·D, B, H_out)
    /// and, for an LSTM, c0 (L·D, B, H); optional `lengths`; the result is theirs.
    /// Cells: `input` (B, I) or (I,), the state (B, H) or (H,); `output` and `hN` are both h',
    /// `cN` is c' for an LSTM cell. `lengths` must be nil for a cell.
    /// - Parameters:
    ///   - input: the sequence or, for a cell, the step.
    ///   - initialState: ``RecurrentState/lstm(_:)`` for LSTM and LSTMCell,
    ///     ``RecurrentState/hidden(_:)`` for the others; zeros when nil.
    ///   - lengths: B valid lengths for a sequence module; nil for a cell.
    /// - Throws: ``LayerInputError/unsupported(_:)`` for a state of the other kind.
    public func callAsFunction(_ input: FloatTensor, initialState: RecurrentState? = nil,
                               lengths: [Int]? = nil) throws -> RecurrentOutput {
        let isLSTM = kind == .lstm || kind == .lstmCell
        switch initialState {
        case nil: return try run(input, h0: nil, c0: nil, lengths: lengths)
        case let .hidden(h) where !isLSTM: return try run(input, h0: h, c0: nil, lengths: lengths)
        case let .lstm(state) where isLSTM: return try run(input, h0: state.h, c0: state.c, lengths: lengths)
        default:
            throw LayerInputError.unsupported(
                "a \(kind.rawValue) takes initialState \(isLSTM ? ".lstm(LSTMState(h:c:))" : ".hidden(h0)")")
        }
    }

    /// Runs the module with the state as separate tensors (the spelling before ``RecurrentState``).
    @available(*, deprecated, renamed: "callAsFunction(_:initialState:lengths:)")
    public func callAsFunction(_ input: FloatTensor, h0: FloatTensor?, c0: FloatTensor? = nil,
                               lengths: [Int]? = nil) throws -> RecurrentOutput {
        try run(input, h0: h0, c0: c0, lengths: lengths)
    }

    /// The state as separate tensors; for the parity checker, whose golden files store h0 and c0 apart.
    package func run(_ input: FloatTensor, h0: FloatTensor?, c0: FloatTensor?, lengths: [Int]?) throws -> RecurrentOutput {
        if kind.isCell, lengths != nil {
            throw LayerInputError.unsupported("lengths apply to sequence modules, not to a \(kind.rawValue)")
        }
        switch self {
        case let .rnn(module): return try module.core.forward(input, h0: h0, c0: c0, lengths: lengths)
        case let .lstm(module): return try module.core.forward(input, h0: h0, c0: c0, lengths: lengths)
        case let .gru(module): return try module.core.forward(input, h0: h0, c0: c0, lengths: lengths)
        case let .rnnCell(cell): return try Self.cellOutput(cell.core.cellStep(input, h: h0, c: c0))
        case let .lstmCell(cell): return try Self.cellOutput(cell.core.cellStep(input, h: h0, c: c0))
        case let .gruCell(cell): return try Self.cellOutput(cell.core.cellStep(input, h: h0, c: c0))
        }
    }

    private static func cellOutput(_ state: (h: FloatTensor, c: FloatTensor?)) -> RecurrentOutput {
        RecurrentOutput(output: state.h, hN: state.h, cN: state.c)
    }

    /// The weights under torch's names, each prefixed by `prefix`.
    public func stateDictionary(prefix: String = "") -> TensorDictionary {
        switch self {
        case let .rnn(module): return module.stateDictionary(prefix: prefix)
        case let .lstm(module): return module.stateDictionary(prefix: prefix)
        case let .gru(module): return module.stateDictionary(prefix: prefix)
        case let .rnnCell(cell): return cell.stateDictionary(prefix: prefix)
        case let .lstmCell(cell): return cell.stateDictionary(prefix: prefix)
        case let .gruCell(cell): return cell.stateDictionary(prefix: prefix)
        }
    }
}

/// The type-erased recurrent layer: another name for ``RecurrentModule``.
public typealias AnyRecurrentLayer = RecurrentModule
