import TorchTensor
/// The one time loop every recurrent module runs through.
///
/// Per layer and direction: ONE GEMM projects all T·B input rows onto the G·H
/// gate columns with the foldable biases pre-added; then per step ONE GEMM (a
/// GEMV when B = 1) computes the recurrent projection, the kernel fuses the
/// gate nonlinearities and state update row by row (SIMD over the H units, see
/// ``VectorMath``; for a large enough batch the ``GateWorker`` thread takes half
/// of the rows), and an LSTM with projections does one more small GEMM. Every
/// buffer is allocated before the loop; nothing inside it allocates or copies an array.
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

        // Workspace shared by all layers and directions: the input projection
        // (T·B, G·H), the recurrent projection (B, G·H), and for projections the
        // pre-projection h (B, H) and a (B, P) scratch used when some rows are done.
        let projectionCount = rows * GH
        let recurrentCount = B * GH
        let preCount = projSize > 0 ? B * H : 0
        let scratchCount = projSize > 0 ? B * Hout : 0
        let workspace = UnsafeMutableBufferPointer<Float>.allocate(
            capacity: projectionCount + recurrentCount + preCount + scratchCount)
        workspace.initialize(repeating: 0)
        defer { workspace.deallocate() }
        let scratch = Workspace(
            projection: workspace.baseAddress!,
            recurrent: workspace.baseAddress! + projectionCount,
            preProjection: projSize > 0 ? workspace.baseAddress! + projectionCount + recurrentCount : nil,
            projected: projSize > 0 ? workspace.baseAddress! + projectionCount + recurrentCount + preCount : nil)

        // Layer outputs ping-pong between two buffers: layer k reads k−1's.
        var current = [Float](repeating: 0, count: rows * featureCount)
        var previous = numLayers > 1 ? [Float](repeating: 0, count: rows * featureCount) : []
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
                            for direction in 0..<D {
                                let index = layer * D + direction
                                runDirection(
                                    weights[index], reverse: direction == 1,
                                    input: input, inputWidth: inputWidth,
                                    steps: T, batch: B, lengths: lengths,
                                    hidden: h.baseAddress! + index * stateStride,
                                    cell: Kernel.hasCellState ? c.baseAddress! + index * cellStride : nil,
                                    output: output.baseAddress!, outputOffset: direction * Hout,
                                    scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
        return current
    }

    /// B·G·H from which the fused gate pass of each step is shared with the gate
    /// worker (``GateWorker``). Measured on the 2-core benchmark machine: from
    /// about 24 K upwards the worker saves 4–9% of a whole forward pass (LSTM
    /// B = 32, H = 256: 41.8 → 38.1 ms); around 8–16 K gains and losses are within
    /// noise; at 4 K and below the hand-off costs more than it saves.
    static var parallelGateThreshold: Int { 16_384 }

    /// Pointers into the preallocated workspace.
    struct Workspace {
        var projection: UnsafeMutablePointer<Float>
        var recurrent: UnsafeMutablePointer<Float>
        var preProjection: UnsafeMutablePointer<Float>?
        var projected: UnsafeMutablePointer<Float>?
    }

    /// One layer, one direction. The reverse direction runs row b from its own
    /// last valid step (len[b] − 1) down to 0, so all rows still advance in
    /// lockstep (step s touches time len[b] − 1 − s) and share each GEMM.
    private func runDirection(
        _ w: RecurrentWeights, reverse: Bool,
        input: UnsafePointer<Float>, inputWidth: Int,
        steps T: Int, batch B: Int, lengths: [Int]?,
        hidden h: UnsafeMutablePointer<Float>, cell c: UnsafeMutablePointer<Float>?,
        output: UnsafeMutablePointer<Float>, outputOffset: Int,
        scratch: Workspace
    ) {
        let H = hiddenSize, Hout = outputSize, GH = gateWidth
        let featureCount = directions * Hout
        let rows = T * B
        let projection = scratch.projection, recurrent = scratch.recurrent

        // Input projection of all T·B rows at once, biases pre-added (beta = 1).
        let inputBeta: Float
        if let bias = w.foldedBias {
            bias.withUnsafeBufferPointer { b in
                for row in 0..<rows { (projection + row * GH).update(from: b.baseAddress!, count: GH) }
            }
            inputBeta = 1
        } else {
            inputBeta = 0
        }
        w.inputWeight.withUnsafeBufferPointer { wih in
            BLAS.gemmTransposedB(m: rows, n: GH, k: inputWidth, a: input, lda: inputWidth,
                                 b: wih.baseAddress!, ldb: inputWidth, beta: inputBeta, c: projection, ldc: GH)
        }

        // The fused gate pass of each step, shared with the gate worker when there is
        // enough of it (the worker is claimed for the whole loop, released after it).
        let pass = GatePass(
            kernel: kernel, steps: T, batch: B, lengths: lengths, reverse: reverse,
            hiddenSize: H, gateWidth: GH, projection: projection, recurrent: recurrent,
            hidden: scratch.preProjection ?? h, hiddenStride: scratch.preProjection == nil ? Hout : H,
            cell: c)
        let worker = B >= 2 && B * GH >= Self.parallelGateThreshold ? GatePass<Kernel>.claimWorker() : nil
        defer { worker?.release() }
        // Past the longest sequence no row is active: stop there.
        let stepCount = lengths?.max() ?? T
        w.hiddenWeight.withUnsafeBufferPointer { whhBuffer in
            withOptionalBuffer(w.recurrentBias) { recurrentBias in
                withOptionalBuffer(w.projectionWeight) { whr in
                    let whh = whhBuffer.baseAddress!
                    for s in 0..<stepCount {
                        // Recurrent projection h·W_hhᵀ (+ b_hn for a GRU) for all rows.
                        if let recurrentBias {
                            for b in 0..<B { (recurrent + b * GH).update(from: recurrentBias, count: GH) }
                        }
                        BLAS.multiplyRows(m: B, n: GH, k: Hout, x: h, weight: whh,
                                          beta: recurrentBias == nil ? 0 : 1, into: recurrent)

                        // Fused gates, committing only rows still inside their sequence:
                        // a finished row keeps its state, which is then its h_n / c_n.
                        pass.step = s
                        if let worker {
                            worker.run(pass)
                        } else {
                            pass.run(rows: 0..<B)
                        }
                        // proj_size: h' = W_hr (o ⊙ tanh(c')).
                        if let whr, let pre = scratch.preProjection, let projected = scratch.projected {
                            let active = lengths.map { $0.count { s < $0 } } ?? B
                            if active == B {
                                BLAS.multiplyRows(m: B, n: Hout, k: H, x: pre, weight: whr, beta: 0, into: h)
                            } else {
                                BLAS.multiplyRows(m: B, n: Hout, k: H, x: pre, weight: whr, beta: 0, into: projected)
                                for b in 0..<B where s < (lengths?[b] ?? T) {
                                    (h + b * Hout).update(from: projected + b * Hout, count: Hout)
                                }
                            }
                        }

                        // The output at each row's own time index (this direction's half).
                        for b in 0..<B {
                            let length = lengths?[b] ?? T
                            guard s < length else { continue }
                            let t = reverse ? length - 1 - s : s
                            (output + (t * B + b) * featureCount + outputOffset).update(from: h + b * Hout, count: Hout)
                        }
                    }
                }
            }
        }
    }
}

