// Internal: no CBLAS type appears in TorchNN's public API.
internal import COpenBLAS
import Foundation

/// The two BLAS calls the layers need, over row-major Float32 buffers.
/// Kept in one place so no CBLAS type appears anywhere else in the module.
enum BLAS {
    /// `C (m×n) = A (m×k) · Bᵀ + beta·C`, where `B` is stored row-major as (n×k):
    /// exactly the shape of a torch weight `(out, in)` applied to row vectors.
    static func gemmTransposedB(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans,
            blasint(m), blasint(n), blasint(k),
            1, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc)
        )
    }

    /// `y (m) = A (m×n) · x (n) + beta·y`, `A` row-major: one batch row through a weight.
    static func gemv(
        m: Int, n: Int,
        a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>,
        beta: Float,
        y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(m), blasint(n), 1, a, blasint(lda), x, 1, beta, y, 1)
    }

    /// `rows (m×n) = x (m×k) · Wᵀ (+ beta·rows)`, choosing GEMV for a single row.
    static func multiplyRows(
        m: Int, n: Int, k: Int,
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        beta: Float,
        into c: UnsafeMutablePointer<Float>
    ) {
        if m == 1 {
            gemv(m: n, n: k, a: weight, lda: k, x: x, beta: beta, y: c)
        } else {
            gemmTransposedB(m: m, n: n, k: k, a: x, lda: k, b: weight, ldb: k, beta: beta, c: c, ldc: n)
        }
    }

    // MARK: - Thread count

    /// Runs `body` with OpenBLAS limited to one thread when `enabled`, then restores
    /// the previous count.
    ///
    /// The driver uses this around the time loop of a layer whose per-step
    /// recurrent product is small (see `RecurrentStack.singleThreadedStepLimit`):
    /// there OpenBLAS 0.3.21 is faster on one thread than on two, because waking and
    /// joining its worker costs more than the halved work saves. The input
    /// projection GEMM before the loop keeps the caller's setting.
    ///
    /// OpenBLAS has only a process-wide setting (`openblas_set_num_threads`), so this
    /// scope is process-wide too: while any TorchNN layer is inside it, other code
    /// calling OpenBLAS also runs single-threaded (results are unaffected, only speed).
    /// Nested and concurrent scopes are counted under a lock; the last one to leave
    /// restores the count read by the first one to enter. Code that itself calls
    /// `openblas_set_num_threads` while a scope is open has its setting replaced on exit.
    /// Nothing changes when OpenBLAS already runs on one thread.
    static func withSingleThread<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
        guard enabled else { return try body() }
        ThreadScope.enter()
        defer { ThreadScope.leave() }
        return try body()
    }

    /// The open single-thread scopes and the thread count to restore.
    private enum ThreadScope {
        private static let lock = NSLock()
        nonisolated(unsafe) private static var depth = 0
        nonisolated(unsafe) private static var saved: Int32 = 1

        static func enter() {
            lock.lock()
            defer { lock.unlock() }
            if depth == 0 {
                saved = openblas_get_num_threads()
                if saved > 1 { openblas_set_num_threads(1) }
            }
            depth += 1
        }

        static func leave() {
            lock.lock()
            defer { lock.unlock() }
            depth -= 1
            if depth == 0, saved > 1 { openblas_set_num_threads(saved) }
        }
    }
}
