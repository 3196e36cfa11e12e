public import TorchTensor

/// One step of a GRU, exactly `torch.nn.GRUCell` (gates r, z, n):
/// `n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))`, `h' = (1−z)⊙n + z⊙h`.
///
/// Letters: B batch entries, I input size, H hidden size.
public struct GRUCell: Module {
    var core: RecurrentStack<GRUKernel>

    /// I.
    public var inputSize: Int { core.inputSize }
    /// H.
    public var hiddenSize: Int { core.hiddenSize }
    /// Whether the layer has the `bias_ih` and `bias_hh` parameters (torch's `bias`).
    public var bias: Bool { core.bias }

    /// A new cell with torch's default initialisation (uniform in ±1/√H).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, seed: UInt64? = nil) throws {
        core = try RecurrentStack(kernel: GRUKernel(), inputSize: inputSize, hiddenSize: hiddenSize,
                                  numLayers: 1, bias: bias, batchFirst: false, bidirectional: false,
                                  projSize: 0, seed: seed)
    }

    /// Loads `weight_ih` (3H, I), `weight_hh` (3H, H) and optionally `bias_ih`, `bias_hh` (3H) from under `prefix`.
    public init(loading source: some TensorSource, prefix: String = "") throws {
        self = try Self.loadLayer(from: source, prefix: prefix) { try Self(loading: &$0, prefix: $1) }
    }

    /// Loads the weights as part of a model (see ``Module``); problems are recorded in `loader`.
    public init(loading loader: inout ModuleLoader, prefix: String) throws {
        core = try RecurrentStack.load(&loader, prefix: prefix, kernel: GRUKernel(), batchFirst: false, cell: true)
    }

    init(core: RecurrentStack<GRUKernel>) {
        self.core = core
    }

    /// One step.
    /// - Parameters:
    ///   - input: (B, I), or unbatched (I,).
    ///   - initialState: h, (B, H) or (H,); zeros when nil (the same label as the sequence modules').
    /// - Returns: h', shaped like h.
    public func callAsFunction(_ input: FloatTensor, initialState: FloatTensor? = nil) throws -> FloatTensor {
        try core.cellStep(input, state: initialState)
    }

    /// One step, with the state under its old label.
    @available(*, deprecated, renamed: "callAsFunction(_:initialState:)")
    public func callAsFunction(_ input: FloatTensor, state: FloatTensor?) throws -> FloatTensor {
        try core.cellStep(input, state: state)
    }

    /// The weights under torch's names (`weight_ih`, ...), each prefixed by `prefix`.
    public func stateDictionary(prefix: String = "") -> TensorDictionary {
        core.stateDictionary(prefix: prefix, cell: true)
    }
}