/// One step's fused gate pass: everything `Kernel.step` needs, created once per
/// layer and direction (only `step` changes in the time loop), so that the gate
/// worker can take half of the rows without anything being allocated per step.
/// Rows are independent (each reads and writes only its own slices), which is
/// what makes sharing the raw pointers between the two threads safe.
final class GatePass<Kernel: RecurrentCellKernel>: SplitJob, @unchecked Sendable {
    let kernel: Kernel
    let steps: Int, batch: Int
    let lengths: [Int]?
    let reverse: Bool
    let hiddenSize: Int, gateWidth: Int
    let projection: UnsafePointer<Float>
    let recurrent: UnsafePointer<Float>
    /// h (stride H_out), or the pre-projection buffer (stride H) with proj_size.
    let hidden: UnsafeMutablePointer<Float>
    let hiddenStride: Int
    let cell: UnsafeMutablePointer<Float>?
    /// The step index s (not the time index: see `RecurrentStack.runDirection`).
    var step = 0

    init(kernel: Kernel, steps: Int, batch: Int, lengths: [Int]?, reverse: Bool, hiddenSize: Int, gateWidth: Int,
         projection: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
         hidden: UnsafeMutablePointer<Float>, hiddenStride: Int, cell: UnsafeMutablePointer<Float>?) {
        self.kernel = kernel
        self.steps = steps
        self.batch = batch
        self.lengths = lengths
        self.reverse = reverse
        self.hiddenSize = hiddenSize
        self.gateWidth = gateWidth
        self.projection = projection
        self.recurrent = recurrent
        self.hidden = hidden
        self.hiddenStride = hiddenStride
        self.cell = cell
    }

    /// The shared gate worker when it is free (claimed: release it after the loop).
    static func claimWorker() -> (any SplitRunner)? {
        guard #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *) else { return nil }
        guard let worker = GateWorker.shared, worker.acquire() else { return nil }
        return worker
    }

    /// Part 0 (the caller) takes the first half of the rows, part 1 (the worker) the rest.
    func run(part: Int) {
        let half = batch / 2
        run(rows: part == 0 ? 0..<half : half..<batch)
    }

    /// Runs the kernel for the rows of `rows` still inside their sequence:
    /// a finished row keeps its state, which is then its h_n / c_n.
    @inline(__always)
    func run(rows: Range<Int>) {
        for b in rows {
            let length = lengths?[b] ?? steps
            guard step < length else { continue }
            let t = reverse ? length - 1 - step : step
            kernel.step(
                hiddenSize: hiddenSize,
                input: projection + (t * batch + b) * gateWidth,
                recurrent: recurrent + b * gateWidth,
                hidden: hidden + b * hiddenStride,
                cell: cell.map { $0 + b * hiddenSize })
        }
    }
}

/// Calls `body` with the array's base address, or with nil for a nil array.
@inline(__always)
func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { try body($0.baseAddress) }
}
