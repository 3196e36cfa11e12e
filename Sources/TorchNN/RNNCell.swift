public import TorchTensor

/// One step of an Elman RNN, exactly `torch.nn.RNNCell`: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
///
/// Letters: B batch entries, I input size, H hidden size.
public struct RNNCell: Module {
    var core: RecurrentStack<RNNKernel>

    /// I.
    public var inputSize: Int { core.inputSize }
    /// H.
    public var hiddenSize: Int { core.hiddenSize }
    /// Whether the layer has the `bias_ih` and `bias_hh` parameters (torch's `bias`).
    public var bias: Bool { core.bias }
    /// tanh or relu, torch's `nonlinearity`.
    public var nonlinearity: Nonlinearity { core.kernel.nonlinearity }

    /// A new cell with torch's default initialisation (uniform in ±1/√H).
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: Nonlinearity = .tanh,
                seed: UInt64? = nil) throws {
        core = try RecurrentStack(kernel: RNNKernel(nonlinearity: nonlinearity), inputSize: inputSize,
                                  hiddenSize: hiddenSize, numLayers: 1, bias: bias, batchFirst: false,
                                  bidirectional: false, projSize: 0, seed: seed)
    }

    /// Loads `weight_ih` (H, I), `weight_hh` (H, H) and optionally `bias_ih`, `bias_hh` (H) from under `prefix`.
    public init(loading source: some TensorSource, prefix: String = "", nonlinearity: Nonlinearity = .tanh) throws {
        self = try Self.loadLayer(from: source, prefix: prefix) { try Self(loading: &$0, prefix: $1, nonlinearity: nonlinearity) }
    }

    /// Loads the weights as part of a model (see ``Module``); problems are recorded in `loader`.
    /// `nonlinearity` is not stored in the weights, so it is an argument.
    public init(loading loader: inout ModuleLoader, prefix: String, nonlinearity: Nonlinearity) throws {
        core = try RecurrentStack.load(&loader, prefix: prefix, kernel: RNNKernel(nonlinearity: nonlinearity),
                                       batchFirst: false, cell: true)
    }

    /// Loads the weights as part of a model, with tanh.
    public init(loading loader: inout ModuleLoader, prefix: String) throws {
        try self.init(loading: &loader, prefix: prefix, nonlinearity: .tanh)
    }

    init(core: RecurrentStack<RNNKernel>) {
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
