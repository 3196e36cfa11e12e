import TorchTensor
internal import CRecurrentKernels

/// The one time loop every recurrent module runs through.
///
/// Per layer and direction, per step ONE call of the own kernel (`trk_run`): the
/// gate pre-activations against weights packed at load, with the gate nonlinearities
/// and state update fused as its epilogue; an LSTM with projections does one more
/// small product with `W_hr`. The input side (``InputPlan``) is either part of that
/// product ([x_t | h]·[W_ih | W_hh]ᵀ, large batches) or an input projection onto the
/// G·H gate columns, folded biases included (``MatrixProduct``), computed for a chunk
/// of steps, or all of them, ahead of the steps that read it (h·W_hhᵀ per step).
///
/// Both cores: the two directions of a bidirectional layer run at the same time
/// (the ``GateWorker`` takes the reverse one); a unidirectional layer whose step is
/// big enough splits each step's (and each projection's) column groups between the
/// two threads. Every buffer is allocated before the loop; nothing inside it allocates.
extension RecurrentStack {
    /// Runs every layer and direction over a time-major sequence.
    /// - Parameters:
    ///   - x: (T·B, I) time-major input.
    ///   - hidden: (L·D, B, H_out): the initial states on entry, h_n on exit.
    ///   - cell: (L·D, B, H): c0 on entry, c_n on exit; empty for kernels without a cell state.
    ///   - lengths: B valid lengths in 1...T (already validated), or nil when every row has T steps.
    /// - Returns: the (T·B, D·H_out) time-major output; steps at or past a row's length are 0.
    func run(timeMajor x: UnsafeBufferPointer<Float>, steps T: Int, batch B: Int,
             hidden: inout [Float], cell: inout [Float], lengths: [Int]?) -> [Float] {
        let D = directions, Hout = outputSize, H = hiddenSize, GH = gateWidth
        let rows = T * B
        let featureCount = D * Hout

        // Per direction: the input projections of a chunk of steps (chunk·B, G·H), the
        // second h buffer (B, H_out) the step writes while reading the first (used with
        // lengths only; otherwise h' goes straight into the output), and with proj_size
        // the (B, H) pre-projection o ⊙ tanh(c'); plus B row pointers into the projections.
        let plans = (0..<numLayers).map { layer in
            (0..<D).map { direction in
                InputPlan(canFuse: weights[layer * D + direction].fusedPacking != nil, steps: T, batch: B,
                          reverse: direction == 1, lengths: lengths,
                          layerWeightBytes: D * GH * (layerInputSize(layer) + Hout) * 4)
            }
        }
        // A fused direction needs no projections; the others hold a chunk of steps'.
        let projectionCount = plans.joined().map { $0.projectedSteps(of: T) }.max()! * B * GH
        let preCount = projSize > 0 ? B * H : 0
        let perDirection = projectionCount + B * Hout + preCount
        // The projections are written whole before they are read; only the small state
        // buffers are zeroed (a finished row's stale pre-projection is computed on, then discarded).
        let workspace = UnsafeMutableBufferPointer<Float>.allocate(capacity: D * perDirection)
        for direction in 0..<D {
            (workspace.baseAddress! + direction * perDirection + projectionCount)
                .initialize(repeating: 0, count: perDirection - projectionCount)
        }
        defer { workspace.deallocate() }
        let rowPointers = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: D * B)
        rowPointers.initialize(repeating: nil, count: D * B)
        defer { rowPointers.deallocate() }

        let worker = claimWorker()
        defer { worker?.release() }

        // Layer outputs ping-pong between two buffers: layer k reads k−1's. Without lengths
        // every element is written by each layer, so the buffers need no zeroing.
        func layerBuffer() -> [Float] {
            guard lengths == nil else { return [Float](repeating: 0, count: rows * featureCount) }
            return [Float](unsafeUninitializedCapacity: rows * featureCount) { _, count in count = rows * featureCount }
        }
        var current = layerBuffer()
        var previous = numLayers > 1 ? layerBuffer() : []
        let stateStride = B * Hout, cellStride = B * H

