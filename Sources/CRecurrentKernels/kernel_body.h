// The kernel, written once over GCC/Clang vector extensions and compiled three
// times (kernel_avx512.c, kernel_avx2.c, kernel_portable.c). Each includer defines:
//   TRK_VW      lanes per vector (16, 8, 4): 16 / TRK_VW vectors cover one panel
//   TRK_RN      rows per register block with 1 or 2 panels (G = 1 kinds: linear, RNN)
//   TRK_R3      rows per register block with 3 panels (GRU)
//   TRK_R4      rows per register block with 4 panels (LSTM)
//               (accumulators: rows × panels vectors; all of them fit in registers)
//   TRK_SUFFIX  name suffix of this variant's functions
//   TRK_TARGET  the function attribute selecting the instruction set (may be empty)
// The compiler lowers a vector of TRK_VW floats to the registers the target
// attribute allows (one zmm, one ymm, one xmm / NEON register) and `a * b + c` in
// one expression to an FMA where the target has one (clang's default
// -ffp-contract=on), a multiply and an add where not.

#include "CRecurrentKernels.h"
#include <stdint.h>
#include <string.h>

#define TRK_CAT2(a, b) a##_##b
#define TRK_CAT(a, b) TRK_CAT2(a, b)
#define F(name) TRK_CAT(name, TRK_SUFFIX)
#define INLINE static inline __attribute__((always_inline)) TRK_TARGET
// Full unrolling of the register-block loops (R, NP are constants after inlining).
#if defined(__clang__)
#define TRK_UNROLL _Pragma("clang loop unroll(full)")
#else
#define TRK_UNROLL _Pragma("GCC unroll 16")
#endif

typedef float F(vf) __attribute__((vector_size(TRK_VW * 4)));
typedef int32_t F(vi) __attribute__((vector_size(TRK_VW * 4)));
typedef float F(vfu) __attribute__((vector_size(TRK_VW * 4), aligned(4), may_alias));
#define vf F(vf)
#define vi F(vi)
#define vfu F(vfu)

/// x in every lane (x − (+0) is x for every x, so this folds to a broadcast).
INLINE vf F(splat)(float x) { return x - (vf){0}; }
INLINE vf F(load)(const float *p) { return *(const vfu *)p; }
INLINE void F(store)(float *p, vf v) { *(vfu *)p = v; }

/// The first n (1 ≤ n ≤ TRK_VW) floats at p, other lanes 0 (reads only those n).
INLINE vf F(loadn)(const float *p, int n) {
    if (n == TRK_VW) return F(load)(p);
    vf v = (vf){0};
    for (int i = 0; i < n; i++) v[i] = p[i];
    return v;
}

/// Stores the first n lanes.
INLINE void F(storen)(float *p, vf v, int n) {
    if (n == TRK_VW) { F(store)(p, v); return; }
    for (int i = 0; i < n; i++) p[i] = v[i];
}

INLINE vf F(select)(vi mask, vf b, vf a) { return (vf)(((vi)b & mask) | ((vi)a & ~mask)); }

// MARK: - exp, sigmoid, tanh (the algorithm of VectorMath.swift: Cephes expf/tanhf)

