// Internal: no CBLAS type appears in TorchNN's public API.
internal import COpenBLAS

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
}
