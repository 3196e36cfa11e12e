/// A stack of recurrent layers (L layers × D directions) of one cell kind:
/// the shared engine behind ``RNN``, ``LSTM``, ``GRU`` and the cells (a cell is
/// a one-layer, one-direction stack run for one step).
struct RecurrentStack<Kernel: RecurrentCellKernel>: Sendable {
    var kernel: Kernel
    /// I.
    var inputSize: Int
    /// H.
    var hiddenSize: Int
    /// P, or 0 without projections.
    var projSize: Int
    /// L.
    var numLayers: Int
    var bidirectional: Bool
    var bias: Bool
    var batchFirst: Bool
    /// `weights[layer * D + direction]`, direction 0 forward, 1 reverse.
    var weights: [RecurrentWeights]

    /// D.
    var directions: Int { bidirectional ? 2 : 1 }
    /// H_out: P with projections, else H.
    var outputSize: Int { projSize > 0 ? projSize : hiddenSize }
    /// G·H: columns of the gate buffers.
    var gateWidth: Int { Kernel.gateCount * hiddenSize }
    /// Input features of layer `layer`: I for the first, D·H_out after.
    func layerInputSize(_ layer: Int) -> Int { layer == 0 ? inputSize : directions * outputSize }
}
