public import TorchTensor

/// A multi-layer LSTM with exactly `torch.nn.LSTM`'s semantics, gates stored i, f, g, o:
/// `c' = f⊙c + i⊙g`, `h' = o⊙tanh(c')`, and with projections `h' = W_hr (o⊙tanh(c'))`.
///
/// Letters: T steps, B batch entries, I input size, H hidden size, P projection size,
/// H_out = P when ``projSize`` > 0 else H, L layers, D = 2 if bidirectional else 1.
public struct LSTM: Module {
    var core: RecurrentStack<LSTMKernel>

    /// I.
    public var inputSize: Int { core.inputSize }
    /// H: the size of c and of the gates.
    public var hiddenSize: Int { core.hiddenSize }
    /// P, or 0 without projections.
    public var projSize: Int { core.projSize }
    /// L.
    public var numLayers: Int { core.numLayers }
    /// Whether the layer has the `bias_ih` and `bias_hh` parameters (torch's `bias`).
    public var bias: Bool { core.bias }
    /// Whether inputs and outputs are (B, T, ·) rather than (T, B, ·); h0 / h_n are unaffected.
    public var batchFirst: Bool {
        get { core.batchFirst }
        set { core.batchFirst = newValue }
    }
    /// Whether each layer also runs in reverse (D = 2), its output concatenated after the forward one's.
    public var bidirectional: Bool { core.bidirectional }

    /// A new LSTM with torch's default initialisation (every parameter uniform in ±1/√H).
    /// - Parameters:
    ///   - inputSize: I, torch's `input_size`: features per step.
    ///   - hiddenSize: H, torch's `hidden_size`.
    ///   - numLayers: L, torch's `num_layers`: stacked layers, each fed the previous one's output.
    ///   - bias: whether the layers have `bias_ih_l{k}` and `bias_hh_l{k}`.
    ///   - batchFirst: inputs and outputs are (B, T, ·) rather than (T, B, ·).
    ///   - bidirectional: D = 2: a reverse direction per layer, its output concatenated after the forward one's.
    ///   - projSize: P, torch's `proj_size`: 0 for none, else h is projected from H to P by `weight_hr_l{k}`.
    ///   - seed: makes the weights reproducible; nil draws a random seed.
    /// - Throws: ``LayerInputError/invalidConfiguration(_:)`` for non-positive sizes or `projSize >= hiddenSize`.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                bidirectional: Bool = false, projSize: Int = 0, seed: UInt64? = nil) throws {
        core = try RecurrentStack(kernel: LSTMKernel(), inputSize: inputSize, hiddenSize: hiddenSize,
                                  numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                                  bidirectional: bidirectional, projSize: projSize, seed: seed)
    }

    /// Loads `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`, `weight_hr_l{k}`
    /// (and `_reverse`) from under `prefix`, inferring I, H, P, L, bias and bidirectional.
    /// - Throws: ``WeightLoadingError`` when a key is missing, unexpected, or of the wrong shape,
    ///   or when the weights belong to an RNN or GRU.
    public init(loading source: some TensorSource, prefix: String = "", batchFirst: Bool = false) throws {
        self = try Self.loadLayer(from: source, prefix: prefix) { try Self(loading: &$0, prefix: $1, batchFirst: batchFirst) }
    }

    /// Loads the weights as part of a model (see ``Module``); problems are recorded in `loader`.
    /// `batchFirst` is not stored in the weights, so it is an argument.
    public init(loading loader: inout ModuleLoader, prefix: String, batchFirst: Bool) throws {
        core = try RecurrentStack.load(&loader, prefix: prefix, kernel: LSTMKernel(), batchFirst: batchFirst, cell: false)
    }

    /// Loads the weights as part of a model, not batch-first (set ``batchFirst`` afterwards if needed).
    public init(loading loader: inout ModuleLoader, prefix: String) throws {
        try self.init(loading: &loader, prefix: prefix, batchFirst: false)
    }

    init(core: RecurrentStack<LSTMKernel>) {
        self.core = core
    }

    /// Runs the LSTM over a whole sequence.
    /// - Parameters:
    ///   - input: (T, B, I), (B, T, I) with ``batchFirst``, or unbatched (T, I).
    ///   - initialState: h0 (L·D, B, H_out) and c0 (L·D, B, H), or unbatched without B; zeros when nil.
    ///   - lengths: B valid lengths in 1...T, any order: torch's `pack_padded_sequence`
    ///     (`enforce_sorted=False`) → LSTM → `pad_packed_sequence(total_length: T)`.
    /// - Returns: output (T, B, D·H_out) (or batch-first / unbatched), hN (L·D, B, H_out), cN (L·D, B, H).
    public func callAsFunction(_ input: FloatTensor, initialState: LSTMState? = nil,
                               lengths: [Int]? = nil) throws -> RecurrentOutput {
        try core.forward(input, initialState: initialState, lengths: lengths)
    }

    /// A stream that carries (h, c) between calls, for feeding a sequence in chunks.
    /// - Parameters:
    ///   - batchSize: B, or nil for unbatched (T, I) chunks.
    ///   - initialState: h0 (L, B, H_out) and c0 (L, B, H), or unbatched without B; zeros when nil.
    /// - Throws: ``LayerInputError/unsupported(_:)`` for a bidirectional LSTM.
    public func makeStream(batchSize: Int? = nil, initialState: LSTMState? = nil) throws -> RecurrentStream {
        try RecurrentStream(core, batchSize: batchSize, initialState: initialState)
    }

    /// The weights under torch's names (`weight_ih_l0`, ...), each prefixed by `prefix`.
    public func stateDictionary(prefix: String = "") -> TensorDictionary {
        core.stateDictionary(prefix: prefix, cell: false)
    }
}