        for layer in 0..<numLayers {
            if layer > 0 {
                swap(&current, &previous)
                // Padded steps are never written, so they must start at zero.
                if lengths != nil { current.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            }
            let inputWidth = layerInputSize(layer)
            previous.withUnsafeBufferPointer { previousBuffer in
                current.withUnsafeMutableBufferPointer { output in
                    hidden.withUnsafeMutableBufferPointer { h in
                        cell.withUnsafeMutableBufferPointer { c in
                            let input = layer == 0 ? x.baseAddress! : previousBuffer.baseAddress!
                            let loops = (0..<D).map { direction in
                                let index = layer * D + direction
                                let base = workspace.baseAddress! + direction * perDirection
                                return DirectionLoop(
                                    weights: weights[index], kind: kernel.stepKind, plan: plans[layer][direction],
                                    reverse: direction == 1,
                                    steps: T, batch: B, hiddenSize: H, outputSize: Hout, lengths: lengths,
                                    input: input, inputWidth: inputWidth,
                                    projection: base, otherHidden: base + projectionCount,
                                    preProjection: projSize > 0 ? base + projectionCount + B * Hout : nil,
                                    rowPointers: rowPointers + direction * B,
                                    hidden: h.baseAddress! + index * stateStride,
                                    cell: Kernel.hasCellState ? c.baseAddress! + index * cellStride : nil,
                                    output: output.baseAddress! + direction * Hout, featureCount: featureCount)
                            }
                            // All-at-once projections first, on both cores (each split between the threads).
                            for loop in loops where loop.plan == .whole { loop.projectAll(worker: worker) }
                            if D == 2, let worker {
                                worker.run(PairJob({ loops[0].run(worker: nil) }, { loops[1].run(worker: nil) }))
                            } else {
                                for loop in loops { loop.run(worker: worker) }
                            }
                        }
                    }
                }
            }
        }
        return current
    }
}

/// Multiply-adds from which one call of the own kernel is split between the two
/// threads. Below about this (a couple
/// of microseconds of work) the hand-off costs more than it saves. Measured with 131 072
/// and 49 152 alternately: the smaller threshold sped up the steps it newly splits
/// (LSTM H = 128, B = 1: 0.61 → 0.45 ms per forward pass; GRU H = 128, B = 1: 0.42 → 0.34).
/// Waking a sleeping helper only for larger jobs (2 M multiply-adds) was tried and
/// dropped: a stream of one-step calls then never woke it (LSTM H = 256, 100 calls:
/// 1.6 → 4.0 ms), and nothing else measured faster.
let splitThreshold = 49_152

/// One layer and direction: the time loop, with the input side as its ``InputPlan``
/// says. Created per layer (outside the time loop); holds only pointers into the
/// driver's workspace (and, fused, the bias every row's gates get).
///
/// The reverse direction runs row b from its own last valid step (len[b] − 1) down
/// to 0, so all rows still advance in lockstep (step s touches time len[b] − 1 − s)
/// and share each kernel call.
final class DirectionLoop: @unchecked Sendable {
    let weights: RecurrentWeights
    let reverse: Bool
    let steps: Int, batch: Int, hiddenSize: Int, outputSize: Int
    let lengths: [Int]?
    /// How the input side of the gates is computed.
    let plan: InputPlan
    /// The biases every row's gates get in a fused step (`b_ih + b_hh`, or zeros), G·H.
    private let fusedBias: UnsafeMutablePointer<Float>?
    /// (T·B, inputWidth) time-major input of this layer.
    let input: UnsafePointer<Float>
    let inputWidth: Int
    /// (chunkSteps·B, G·H) input projections of the current chunk.
    let projection: UnsafeMutablePointer<Float>
    /// (B, H_out): the h buffer the step writes while it reads the other.
    let otherHidden: UnsafeMutablePointer<Float>
    /// (B, H) o ⊙ tanh(c') before `W_hr`, with proj_size only.
    let preProjection: UnsafeMutablePointer<Float>?
    /// B pointers to each row's input projection at this step (nil: row finished).
    let rowPointers: UnsafeMutablePointer<UnsafePointer<Float>?>
    /// (B, H_out) h0 on entry, h_n on exit; (B, H) c likewise.
    let hidden: UnsafeMutablePointer<Float>
    let cell: UnsafeMutablePointer<Float>?
    /// This direction's first column of the (T·B, D·H_out) output.
    let output: UnsafeMutablePointer<Float>
    let featureCount: Int
    private let stepJob: KernelJob
    /// The input projections' job (made here, on the caller's task, like `stepJob`).
    private let inputJob = KernelJob(kind: TRK_LINEAR)
    /// Keeps the fused packing alive while the step points into it.
    private let fusedMatrix: PackedMatrix?
    private let projectionJob: KernelJob?

