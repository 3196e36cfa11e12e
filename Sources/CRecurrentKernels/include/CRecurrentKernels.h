#ifndef CRECURRENTKERNELS_H
#define CRECURRENTKERNELS_H
// Packed-weight matrix kernels for TorchNN's recurrent layers.
//
// One routine, `trk_run`, computes rows · Wᵀ against a weight packed once by
// `trk_pack`, and fuses what follows the product as its epilogue: a plain
// store (+ bias) for a linear map, or the gate nonlinearities and state
// update of one RNN / LSTM / GRU step. It exists in three builds of the
// same source (kernel_body.h): AVX-512, AVX2+FMA and a portable one, chosen
// once at run time from CPUID; no compiler flag is needed (each variant's
// functions carry their own `__attribute__((target(...)))`).
//
// Letters as in torch: B rows (batch), H units per gate, G gates, K the depth
// of the product (input features of this weight).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns per packed panel (16 floats: one AVX-512 register, two AVX2, four SSE/NEON).
#define TRK_PANEL 16

/// Panels per column group of a G = 1 kind (linear map, RNN): register blocks of
/// 12 rows × 2 panels with AVX-512. Four panels (6 rows × 4, as for an LSTM: fewer
/// broadcasts per multiply-add) were measured on an AMD EPYC (Zen 5), alternating
/// 4 rounds: Linear M = 6400, N = 1024, K = 256 6% faster, M = 1600, N = 2048,
/// K = 512 3% faster, but RNN H = 128, B = 16 15% slower and the LSTM forward passes
/// unchanged within noise; so two.
#define TRK_LINEAR_GROUP 2

/// What follows the product.
typedef enum trk_kind {
    /// out[b, n] = (a·Wᵀ)[b, n] + bias[n] (bias may be NULL). G = 1.
    TRK_LINEAR = 0,
    /// h' = tanh(pre + W_hh h). G = 1.
    TRK_RNN_TANH = 1,
    /// h' = relu(pre + W_hh h). G = 1.
    TRK_RNN_RELU = 2,
    /// Gates i, f, g, o: c' = σ(f)c + σ(i)tanh(g), h' = σ(o)tanh(c'). G = 4.
    TRK_LSTM = 3,
    /// Gates r, z, n: n = tanh(pre_n + r ⊙ (W_hn h + b_hn)), h' = n + z(h − n). G = 3.
    TRK_GRU = 4,
} trk_kind;

/// The kernel variants; the numbers are stable (used by the Swift API).
typedef enum trk_variant {
    TRK_VARIANT_PORTABLE = 0,
    TRK_VARIANT_AVX2 = 1,
    TRK_VARIANT_AVX512 = 2,
} trk_variant;

/// One call's operands. All matrices row-major.
typedef struct trk_step {
    trk_kind kind;
    /// Rows of `a` (B for a step, M for a linear map).
    ptrdiff_t rows;
    /// H for a cell (columns per gate), N for a linear map.
    ptrdiff_t units;
    /// K: columns of `a`, rows of the packed panels.
    ptrdiff_t depth;
    /// The weight (G·H or N, K) packed by `trk_pack` with this kind's G.
    const float *packed;
    /// (rows, K), leading dimension lda. For a GRU this is also the previous h (K = H).
    const float *a;
    ptrdiff_t lda;
    /// Optional second operand (depth2 = 0: none): the product is then [a | a2]·Wᵀ, W
    /// packed over depth + depth2 columns. A fused LSTM or RNN step passes x_t as `a` and
    /// h as `a2` against [W_ih | W_hh], with `pre` pointing at the folded biases. Not for
    /// TRK_GRU, whose n gate needs the two products apart.
    const float *a2;
    ptrdiff_t lda2;
    ptrdiff_t depth2;
    /// Cells: per row, that row's G·H input-side pre-activations (x·W_ihᵀ + folded
    /// biases, gates in torch's order), or NULL for a row past its length, which is
    /// then left untouched (neither `out` nor `cell` is written). Unused for TRK_LINEAR.
    const float *const *pre;
    /// TRK_LINEAR: N biases or NULL. TRK_GRU: b_hn (H) or NULL. Otherwise unused.
    const float *bias;
    /// (rows, H or N), leading dimension ldo: h' of a cell, or the linear result.
    /// Must not overlap `a` or `a2`.
    float *out;
    ptrdiff_t ldo;
    /// TRK_LSTM: c (rows, H), leading dimension ldc, updated in place.
    float *cell;
    ptrdiff_t ldc;
    /// The variant `trk_run` uses (a trk_variant this CPU supports): set once by the
    /// caller, so that every `trk_run` sharing the step, on any thread, uses the same one.
    int variant;
    /// 1: walk the column groups of [begin, end) from the last to the first (the
    /// results are the same; groups are independent). A caller that flips this on
    /// every call of a step walks its weights back and forth, so the weights it read
    /// last (still in its core's L2 cache) are the first it reads next: a thread whose
    /// share of W_hh is somewhat larger than L2 then reads part of it from L2 instead
    /// of L3. Long linear maps flip the order per row chunk for the same reason.
    int descending;
} trk_step;

