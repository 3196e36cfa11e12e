/// How one layer and direction gets the input side of its gates, x_t·W_ihᵀ: chosen per
/// forward pass from the batch size and the size of the layer's weights.
///
/// Projecting all T·B rows up front (one big product, then the steps) writes a
/// T·B·G·H intermediate (26 MB for an LSTM with H = 256 at B = 64, T = 100) that the
/// steps then read back from memory. Two ways avoid it, each where it was measured
/// faster (one core of an AMD EPYC (Zen 5), LSTM forward passes, GFLOP/s):
///
/// - **fused** (RNN and LSTM, B ≥ 16): one product [x_t | h]·[W_ih | W_hh]ᵀ per step,
///   no projection at all; the step kernel is more efficient at the doubled depth.
///   B = 64, H = 256: 215 fused, 207 chunked, 195 all at once; B = 16, H = 512: 221,
///   201, 208; B = 16, H = 256: 203, 195, 195. Not at small batches, where a step
///   streams its weights from the cache for few rows (B = 4, H = 256: 165 fused
///   against 194): doubling them per step costs more than the projection saves.
///   GRU cannot: its n gate multiplies the hidden side alone by r.
/// - **chunked** (B ≥ 8 otherwise): the projection of about 192 rows at a time, just
///   before the steps that read it, so it is still in the cache (B = 16, H = 512: 217
///   against 208).
///
/// Both assume the layer's weights stay in the last-level cache from step to step:
/// when W_ih and W_hh of all directions together exceed `cacheBudget` (an LSTM with
/// H = 1024: 32 MiB), every fused step or chunk would stream them from memory again
/// (LSTM H = 1024, B = 16 with the whole machine: 68 ms all at once, 70 fused, 74
/// chunked), so the projection is made once for all steps. The reverse direction
/// of a batch with lengths has its rows at different times in one step: it, too,
/// projects all steps at once.
enum InputPlan: Equatable {
    /// x_t and h in one product per step.
    case fused
    /// Projections of `steps` steps at a time, each chunk just before its steps (fewer than T).
    case chunked(steps: Int)
    /// The projection of all T steps, before the first step.
    case whole

    /// Input rows per projection product that chunks aim at.
    static let chunkRows = 192
    /// The smallest batch that is chunked.
    static let chunkedMinimumBatch = 8
    /// The smallest batch run with fused steps.
    static let fusedMinimumBatch = 16
    /// Weight bytes of a layer (W_ih and W_hh, all directions) above which the steps
    /// no longer keep them in the cache: half of the 32 MiB L3 of the machine measured.
    static let cacheBudget = 16 << 20

    /// The plan for one direction of a layer.
    /// - Parameters:
    ///   - canFuse: whether the weights have a fused packing (the cell only ever sees
    ///     x·W_ihᵀ + h·W_hhᵀ summed: ``RecurrentWeights/fusedPacking``).
    ///   - lengths: the batch's lengths, or nil when every row has T steps.
    ///   - layerWeightBytes: W_ih and W_hh of every direction of this layer, in bytes.
    init(canFuse: Bool, steps T: Int, batch B: Int, reverse: Bool, lengths: [Int]?, layerWeightBytes: Int) {
        if layerWeightBytes > Self.cacheBudget || B < Self.chunkedMinimumBatch || (reverse && lengths != nil) {
            self = .whole
        } else if canFuse && B >= Self.fusedMinimumBatch {
            self = .fused
        } else {
            // About chunkRows rows per chunk, spread evenly over the steps that run.
            let stepCount = lengths?.max() ?? T
            let target = max(1, Self.chunkRows / B)
            let chunkCount = (stepCount + target - 1) / target
            let steps = (stepCount + chunkCount - 1) / chunkCount
            self = steps >= T ? .whole : .chunked(steps: steps)
        }
    }

    /// Steps the projection buffer holds in a sequence of T (0 when fused).
    func projectedSteps(of T: Int) -> Int {
        switch self {
        case .fused: 0
        case .chunked(let steps): steps
        case .whole: T
        }
    }
}