/// e^x for x ≤ 0; inputs below `lower` give e^lower; NaN stays NaN.
INLINE vf F(exp_nonpositive)(vf x, float lower, int subnormal) {
    x = F(select)(x < lower, F(splat)(lower), x);
    const float magic = 12582912.0f;
    vf shifted = x * 1.4426950408889634f + magic;
    vf n = shifted - magic;
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440054690582768e-4f;
    vf r2 = r * r;
    vf p = F(splat)(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    vf er = p * r2 + r + 1.0f;
    vi nbits = (vi)shifted - (vi)F(splat)(magic);
    if (subnormal) {
        vi half = nbits >> 1;
        vi rest = nbits - half;
        return er * (vf)((half + 127) << 23) * (vf)((rest + 127) << 23);
    }
    return er * (vf)((nbits + 127) << 23);
}

INLINE vf F(sigmoid)(vf x) {
    vf mag = (vf)((vi)x & 0x7FFFFFFF);
    vf e = F(exp_nonpositive)(-mag, -104.0f, 1);
    vf numerator = F(select)((vi)x >> 31, e, F(splat)(1.0f));
    return numerator / (1.0f + e);
}

INLINE vf F(tanh)(vf x) {
    vf a = (vf)((vi)x & 0x7FFFFFFF);
    vf e = F(exp_nonpositive)(-2.0f * a, -64.0f, 0);
    vf large = (1.0f - e) / (1.0f + e);
    vf z = a * a;
    vf q = F(splat)(-5.70498872745e-3f);
    q = q * z + 2.06390887954e-2f;
    q = q * z - 5.37397155531e-2f;
    q = q * z + 1.33314422036e-1f;
    q = q * z - 3.33332819422e-1f;
    vf small = q * z * a + a;
    vf t = F(select)(((vi)a - 0x3F200000) >> 31, small, large);
    return (vf)((vi)t | ((vi)x & (int32_t)0x80000000));
}

// MARK: - The register block

/// acc[r][q] += Σ_k a[r·lda + k] · w[(k·NP + q)·16 ...] for k < K: the register block's
/// inner product over one operand. A macro, not a function: with `acc` behind a pointer
/// the compiler stored every accumulator to the stack on every k (2.5× slower).
#define TRK_ACCUMULATE(A, LDA, K, W)                                                        \
    do {                                                                                    \
        const float *arow[TRK_RN];                                                          \
        TRK_UNROLL for (int r = 0; r < R; r++) arow[r] = (A) + r * (LDA);                   \
        const float *wk = (W);                                                              \
        for (ptrdiff_t k = 0; k < (K); k++, wk += NP * TRK_PANEL) {                         \
            vf wv[4];                                                                       \
            TRK_UNROLL for (int q = 0; q < NP; q++) wv[q] = F(load)(wk + q * TRK_PANEL);    \
            TRK_UNROLL for (int r = 0; r < R; r++) {                                        \
                vf x = F(splat)(arow[r][k]);                                                \
                TRK_UNROLL for (int q = 0; q < NP; q++) acc[r][q] = acc[r][q] + wv[q] * x;  \
            }                                                                               \
        }                                                                                   \
    } while (0)

/// The epilogue of a G = 1 kind for row b (acc: the row's NP vectors): + bias for a
/// linear map, + pre-activation and the nonlinearity for an RNN step.
INLINE void F(plain_row)(const trk_step *s, ptrdiff_t b, const vf *acc, ptrdiff_t p0, const int NP, int sub) {
    const ptrdiff_t H = s->units;
    const float *pre = s->kind == TRK_LINEAR ? NULL : s->pre[b];
    if (s->kind != TRK_LINEAR && !pre) return;
    float *out = s->out + b * s->ldo;
TRK_UNROLL
    for (int q = 0; q < NP; q++) {
        const ptrdiff_t col = (p0 + q) * TRK_PANEL + sub * TRK_VW;
        if (col >= H) break;
        const int n = H - col < TRK_VW ? (int)(H - col) : TRK_VW;
        vf v = acc[q];
        if (s->kind == TRK_LINEAR) {
            if (s->bias) v = v + F(loadn)(s->bias + col, n);
        } else {
            v = v + F(loadn)(pre + col, n);
            if (s->kind == TRK_RNN_TANH) {
                v = F(tanh)(v);
            } else {
                // relu as torch: x ≤ 0 gives 0, NaN (all comparisons false) stays NaN.
                v = F(select)(v <= 0.0f, F(splat)(0.0f), v);
            }
        }
        F(storen)(out + col, v, n);
    }
}

/// The LSTM epilogue for row b, units j ..< j+n.
INLINE void F(lstm_row)(const trk_step *s, ptrdiff_t b, const vf *acc, const int NP, ptrdiff_t j, int n) {
    const ptrdiff_t H = s->units;
    const float *pre = s->pre[b];
    if (!pre) return;
    float *c = s->cell + b * s->ldc + j;
    vf i = F(sigmoid)(acc[0] + F(loadn)(pre + j, n));
    vf f = F(sigmoid)(acc[1 % NP] + F(loadn)(pre + H + j, n));
    vf g = F(tanh)(acc[2 % NP] + F(loadn)(pre + 2 * H + j, n));
    vf o = F(sigmoid)(acc[3 % NP] + F(loadn)(pre + 3 * H + j, n));
    vf cn = f * F(loadn)(c, n) + i * g;
    F(storen)(c, cn, n);
    F(storen)(s->out + b * s->ldo + j, o * F(tanh)(cn), n);
}

/// The GRU epilogue for row b, units j ..< j+n (bhn: b_hn of those units).
INLINE void F(gru_row)(const trk_step *s, ptrdiff_t b, const vf *acc, const int NP, ptrdiff_t j, int n, vf bhn) {
    const ptrdiff_t H = s->units;
    const float *pre = s->pre[b];
    if (!pre) return;
    vf rg = F(sigmoid)(acc[0] + F(loadn)(pre + j, n));
    vf z = F(sigmoid)(acc[1 % NP] + F(loadn)(pre + H + j, n));
    vf nn = F(tanh)(F(loadn)(pre + 2 * H + j, n) + rg * (acc[2 % NP] + bhn));
    vf h = F(loadn)(s->a + b * s->lda + j, n);
    // torch's fused CPU cell: n + z ⊙ (h − n).
    F(storen)(s->out + b * s->ldo + j, nn + z * (h - nn), n);
}

/// The epilogue of every row r of the block: unrolled when FUSED (constant indices keep
/// `acc` in registers across the two products; with a loop over rows the compiler kept
/// it on the stack and stored every accumulator on every k, 2.5× slower), a loop
/// otherwise (unrolled, the unfused steps measured a few per cent slower where they
/// wait on memory: LSTM with proj_size, H = 1024, B = 16).
#define TRK_EACH_ROW(FUSED, CALL)                            \
    do {                                                     \
        if (FUSED) {                                         \
            TRK_UNROLL for (int r = 0; r < R; r++) { CALL; } \
        } else {                                             \
            for (int r = 0; r < R; r++) { CALL; }            \
        }                                                    \
    } while (0)

/// Rows r0 ..< r0+R against panels p0 ..< p0+NP, lanes sub·TRK_VW ..< (sub+1)·TRK_VW
/// of each panel: the product accumulated in R·NP vectors, then the epilogue. FUSED
/// (a constant): the product runs over `a` and then `a2` ([x_t | h]·[W_ih | W_hh]ᵀ).
INLINE void F(block)(const trk_step *s, ptrdiff_t r0, const int R, ptrdiff_t p0, const int NP, int sub,
                     const int FUSED) {
    // The group's NP panels are interleaved per k (see trk_pack): one stream of NP·16 floats
    // per k, over depth rows of `a`, then depth2 rows of `a2`.
    const float *w = s->packed + p0 * (s->depth + s->depth2) * TRK_PANEL + sub * TRK_VW;

    // Fully unrolled (R, NP are constants here) so the accumulators live in registers.
    vf acc[TRK_RN][4];
TRK_UNROLL
    for (int r = 0; r < R; r++)
TRK_UNROLL
        for (int q = 0; q < NP; q++) acc[r][q] = (vf){0};
    TRK_ACCUMULATE(s->a + r0 * s->lda, s->lda, s->depth, w);
    if (FUSED) TRK_ACCUMULATE(s->a2 + r0 * s->lda2, s->lda2, s->depth2, w + s->depth * NP * TRK_PANEL);

    const ptrdiff_t H = s->units;
    switch (s->kind) {
    case TRK_LINEAR:
    case TRK_RNN_TANH:
    case TRK_RNN_RELU:
        TRK_EACH_ROW(FUSED, F(plain_row)(s, r0 + r, acc[r], p0, NP, sub));
        break;
    case TRK_LSTM: {
        const ptrdiff_t j = (p0 / 4) * TRK_PANEL + sub * TRK_VW;
        if (j >= H) break;
        const int n = H - j < TRK_VW ? (int)(H - j) : TRK_VW;
        TRK_EACH_ROW(FUSED, F(lstm_row)(s, r0 + r, acc[r], NP, j, n));
        break;
    }
    case TRK_GRU: {
        const ptrdiff_t j = (p0 / 3) * TRK_PANEL + sub * TRK_VW;
        if (j >= H) break;
        const int n = H - j < TRK_VW ? (int)(H - j) : TRK_VW;
        const vf bhn = s->bias ? F(loadn)(s->bias + j, n) : (vf){0};
        TRK_EACH_ROW(FUSED, F(gru_row)(s, r0 + r, acc[r], NP, j, n, bhn));
        break;
    }
    }
}

// One out-of-line function per (R, NP) so each keeps its accumulators in registers:
// block_R_NP for one operand, fused_R_NP for two (RNN: NP 1, 2; LSTM: NP 4).
#define TRK_BLOCK_FN(R, NP)                                                                              \
    static __attribute__((noinline)) TRK_TARGET void F(block_##R##_##NP)(const trk_step *s, ptrdiff_t r0, \
                                                                           ptrdiff_t p0, int sub) {       \
        F(block)(s, r0, R, p0, NP, sub, 0);                                                               \
    }
#define TRK_FUSED_FN(R, NP)                                                                              \
    static __attribute__((noinline)) TRK_TARGET void F(fused_##R##_##NP)(const trk_step *s, ptrdiff_t r0, \
                                                                           ptrdiff_t p0, int sub) {       \
        F(block)(s, r0, R, p0, NP, sub, 1);                                                               \
    }

#if TRK_RN >= 1
TRK_BLOCK_FN(1, 1)
TRK_BLOCK_FN(1, 2)
TRK_FUSED_FN(1, 1)
TRK_FUSED_FN(1, 2)
#endif
#if TRK_R3 >= 1
TRK_BLOCK_FN(1, 3)
#endif
#if TRK_R4 >= 1
TRK_BLOCK_FN(1, 4)
TRK_FUSED_FN(1, 4)
#endif
#if TRK_RN >= 2
TRK_BLOCK_FN(2, 1)
TRK_BLOCK_FN(2, 2)
TRK_FUSED_FN(2, 1)
TRK_FUSED_FN(2, 2)
#endif
#if TRK_R3 >= 2
TRK_BLOCK_FN(2, 3)
#endif
#if TRK_R4 >= 2
TRK_BLOCK_FN(2, 4)
TRK_FUSED_FN(2, 4)
#endif
#if TRK_RN >= 3
TRK_BLOCK_FN(3, 1)
TRK_BLOCK_FN(3, 2)
TRK_FUSED_FN(3, 1)
TRK_FUSED_FN(3, 2)
#endif
#if TRK_R3 >= 3
TRK_BLOCK_FN(3, 3)
#endif
#if TRK_R4 >= 3
TRK_BLOCK_FN(3, 4)
TRK_FUSED_FN(3, 4)
#endif
#if TRK_RN >= 4
TRK_BLOCK_FN(4, 1)
TRK_BLOCK_FN(4, 2)
TRK_FUSED_FN(4, 1)
TRK_FUSED_FN(4, 2)
#endif
#if TRK_R3 >= 4
TRK_BLOCK_FN(4, 3)
#endif
#if TRK_R4 >= 4
TRK_BLOCK_FN(4, 4)
TRK_FUSED_FN(4, 4)
#endif
#if TRK_RN >= 5
TRK_BLOCK_FN(5, 1)
TRK_BLOCK_FN(5, 2)
TRK_FUSED_FN(5, 1)
TRK_FUSED_FN(5, 2)
#endif
#if TRK_R3 >= 5
TRK_BLOCK_FN(5, 3)
#endif
#if TRK_R4 >= 5
TRK_BLOCK_FN(5, 4)
TRK_FUSED_FN(5, 4)
#endif
#if TRK_RN >= 6
TRK_BLOCK_FN(6, 1)
TRK_BLOCK_FN(6, 2)
TRK_FUSED_FN(6, 1)
TRK_FUSED_FN(6, 2)
#endif
#if TRK_R3 >= 6
TRK_BLOCK_FN(6, 3)
#endif
#if TRK_R4 >= 6
TRK_BLOCK_FN(6, 4)
TRK_FUSED_FN(6, 4)
#endif
#if TRK_RN >= 7
TRK_BLOCK_FN(7, 1)
TRK_BLOCK_FN(7, 2)
TRK_FUSED_FN(7, 1)
TRK_FUSED_FN(7, 2)
#endif
#if TRK_R3 >= 7
TRK_BLOCK_FN(7, 3)
#endif
#if TRK_R4 >= 7
TRK_BLOCK_FN(7, 4)
TRK_FUSED_FN(7, 4)
#endif
#if TRK_RN >= 8
TRK_BLOCK_FN(8, 1)
TRK_BLOCK_FN(8, 2)
TRK_FUSED_FN(8, 1)
TRK_FUSED_FN(8, 2)
#endif
#if TRK_R3 >= 8
TRK_BLOCK_FN(8, 3)
#endif
#if TRK_R4 >= 8
TRK_BLOCK_FN(8, 4)
TRK_FUSED_FN(8, 4)
#endif
#if TRK_RN >= 9
TRK_BLOCK_FN(9, 1)
TRK_BLOCK_FN(9, 2)
TRK_FUSED_FN(9, 1)
TRK_FUSED_FN(9, 2)
#endif
#if TRK_R3 >= 9
TRK_BLOCK_FN(9, 3)
#endif
#if TRK_R4 >= 9
TRK_BLOCK_FN(9, 4)
TRK_FUSED_FN(9, 4)
#endif
#if TRK_RN >= 10
TRK_BLOCK_FN(10, 1)
TRK_BLOCK_FN(10, 2)
TRK_FUSED_FN(10, 1)
TRK_FUSED_FN(10, 2)
#endif
#if TRK_R3 >= 10
TRK_BLOCK_FN(10, 3)
#endif
#if TRK_R4 >= 10
TRK_BLOCK_FN(10, 4)
TRK_FUSED_FN(10, 4)
#endif
#if TRK_RN >= 11
TRK_BLOCK_FN(11, 1)
TRK_BLOCK_FN(11, 2)
TRK_FUSED_FN(11, 1)
TRK_FUSED_FN(11, 2)
#endif
#if TRK_R3 >= 11
TRK_BLOCK_FN(11, 3)
#endif
#if TRK_R4 >= 11
TRK_BLOCK_FN(11, 4)
TRK_FUSED_FN(11, 4)
#endif
#if TRK_RN >= 12
TRK_BLOCK_FN(12, 1)
TRK_BLOCK_FN(12, 2)
TRK_FUSED_FN(12, 1)
TRK_FUSED_FN(12, 2)
#endif
#if TRK_R3 >= 12
TRK_BLOCK_FN(12, 3)
#endif
#if TRK_R4 >= 12
TRK_BLOCK_FN(12, 4)
TRK_FUSED_FN(12, 4)
#endif

typedef void (*F(block_fn))(const trk_step *, ptrdiff_t, ptrdiff_t, int);

/// blocks[NP − 1][R − 1]; NULL past the row limit of NP panels.
static const F(block_fn) F(blocks)[4][12] = {
    {
#if TRK_RN >= 1
        F(block_1_1),
#else
        0,
#endif
#if TRK_RN >= 2
        F(block_2_1),
#else
        0,
#endif
#if TRK_RN >= 3
        F(block_3_1),
#else
        0,
#endif
#if TRK_RN >= 4
        F(block_4_1),
#else
        0,
#endif
#if TRK_RN >= 5
        F(block_5_1),
#else
        0,
#endif
#if TRK_RN >= 6
        F(block_6_1),
#else
        0,
#endif
#if TRK_RN >= 7
        F(block_7_1),
#else
        0,
#endif
#if TRK_RN >= 8
        F(block_8_1),
#else
        0,
#endif
#if TRK_RN >= 9
        F(block_9_1),
#else
        0,
#endif
#if TRK_RN >= 10
        F(block_10_1),
#else
        0,
#endif
#if TRK_RN >= 11
        F(block_11_1),
#else
        0,
#endif
#if TRK_RN >= 12
        F(block_12_1),
#else
        0,
#endif
    },
    {
#if TRK_RN >= 1
        F(block_1_2),
#else
        0,
#endif
#if TRK_RN >= 2
        F(block_2_2),
#else
        0,
#endif
#if TRK_RN >= 3
        F(block_3_2),
#else
        0,
#endif
#if TRK_RN >= 4
        F(block_4_2),
#else
        0,
#endif
#if TRK_RN >= 5
        F(block_5_2),
#else
        0,
#endif
#if TRK_RN >= 6
        F(block_6_2),
#else
        0,
#endif
#if TRK_RN >= 7
        F(block_7_2),
#else
        0,
#endif
#if TRK_RN >= 8
        F(block_8_2),
#else
        0,
#endif
#if TRK_RN >= 9
        F(block_9_2),
#else
        0,
#endif
#if TRK_RN >= 10
        F(block_10_2),
#else
        0,
#endif
#if TRK_RN >= 11
        F(block_11_2),
#else
        0,
#endif
#if TRK_RN >= 12
        F(block_12_2),
#else
        0,
#endif
    },
    {
#if TRK_R3 >= 1
        F(block_1_3),
#else
        0,
#endif
#if TRK_R3 >= 2
        F(block_2_3),
#else
        0,
#endif
#if TRK_R3 >= 3
        F(block_3_3),
#else
        0,
#endif
#if TRK_R3 >= 4
        F(block_4_3),
#else
        0,
#endif
#if TRK_R3 >= 5
        F(block_5_3),
#else
        0,
#endif
#if TRK_R3 >= 6
        F(block_6_3),
#else
        0,
#endif
#if TRK_R3 >= 7
        F(block_7_3),
#else
        0,
#endif
#if TRK_R3 >= 8
        F(block_8_3),
#else
        0,
#endif
#if TRK_R3 >= 9
        F(block_9_3),
#else
        0,
#endif
#if TRK_R3 >= 10
        F(block_10_3),
#else
        0,
#endif
#if TRK_R3 >= 11
        F(block_11_3),
#else
        0,
#endif
#if TRK_R3 >= 12
        F(block_12_3),
#else
        0,
#endif
    },
    {
#if TRK_R4 >= 1
        F(block_1_4),
#else
        0,
#endif
#if TRK_R4 >= 2
        F(block_2_4),
#else
        0,
#endif
#if TRK_R4 >= 3
        F(block_3_4),
#else
        0,
#endif
#if TRK_R4 >= 4
        F(block_4_4),
#else
        0,
#endif
#if TRK_R4 >= 5
        F(block_5_4),
#else
        0,
#endif
#if TRK_R4 >= 6
        F(block_6_4),
#else
        0,
#endif
#if TRK_R4 >= 7
        F(block_7_4),
#else
        0,
#endif
#if TRK_R4 >= 8
        F(block_8_4),
#else
        0,
#endif
#if TRK_R4 >= 9
        F(block_9_4),
#else
        0,
#endif
#if TRK_R4 >= 10
        F(block_10_4),
#else
        0,
#endif
#if TRK_R4 >= 11
        F(block_11_4),
#else
        0,
#endif
#if TRK_R4 >= 12
        F(block_12_4),
#else
        0,
#endif
    },
};

/// The same for fused steps (depth2 > 0): RNN and LSTM only.
static const F(block_fn) F(fused_blocks)[4][12] = {
    {
#if TRK_RN >= 1
        F(fused_1_1),
#else
        0,
#endif
#if TRK_RN >= 2
        F(fused_2_1),
#else
        0,
#endif
#if TRK_RN >= 3
        F(fused_3_1),
#else
        0,
#endif
#if TRK_RN >= 4
        F(fused_4_1),
#else
        0,
#endif
#if TRK_RN >= 5
        F(fused_5_1),
#else
        0,
#endif
#if TRK_RN >= 6
        F(fused_6_1),
#else
        0,
#endif
#if TRK_RN >= 7
        F(fused_7_1),
#else
        0,
#endif
#if TRK_RN >= 8
        F(fused_8_1),
#else
        0,
#endif
#if TRK_RN >= 9
        F(fused_9_1),
#else
        0,
#endif
#if TRK_RN >= 10
        F(fused_10_1),
#else
        0,
#endif
#if TRK_RN >= 11
        F(fused_11_1),
#else
        0,
#endif
#if TRK_RN >= 12
        F(fused_12_1),
#else
        0,
#endif
    },
    {
#if TRK_RN >= 1
        F(fused_1_2),
#else
        0,
#endif
#if TRK_RN >= 2
        F(fused_2_2),
#else
        0,
#endif
#if TRK_RN >= 3
        F(fused_3_2),
#else
        0,
#endif
#if TRK_RN >= 4
        F(fused_4_2),
#else
        0,
#endif
#if TRK_RN >= 5
        F(fused_5_2),
#else
        0,
#endif
#if TRK_RN >= 6
        F(fused_6_2),
#else
        0,
#endif
#if TRK_RN >= 7
        F(fused_7_2),
#else
        0,
#endif
#if TRK_RN >= 8
        F(fused_8_2),
#else
        0,
#endif
#if TRK_RN >= 9
        F(fused_9_2),
#else
        0,
#endif
#if TRK_RN >= 10
        F(fused_10_2),
#else
        0,
#endif
#if TRK_RN >= 11
        F(fused_11_2),
#else
        0,
#endif
#if TRK_RN >= 12
        F(fused_12_2),
#else
        0,
#endif
    },
    {
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    },
    {
#if TRK_R4 >= 1
        F(fused_1_4),
#else
        0,
#endif
#if TRK_R4 >= 2
        F(fused_2_4),
#else
        0,
#endif
#if TRK_R4 >= 3
        F(fused_3_4),
#else
        0,
#endif
#if TRK_R4 >= 4
        F(fused_4_4),
#else
        0,
#endif
#if TRK_R4 >= 5
        F(fused_5_4),
#else
        0,
#endif
#if TRK_R4 >= 6
        F(fused_6_4),
#else
        0,
#endif
#if TRK_R4 >= 7
        F(fused_7_4),
#else
        0,
#endif
#if TRK_R4 >= 8
        F(fused_8_4),
#else
        0,
#endif
#if TRK_R4 >= 9
        F(fused_9_4),
#else
        0,
#endif
#if TRK_R4 >= 10
        F(fused_10_4),
#else
        0,
#endif
#if TRK_R4 >= 11
        F(fused_11_4),
#else
        0,
#endif
#if TRK_R4 >= 12
        F(fused_12_4),
#else
        0,
#endif
    },
};

/// Rows per chunk for a long `a` (a linear map over T·B rows): a chunk of rows stays
/// in the L2 cache while every column group streams past it.
#define TRK_ROW_CHUNK 192

TRK_TARGET void F(trk_run)(const trk_step *s, ptrdiff_t begin, ptrdiff_t end) {
    const int gates = trk_gate_count(s->kind);
    const int group = gates > 1 ? gates : TRK_LINEAR_GROUP;
    const ptrdiff_t units = (s->units + TRK_PANEL - 1) / TRK_PANEL;
    const ptrdiff_t panels = units * gates;
    const int rmax = group <= 2 ? TRK_RN : group == 3 ? TRK_R3 : TRK_R4;
    const F(block_fn)(*table)[12] = s->depth2 > 0 ? F(fused_blocks) : F(blocks);
    int descending = s->descending != 0;
    for (ptrdiff_t chunk = 0; chunk < s->rows; chunk += TRK_ROW_CHUNK, descending = !descending) {
        const ptrdiff_t chunkEnd = chunk + TRK_ROW_CHUNK < s->rows ? chunk + TRK_ROW_CHUNK : s->rows;
        for (ptrdiff_t i = begin; i < end; i++) {
            // Back and forth (see trk_step.descending): the groups read last are read first next.
            const ptrdiff_t g = descending ? end - 1 - (i - begin) : i;
            const ptrdiff_t p0 = g * group;
            const int np = panels - p0 < group ? (int)(panels - p0) : group;
            // First unit (or column) of this group: a sub-panel wholly past H is skipped.
            const ptrdiff_t first = gates > 1 ? g * TRK_PANEL : p0 * TRK_PANEL;
            for (int sub = 0; sub < TRK_PANEL / TRK_VW; sub++) {
                if (first + sub * TRK_VW >= s->units) break;
                for (ptrdiff_t r0 = chunk; r0 < chunkEnd; r0 += rmax) {
                    const int rows = chunkEnd - r0 < rmax ? (int)(chunkEnd - r0) : rmax;
                    table[np - 1][rows - 1](s, r0, p0, sub);
                }
            }
        }
    }
}

/// out[i] = σ(in[i]) (function 0) or tanh(in[i]) (function 1) for i < n: the gate
/// nonlinearities of the epilogue, exposed so that their accuracy can be tested alone.
TRK_TARGET void F(trk_map)(int function, const float *in, float *out, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i += TRK_VW) {
        const int count = n - i < TRK_VW ? (int)(n - i) : TRK_VW;
        vf x = F(loadn)(in + i, count);
        F(storen)(out + i, function == 0 ? F(sigmoid)(x) : F(tanh)(x), count);
    }
}

/// Benchmark aid: `iterations` rounds of 24 independent vector multiply-adds (the
/// most this variant can keep in flight), returning a value that depends on all of
/// them. 24·TRK_VW·2 flops per round: timing it gives the core's attainable peak.
TRK_TARGET float F(trk_fma_loop)(long iterations, float seed) {
    vf acc[24];
    for (int i = 0; i < 24; i++) acc[i] = F(splat)(seed + (float)i);
    const vf m = F(splat)(0.999999f), add = F(splat)(1e-7f);
    for (long n = 0; n < iterations; n++) {
        for (int i = 0; i < 24; i++) acc[i] = acc[i] * m + add;
    }
    vf sum = (vf){0};
    for (int i = 0; i < 24; i++) sum = sum + acc[i];
    float total = 0;
    for (int i = 0; i < TRK_VW; i++) total += sum[i];
    return total;
}

#undef vf
#undef vi
#undef vfu