    init(weights: RecurrentWeights, kind: trk_kind, plan: InputPlan, reverse: Bool, steps: Int, batch: Int,
         hiddenSize: Int, outputSize: Int, lengths: [Int]?,
         input: UnsafePointer<Float>, inputWidth: Int,
         projection: UnsafeMutablePointer<Float>, otherHidden: UnsafeMutablePointer<Float>,
         preProjection: UnsafeMutablePointer<Float>?, rowPointers: UnsafeMutablePointer<UnsafePointer<Float>?>,
         hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>?,
         output: UnsafeMutablePointer<Float>, featureCount: Int) {
        self.weights = weights
        self.reverse = reverse
        self.steps = steps
        self.batch = batch
        self.hiddenSize = hiddenSize
        self.outputSize = outputSize
        self.lengths = lengths
        self.plan = plan
        self.input = input
        self.inputWidth = inputWidth
        self.projection = projection
        self.otherHidden = otherHidden
        self.preProjection = preProjection
        self.rowPointers = rowPointers
        self.hidden = hidden
        self.cell = cell
        self.output = output
        self.featureCount = featureCount

        stepJob = KernelJob(kind: kind)
        let step = stepJob.step
        step.pointee.rows = batch
        step.pointee.units = hiddenSize
        if plan == .fused {
            // The plan is fused only when the packing exists (InputPlan's canFuse).
            let packing = weights.fusedPacking!
            // [x_t | h]·[W_ih | W_hh]ᵀ: `a` is x_t, `a2` is h (both set per step).
            let matrix = packing.matrix
            step.pointee.packed = UnsafePointer(matrix.pointer)
            step.pointee.depth = inputWidth
            step.pointee.lda = inputWidth
            step.pointee.depth2 = outputSize
            step.pointee.lda2 = outputSize
            let gateWidth = weights.packedInput.rows
            let bias = UnsafeMutablePointer<Float>.allocate(capacity: gateWidth)
            if let folded = weights.foldedBias {
                bias.initialize(from: folded, count: gateWidth)
            } else {
                bias.initialize(repeating: 0, count: gateWidth)
            }
            fusedBias = bias
            fusedMatrix = matrix
        } else {
            step.pointee.packed = UnsafePointer(weights.packedHidden.pointer)
            step.pointee.depth = outputSize
            step.pointee.lda = outputSize
            fusedBias = nil
            fusedMatrix = nil
        }
        step.pointee.pre = UnsafePointer(rowPointers)
        step.pointee.ldo = preProjection == nil ? outputSize : hiddenSize
        step.pointee.cell = cell
        step.pointee.ldc = hiddenSize
        if let packed = weights.packedProjection, let preProjection {
            let job = KernelJob(kind: TRK_LINEAR)
            job.step.pointee.rows = batch
            job.step.pointee.units = outputSize
            job.step.pointee.depth = hiddenSize
            job.step.pointee.packed = UnsafePointer(packed.pointer)
            job.step.pointee.a = UnsafePointer(preProjection)
            job.step.pointee.lda = hiddenSize
            job.step.pointee.ldo = outputSize
            projectionJob = job
        } else {
            projectionJob = nil
        }
    }

    deinit { fusedBias?.deallocate() }

    /// The input projection of `count` steps from time `first`, folded biases included,
    /// with the job made at init (on the caller's task, so with its kernel variant).
    private func project(from first: Int, count: Int, worker: (any SplitRunner)?, allowsOpenBLAS: Bool) {
        withOptionalBuffer(weights.foldedBias) { bias in
            MatrixProduct.multiply(
                rows: count * batch, input + first * batch * inputWidth, lda: inputWidth,
                weight: weights.packedInput, original: weights.inputWeight, bias: bias,
                into: projection, ldo: weights.packedInput.rows, worker: worker,
                job: inputJob, allowsOpenBLAS: allowsOpenBLAS)
        }
    }

