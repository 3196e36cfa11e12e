/// The parameters of one layer and direction, row-major Float32, plus the bias
/// vectors the driver actually adds (prepared once, not per call).
struct RecurrentWeights: Sendable, Equatable {
    /// `weight_ih`: (G·H, I_k).
    var inputWeight: [Float]
    /// `weight_hh`: (G·H, H_out).
    var hiddenWeight: [Float]
    /// `bias_ih`: (G·H), nil when the module has `bias=False`.
    var inputBias: [Float]?
    /// `bias_hh`: (G·H), nil when the module has `bias=False`.
    var hiddenBias: [Float]?
    /// `weight_hr`: (P, H), only for an LSTM with `proj_size > 0`.
    var projectionWeight: [Float]?

    /// `b_ih` plus every part of `b_hh` the kernel lets us fold: added to the
    /// input projection once for all T·B rows. Nil without biases.
    private(set) var foldedBias: [Float]?
    /// The parts of `b_hh` that must stay with `W_hh h` (GRU's `b_hn`), zeros
    /// elsewhere. Nil when everything folds (RNN, LSTM) or there are no biases.
    private(set) var recurrentBias: [Float]?

    init<Kernel: RecurrentCellKernel>(
        kernel: Kernel.Type, hiddenSize: Int,
        inputWeight: [Float], hiddenWeight: [Float],
        inputBias: [Float]?, hiddenBias: [Float]?, projectionWeight: [Float]?
    ) {
        self.inputWeight = inputWeight
        self.hiddenWeight = hiddenWeight
        self.inputBias = inputBias
        self.hiddenBias = hiddenBias
        self.projectionWeight = projectionWeight
        guard let inputBias, let hiddenBias else { return }
        var folded = inputBias
        var recurrent = [Float](repeating: 0, count: hiddenBias.count)
        var keepsRecurrent = false
        for gate in 0..<Kernel.gateCount {
            let range = gate * hiddenSize..<(gate + 1) * hiddenSize
            if Kernel.foldsHiddenBias(gate: gate) {
                for j in range { folded[j] += hiddenBias[j] }
            } else {
                keepsRecurrent = true
                for j in range { recurrent[j] = hiddenBias[j] }
            }
        }
        foldedBias = folded
        recurrentBias = keepsRecurrent ? recurrent : nil
    }
}