/// G of a kind (4 for LSTM, 3 for GRU, else 1).
int trk_gate_count(trk_kind kind);

/// Floats needed to pack an (G·H, K) weight with `gates` = G: G·⌈H/16⌉·16·K.
ptrdiff_t trk_packed_count(ptrdiff_t rows, ptrdiff_t depth, int gates);

/// Packs torch's (G·H, K) row-major `weight` into `packed` (trk_packed_count floats):
/// panels of 16 output columns, panel u·G + g holding rows g·H + 16u ..< g·H + 16u + 16
/// of the weight (zero past H), so that one unit block's G gates are adjacent and the
/// fused epilogue sees all gates of a unit. The panels of one column group (the G
/// gates of a unit block; TRK_LINEAR_GROUP consecutive panels when G = 1) are interleaved: for
/// each k, 16 floats of each panel in turn, so the kernel reads one sequential stream.
void trk_pack(const float *weight, ptrdiff_t rows, ptrdiff_t depth, int gates, float *packed);

/// Independent pieces of work of `step` (column groups: one unit block of a cell,
/// or TRK_LINEAR_GROUP panels of a G = 1 kind). `trk_run` over disjoint group ranges may run
/// on different threads at once.
ptrdiff_t trk_group_count(const trk_step *step);

/// Runs groups [begin, end) of `step` with its `variant`.
void trk_run(const trk_step *step, ptrdiff_t begin, ptrdiff_t end);

/// 1 when this CPU (and OS) can run `variant`, else 0.
int trk_variant_supported(int variant);

/// The variant `trk_run` uses. Chosen on first use: TORCHNN_KERNEL
/// (portable | avx2 | avx512) when set to a supported variant, else the best the
/// CPU supports; an unknown or unsupported value is reported once on stderr and ignored.
trk_variant trk_active_variant(void);

/// The variant a TORCHNN_KERNEL value selects: the named one when this CPU supports
/// it, otherwise the best supported one, with a one-line explanation written to `note`
/// (empty when the value was honoured or absent). `value` may be NULL.
int trk_choose(const char *value, char *note, size_t capacity);

/// Forces `variant` (-1: back to the automatic choice, ignoring the environment).
/// Returns 0, or -1 (nothing changed) when the variant is unknown or unsupported.
int trk_set_variant(int variant);

/// The best variant this CPU supports.
trk_variant trk_best_variant(void);

/// out[i] = σ(in[i]) (`function` 0) or tanh(in[i]) (1) for i < n, with `variant`'s
/// vector code: the nonlinearities the cell epilogues use (Cephes-style expf/tanhf,
/// branch-free; NaN propagates, ±∞ give the exact limits). For accuracy tests.
void trk_map(trk_variant variant, int function, const float *in, float *out, ptrdiff_t n);

/// A spin-wait hint to the CPU (x86 `pause`, arm64 `yield`; nothing elsewhere).
static inline void trk_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Processors this process may run on (its affinity mask on Linux; online ones elsewhere).
int trk_usable_cpus(void);

/// 1 when CPUID names an AMD processor (x86 only; 0 elsewhere).
int trk_cpu_is_amd(void);

/// Benchmark aid: runs `iterations` rounds of 24 independent vector multiply-adds
/// with `variant` (2·24·lanes flops per round; lanes = 16, 8, 4) and returns a value
/// depending on all of them. Timing it measures the core's attainable FMA peak.
float trk_fma_loop(trk_variant variant, long iterations, float seed);

/// Lanes of one vector of `variant` (16, 8 or 4).
int trk_variant_lanes(trk_variant variant);

#ifdef __cplusplus
}
#endif
#endif
