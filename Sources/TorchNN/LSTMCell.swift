public import TorchTensor

/// One step of an LSTM, exactly `torch.nn.LSTMCell` (gates i, f, g, o):
/// `c' = f⊙c + i⊙g`, `h' = o⊙tanh(c')`.
///
/// Letters: B batch entries, I input size, H hidden size.
public struct LSTMCell: Module {
    var core: RecurrentStack<LSTMKernel>

    /// I.
    public var inputSize: Int { core.inputSize }
    /// H.
    public var hiddenSize: Int { core.hiddenSize }
    /// Whether the layer has the `bias_ih` and `bias_hh` parameters (torch's `bias`).
    public var bias: Bool { core.bias }

    /// A new cell with torch's default initialisation (uniform in ±1/√H).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, seed: UInt64? = nil) throws {
        core = try RecurrentStack(kernel: LSTMKernel(), inputSize: inputSize, hiddenSize: hiddenSize,
                                  numLayers: 1, bias: bias, batchFirst: false, bidirectional: false,
                                  projSize: 0, seed: seed)
    }

    /// Loads `weight_ih` (4H, I), `weight_hh` (4H, H) and optionally `bias_ih`, `bias_hh` (4H) from under `prefix`.
    public init(loading source: some TensorSource, prefix: String = "") throws {
        self = try Self.loadLayer(from: source, prefix: prefix) { try Self(loading: &$0, prefix: $1) }
    }

    /// Loads the weights as part of a model (see ``Module``); problems are recorded in `loader`.
    public init(loading loader: inout ModuleLoader, prefix: String) throws {
        core = try RecurrentStack.load(&loader, prefix: prefix, kernel: LSTMKernel(), batchFirst: false, cell: true)
    }

    init(core: RecurrentStack<LSTMKernel>) {
        self.core = core
    }

    /// One step.
    /// - Parameters:
    ///   - input: (B, I), or unbatched (I,).
    ///   - initialState: h and c, each (B, H) or (H,); zeros when nil (the same label as the sequence modules').
    /// - Returns: (h', c'), shaped like h and c.
    public func callAsFunction(_ input: FloatTensor, initialState: LSTMState? = nil) throws -> LSTMState {
        try core.cellStep(input, state: initialState)
    }

    /// One step, with the state under its old label.
    @available(*, deprecated, renamed: "callAsFunction(_:initialState:)")
    public func callAsFunction(_ input: FloatTensor, state: LSTMState?) throws -> LSTMState {
        try core.cellStep(input, state: state)
    }

    /// The weights under torch's names (`weight_ih`, ...), each prefixed by `prefix`.
    public func stateDictionary(prefix: String = "") -> TensorDictionary {
        core.stateDictionary(prefix: prefix, cell: true)
    }
}
