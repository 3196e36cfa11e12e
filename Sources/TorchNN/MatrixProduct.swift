internal import CRecurrentKernels

/// `out (M×N) = a (M×K) · Wᵀ + bias` for the large products (input projections over
/// many rows, ``Linear``): the own packed kernel or OpenBLAS, whichever was
/// measured faster for the shape class (see `prefersOpenBLAS`).
enum MatrixProduct {
    /// - Parameters:
    ///   - rows: M.
    ///   - a: (M, K), leading dimension `lda`.
    ///   - weight: W (N, K) packed at load.
    ///   - original: the same W in torch's layout (for OpenBLAS).
    ///   - bias: N values or nil.
    ///   - out: (M, N), leading dimension `ldo`.
    ///   - worker: shares the work when given and the product is big enough.
    ///   - job: the own kernel's job to run it with, prepared by the caller (so that its
    ///     variant is the caller's; see ``KernelJob``), or nil for a new one.
    ///   - allowsOpenBLAS: false to use the own kernel whatever the shape. OpenBLAS
    ///     starts threads of its own: the input projections made inside the two
    ///     directions' concurrent time loops stay on the own kernel (two multithreaded
    ///     OpenBLAS calls at once ran a 3-layer bidirectional LSTM at B = 4 a third slower).
    ///     The choice never depends on whether `worker` was free, so the same call
    ///     gives the same bits.
    static func multiply(
        rows: Int, _ a: UnsafePointer<Float>, lda: Int,
        weight: PackedMatrix, original: [Float], bias: UnsafePointer<Float>?,
        into out: UnsafeMutablePointer<Float>, ldo: Int, worker: (any SplitRunner)?,
        job: KernelJob? = nil, allowsOpenBLAS: Bool = true
    ) {
        let N = weight.rows, K = weight.depth
        if allowsOpenBLAS && prefersOpenBLAS(rows: rows, columns: N, depth: K) {
            if let bias {
                for row in 0..<rows { (out + row * ldo).update(from: bias, count: N) }
            }
            original.withUnsafeBufferPointer { w in
                BLAS.gemmTransposedB(m: rows, n: N, k: K, a: a, lda: lda, b: w.baseAddress!, ldb: K,
                                     beta: bias == nil ? 0 : 1, c: out, ldc: ldo)
            }
            return
        }
        // Rows in slices (one kernel call each).
        let slice = min(rows, rowSlice)
        let job = job ?? KernelJob(kind: TRK_LINEAR)
        job.step.pointee.units = N
        job.step.pointee.depth = K
        job.step.pointee.packed = UnsafePointer(weight.pointer)
        job.step.pointee.lda = lda
        job.step.pointee.bias = bias
        job.step.pointee.ldo = ldo
        for first in stride(from: 0, to: rows, by: slice) {
            job.step.pointee.rows = min(slice, rows - first)
            job.step.pointee.a = a + first * lda
            job.step.pointee.out = out + first * ldo
            job.run(worker: job.multiplyAdds >= splitThreshold ? worker : nil)
        }
    }

    /// Rows per kernel call of a long product (a multiple of every row block).
    static let rowSlice = 4_608

    /// Whether OpenBLAS beats the own kernel for an (M×K)·(K×N) product.
    ///
    /// Measured one thread each on the Xeon (AVX-512) benchmark machine, GFLOP/s own vs
    /// OpenBLAS 0.3.21: with an AVX-512 OpenBLAS core (`SkylakeX`, `Cooperlake`) OpenBLAS
    /// wins from a few hundred rows (M = 1600, N = 2048, K = 512: 118 vs 146; M = 640,
    /// K = 40: 80 vs 100; M = 6400, N = K = 256: 118 vs 139) and loses below
    /// (M = 100, N = 4096, K = 1024: 117 vs 114); with `Haswell` (75–80) or the
    /// `Prescott` fallback Debian's build uses on CPUs it does not know (29–32) the
    /// own kernel wins everywhere. So: OpenBLAS for M ≥ 256 when its core is AVX-512
    /// and so is the own kernel; the own kernel otherwise.
    ///
    /// Not on AMD CPUs: on the AMD EPYC (Zen 5) machine, where OpenBLAS picks
    /// `Cooperlake`, the own kernel (with the chunk-to-chunk walk of
    /// `trk_step.descending`) was as fast or faster at every shape measured, both
    /// cores, alternating, ms own vs OpenBLAS: M = 400, N = 1024, K = 256: 0.48–0.49 vs
    /// 0.53–0.58; M = 400, N = 4096, K = 1024: 8.0–8.5 vs 8.6–9.0; M = 6400, N = 1024,
    /// K = 256: 8.4–9.3 vs 8.9–9.9; M = 1600, N = 2048, K = 512: 7.8–8.2 vs 8.1–8.3;
    /// M = 1600, N = 4096, K = 1024: 32.2–34.1 vs 32.4–33.7. (The Xeon figures predate
    /// that walk; the rule there is kept until it is measured again.)
    static func prefersOpenBLAS(rows: Int, columns: Int, depth: Int) -> Bool {
        rows >= 256 && openBLASHasAVX512 && !cpuIsAMD && KernelVariant.active == .avx512
    }

    /// Whether CPUID names an AMD processor (read once).
    static let cpuIsAMD = trk_cpu_is_amd() == 1

    /// Whether OpenBLAS dispatched to one of its AVX-512 cores (read once).
    static let openBLASHasAVX512 = ["SkylakeX", "Cooperlake", "SapphireRapids"].contains(KernelVariant.openBLASCore)
}
