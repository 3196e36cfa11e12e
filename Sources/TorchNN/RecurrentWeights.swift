/// The parameters of one layer and direction, row-major Float32 in torch's layout
/// (what `stateDictionary()` reports), plus what the driver actually runs on,
/// prepared once at load: the bias vectors it adds and the weights packed for the
/// own kernels (``PackedMatrix``).
struct RecurrentWeights: Sendable, Equatable {
    /// `weight_ih`: (G·H, I_k).
    let inputWeight: [Float]
    /// `weight_hh`: (G·H, H_out).
    let hiddenWeight: [Float]
    /// `bias_ih`: (G·H), nil when the module has `bias=False`.
    let inputBias: [Float]?
    /// `bias_hh`: (G·H), nil when the module has `bias=False`.
    let hiddenBias: [Float]?
    /// `weight_hr`: (P, H), only for an LSTM with `proj_size > 0`.
    let projectionWeight: [Float]?

    /// `b_ih` plus every part of `b_hh` the kernel lets us fold: added to the
    /// input projection (or, in a fused step, to every row's gates). Nil without biases.
    private(set) var foldedBias: [Float]?
    /// GRU's `b_hn` (H), which must stay with `W_hn h` inside `r ⊙ (…)`. Nil when
    /// everything folds (RNN, LSTM) or there are no biases.
    private(set) var recurrentBias: [Float]?

    /// `weight_ih` packed as a plain (G·H, I_k) matrix for the input projection.
    let packedInput: PackedMatrix
    /// `weight_hh` packed with its G gates grouped per unit block, for the fused step.
    let packedHidden: PackedMatrix
    /// `weight_hr` packed as a plain (P, H) matrix.
    let packedProjection: PackedMatrix?
    /// [`weight_ih` | `weight_hh`] packed as one (G·H, I_k + H_out) matrix, gates grouped
    /// per unit block, for the step that takes x_t and h in one product (large batches,
    /// RNN and LSTM only: see ``InputPlan``).
    /// Packed on first use, so a model only ever run on small batches never holds it.
    let fusedPacking: LazyPackedMatrix?

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
        let gateWidth = Kernel.gateCount * hiddenSize
        packedInput = PackedMatrix(inputWeight, rows: gateWidth, depth: inputWeight.count / gateWidth)
        packedHidden = PackedMatrix(hiddenWeight, rows: gateWidth, depth: hiddenWeight.count / gateWidth,
                                    gates: Kernel.gateCount)
        packedProjection = projectionWeight.map {
            PackedMatrix($0, rows: $0.count / hiddenSize, depth: hiddenSize)
        }
        fusedPacking = Kernel.sumsInputAndHidden ? LazyPackedMatrix {
            let inputDepth = inputWeight.count / gateWidth, hiddenDepth = hiddenWeight.count / gateWidth
            var joined = [Float]()
            joined.reserveCapacity(gateWidth * (inputDepth + hiddenDepth))
            for row in 0..<gateWidth {
                joined.append(contentsOf: inputWeight[row * inputDepth..<(row + 1) * inputDepth])
                joined.append(contentsOf: hiddenWeight[row * hiddenDepth..<(row + 1) * hiddenDepth])
            }
            return PackedMatrix(joined, rows: gateWidth, depth: inputDepth + hiddenDepth, gates: Kernel.gateCount)
        } : nil
        guard let inputBias, let hiddenBias else { return }
        var folded = inputBias
        var recurrent: [Float] = []
        for gate in 0..<Kernel.gateCount {
            let range = gate * hiddenSize..<(gate + 1) * hiddenSize
            if Kernel.foldsHiddenBias(gate: gate) {
                for j in range { folded[j] += hiddenBias[j] }
            } else {
                // Only GRU's n gate (the last) keeps its hidden bias.
                recurrent.append(contentsOf: hiddenBias[range])
            }
        }
        foldedBias = folded
        recurrentBias = recurrent.isEmpty ? nil : recurrent
    }

    /// Equal when torch's tensors are equal (everything else is derived from them).
    static func == (lhs: RecurrentWeights, rhs: RecurrentWeights) -> Bool {
        lhs.inputWeight == rhs.inputWeight && lhs.hiddenWeight == rhs.hiddenWeight
            && lhs.inputBias == rhs.inputBias && lhs.hiddenBias == rhs.hiddenBias
            && lhs.projectionWeight == rhs.projectionWeight
    }
}
