internal import CRecurrentKernels

/// Measurements for `rnn-benchmark`: the attainable FMA peak of one core and the
/// throughput of the fused step kernel on one thread, both with the active
/// ``KernelVariant``. Not part of the stable API.
@_spi(Benchmark)
public enum KernelBenchmark {
    /// GFLOP/s of independent vector multiply-adds on the calling thread: the peak
    /// the step kernel is compared against (one core; 2 flops per lane and FMA).
    public static func fmaPeakGFLOPS() -> Double {
        let variant = KernelVariant.active.cValue
        let flopsPerRound = Double(2 * 24 * Int(trk_variant_lanes(variant)))
        var best = 0.0
        var sink: Float = 0
        // The best of many short runs: on a shared machine most runs lose some time.
        for _ in 0..<20 {
            let rounds = 1_000_000
            let seconds = time { sink += trk_fma_loop(variant, rounds, sink) }
            best = max(best, flopsPerRound * Double(rounds) / seconds / 1e9)
        }
        return sink.isNaN ? 0 : best
    }

    /// GFLOP/s of the fused recurrent step (h·W_hhᵀ plus the gate epilogue) on the
    /// calling thread: the best of five runs of `calls` steps with random weights.
    /// Counts 2·B·G·H·H flops per step (the product; the epilogue is extra work).
    /// - Parameter module: "RNN", "LSTM" or "GRU".
    public static func stepGFLOPS(module: String, batch B: Int, hidden H: Int, calls: Int = 50) -> Double {
        let kind: trk_kind = module == "LSTM" ? TRK_LSTM : module == "GRU" ? TRK_GRU : TRK_RNN_TANH
        let G = Int(trk_gate_count(kind))
        var generator = SeededGenerator(seed: 7)
        let weight = PackedMatrix(generator.uniform(count: G * H * H, bound: 1 / Float(H).squareRoot()),
                                  rows: G * H, depth: H, gates: G)
        var pre = generator.uniform(count: B * G * H, bound: 1)
        var hidden = generator.uniform(count: 2 * B * H, bound: 1)
        var cell = [Float](repeating: 0, count: B * H)
        var rows = [UnsafePointer<Float>?](repeating: nil, count: B)
        var best = 0.0
        pre.withUnsafeMutableBufferPointer { pre in
            hidden.withUnsafeMutableBufferPointer { hidden in
                cell.withUnsafeMutableBufferPointer { cell in
                    rows.withUnsafeMutableBufferPointer { rows in
                        for b in 0..<B { rows[b] = UnsafePointer(pre.baseAddress! + b * G * H) }
                        var step = trk_step()
                        step.kind = kind
                        step.rows = B
                        step.units = H
                        step.depth = H
                        step.packed = UnsafePointer(weight.pointer)
                        step.lda = H
                        step.pre = UnsafePointer(rows.baseAddress!)
                        step.ldo = H
                        step.cell = cell.baseAddress
                        step.ldc = H
                        step.variant = Int32(KernelVariant.active.cValue.rawValue)
                        let groups = trk_group_count(&step)
                        for _ in 0..<5 {
                            let seconds = time {
                                for call in 0..<calls {
                                    // Alternate the two h buffers, as the driver does.
                                    step.a = UnsafePointer(hidden.baseAddress! + (call % 2) * B * H)
                                    step.out = hidden.baseAddress! + (1 - call % 2) * B * H
                                    trk_run(&step, 0, groups)
                                }
                            }
                            best = max(best, 2 * Double(B * G * H * H * calls) / seconds / 1e9)
                        }
                    }
                }
            }
        }
        return best
    }

    private static func time(_ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