    /// The time loop. `worker` (nil when the caller already shares the cores another
    /// way) takes half of each step's (and each projection's) column groups when it is big enough.
    func run(worker: (any SplitRunner)?) {
        let B = batch, T = steps, Hout = outputSize
        let stepWorker = stepJob.multiplyAdds >= splitThreshold ? worker : nil
        let projectionWorker = (projectionJob?.multiplyAdds ?? 0) >= splitThreshold ? worker : nil
        let stepCount = lengths?.max() ?? T
        // Without lengths every row writes h' straight into the output at its time step
        // and the next step reads it there (no copy); with lengths, h ping-pongs between
        // two (B, H_out) buffers and is copied out, since finished rows keep their state.
        let direct = lengths == nil
        var current = hidden, currentStride = Hout, spare = otherHidden
        // Steps [.., projectedEnd) are projected; the projection's first row is time projectedTime
        // (all of them by `projectAll` when the plan projects every step at once).
        var projectedEnd = plan == .whole ? stepCount : 0, projectedTime = 0
        withOptionalBuffer(weights.recurrentBias) { recurrentBias in
            stepJob.step.pointee.bias = recurrentBias
            for s in 0..<stepCount {
                if case .chunked(let chunk) = plan, s == projectedEnd {
                    (projectedTime, projectedEnd) = projectChunk(chunk, from: s, of: stepCount, worker: worker)
                }
                let finished = pointRows(atStep: s, projectedTime: projectedTime)
                // Without lengths (or in a fused plan, which never has them in reverse)
                // step s is one time for all rows.
                let time = reverse ? T - 1 - s : s
                let next = direct ? output + time * B * featureCount : spare
                let nextStride = direct ? featureCount : Hout
                let step = stepJob.step
                if plan == .fused {
                    step.pointee.a = input + time * B * inputWidth
                    step.pointee.a2 = UnsafePointer(current)
                    step.pointee.lda2 = currentStride
                } else {
                    step.pointee.a = UnsafePointer(current)
                    step.pointee.lda = currentStride
                }
                if let projectionJob, let preProjection {
                    // proj_size: h' = W_hr (o ⊙ tanh(c')) for every row (finished rows are restored below).
                    step.pointee.out = preProjection
                    stepJob.run(worker: stepWorker)
                    projectionJob.step.pointee.out = next
                    projectionJob.step.pointee.ldo = nextStride
                    projectionJob.run(worker: projectionWorker)
                } else {
                    step.pointee.out = next
                    step.pointee.ldo = nextStride
                    stepJob.run(worker: stepWorker)
                }
                if !direct {
                    // A finished row keeps its state, which is then its h_n (c is left untouched).
                    if finished > 0 {
                        for b in 0..<B where rowPointers[b] == nil {
                            (next + b * Hout).update(from: current + b * Hout, count: Hout)
                        }
                    }
                    // The output at each row's own time index (this direction's columns).
                    for b in 0..<B where rowPointers[b] != nil {
                        let t = reverse ? lengths![b] - 1 - s : s
                        (output + (t * B + b) * featureCount).update(from: next + b * Hout, count: Hout)
                    }
                    spare = current
                }
                (current, currentStride) = (next, nextStride)
            }
        }
        if current != hidden {
            for b in 0..<B { (hidden + b * Hout).update(from: current + b * currentStride, count: Hout) }
        }
    }

    /// The input projection of all T steps, for a plan that projects them at once; the
    /// driver calls this before the time loops, on the calling thread (OpenBLAS allowed).
    func projectAll(worker: (any SplitRunner)?) {
        project(from: 0, count: steps, worker: worker, allowsOpenBLAS: true)
    }

    /// Projects the (at most `chunk`) steps from `s` on; returns the time of the
    /// projection's first row and the first step it does not cover.
    private func projectChunk(_ chunk: Int, from s: Int, of stepCount: Int,
                              worker: (any SplitRunner)?) -> (time: Int, end: Int) {
        let count = min(chunk, stepCount - s)
        // Lengths come with a reverse direction only unchunked, so here step s is
        // time s (forward) or T − 1 − s (reverse) in every row.
        let time = reverse ? steps - s - count : s
        // Possibly on the helper thread, beside the other direction: the own kernel only.
        project(from: time, count: count, worker: worker, allowsOpenBLAS: false)
        return (time, s + count)
    }

    /// Points each row at its input-side pre-activations for step `s` (the folded biases
    /// when fused; nil once the row has finished) and returns how many have finished.
    private func pointRows(atStep s: Int, projectedTime: Int) -> Int {
        let B = batch, GH = weights.packedInput.rows
        var finished = 0
        for b in 0..<B {
            let length = lengths?[b] ?? steps
            if s >= length {
                rowPointers[b] = nil
                finished += 1
            } else if let fusedBias {
                rowPointers[b] = UnsafePointer(fusedBias)
            } else {
                let t = reverse ? length - 1 - s : s
                rowPointers[b] = UnsafePointer(projection + ((t - projectedTime) * B + b) * GH)
            }
        }
        return finished
    }
}

/// Calls `body` with the array's base address, or with nil for a nil array.
@inline(__always)
func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { try body($0.baseAddress) }
}
