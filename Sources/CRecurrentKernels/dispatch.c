// Packing, and the run-time choice of kernel variant.
#if defined(__linux__)
#define _GNU_SOURCE
#include <sched.h>
#endif
#include "CRecurrentKernels.h"
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void trk_run_portable(const trk_step *step, ptrdiff_t begin, ptrdiff_t end);
float trk_fma_loop_portable(long iterations, float seed);
void trk_map_portable(int function, const float *in, float *out, ptrdiff_t n);
#if defined(__x86_64__) || defined(__i386__)
float trk_fma_loop_avx2(long iterations, float seed);
float trk_fma_loop_avx512(long iterations, float seed);
void trk_map_avx2(int function, const float *in, float *out, ptrdiff_t n);
void trk_map_avx512(int function, const float *in, float *out, ptrdiff_t n);
void trk_run_avx2(const trk_step *step, ptrdiff_t begin, ptrdiff_t end);
void trk_run_avx512(const trk_step *step, ptrdiff_t begin, ptrdiff_t end);
#endif

int trk_gate_count(trk_kind kind) {
    switch (kind) {
    case TRK_LSTM: return 4;
    case TRK_GRU: return 3;
    default: return 1;
    }
}

ptrdiff_t trk_packed_count(ptrdiff_t rows, ptrdiff_t depth, int gates) {
    const ptrdiff_t units = rows / gates;
    return gates * ((units + TRK_PANEL - 1) / TRK_PANEL) * TRK_PANEL * depth;
}

void trk_pack(const float *weight, ptrdiff_t rows, ptrdiff_t depth, int gates, float *packed) {
    const ptrdiff_t units = rows / gates;
    const ptrdiff_t blocks = (units + TRK_PANEL - 1) / TRK_PANEL;
    const ptrdiff_t panels = blocks * gates;
    const int group = gates > 1 ? gates : TRK_LINEAR_GROUP;
    for (ptrdiff_t p = 0; p < panels; p++) {
        const ptrdiff_t u = p / gates, g = p % gates;
        // The panels of one column group are interleaved row by row (one stream to read).
        const ptrdiff_t first = p / group * group;
        const ptrdiff_t count = panels - first < group ? panels - first : group;
        float *base = packed + first * depth * TRK_PANEL + (p - first) * TRK_PANEL;
        for (ptrdiff_t k = 0; k < depth; k++) {
            for (int j = 0; j < TRK_PANEL; j++) {
                const ptrdiff_t unit = u * TRK_PANEL + j;
                base[k * count * TRK_PANEL + j] = unit < units ? weight[(g * units + unit) * depth + k] : 0.0f;
            }
        }
    }
}

ptrdiff_t trk_group_count(const trk_step *step) {
    const int gates = trk_gate_count(step->kind);
    const ptrdiff_t units = (step->units + TRK_PANEL - 1) / TRK_PANEL;
    return gates > 1 ? units : (units + TRK_LINEAR_GROUP - 1) / TRK_LINEAR_GROUP;
}

// MARK: - Variants

int trk_variant_supported(int variant) {
    switch (variant) {
    case TRK_VARIANT_PORTABLE:
        return 1;
#if defined(__x86_64__) || defined(__i386__)
    case TRK_VARIANT_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case TRK_VARIANT_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

trk_variant trk_best_variant(void) {
    if (trk_variant_supported(TRK_VARIANT_AVX512)) return TRK_VARIANT_AVX512;
    if (trk_variant_supported(TRK_VARIANT_AVX2)) return TRK_VARIANT_AVX2;
    return TRK_VARIANT_PORTABLE;
}

static const char *const trk_names[] = {"portable", "avx2", "avx512"};

/// -1 until chosen.
static _Atomic int trk_active = -1;

int trk_choose(const char *value, char *note, size_t capacity) {
    const int best = trk_best_variant();
    if (note && capacity) note[0] = 0;
    if (!value || !*value) return best;
    for (int v = 0; v < 3; v++) {
        if (strcmp(value, trk_names[v]) != 0) continue;
        if (trk_variant_supported(v)) return v;
        if (note) snprintf(note, capacity, "TORCHNN_KERNEL=%s is not supported by this CPU; using %s", value, trk_names[best]);
        return best;
    }
    if (note) {
        snprintf(note, capacity, "TORCHNN_KERNEL=%.40s is not one of portable, avx2, avx512; ignored, using %s",
                 value, trk_names[best]);
    }
    return best;
}

trk_variant trk_active_variant(void) {
    int v = atomic_load_explicit(&trk_active, memory_order_acquire);
    if (v >= 0) return (trk_variant)v;
    char note[160];
    int chosen = trk_choose(getenv("TORCHNN_KERNEL"), note, sizeof note);
    if (note[0]) fprintf(stderr, "TorchNN: %s\n", note);
    int expected = -1;
    // A concurrent first call may have stored first (the same value, or a forced one): keep it.
    if (!atomic_compare_exchange_strong(&trk_active, &expected, chosen)) return (trk_variant)expected;
    return (trk_variant)chosen;
}

int trk_set_variant(int variant) {
    if (variant == -1) {
        atomic_store_explicit(&trk_active, (int)trk_best_variant(), memory_order_release);
        return 0;
    }
    if (variant < 0 || variant > 2 || !trk_variant_supported(variant)) return -1;
    atomic_store_explicit(&trk_active, variant, memory_order_release);
    return 0;
}

void trk_run(const trk_step *step, ptrdiff_t begin, ptrdiff_t end) {
    switch (step->variant) {
#if defined(__x86_64__) || defined(__i386__)
    case TRK_VARIANT_AVX512: trk_run_avx512(step, begin, end); return;
    case TRK_VARIANT_AVX2: trk_run_avx2(step, begin, end); return;
#endif
    default: trk_run_portable(step, begin, end); return;
    }
}

float trk_fma_loop(trk_variant variant, long iterations, float seed) {
    switch (variant) {
#if defined(__x86_64__) || defined(__i386__)
    case TRK_VARIANT_AVX512: return trk_fma_loop_avx512(iterations, seed);
    case TRK_VARIANT_AVX2: return trk_fma_loop_avx2(iterations, seed);
#endif
    default: return trk_fma_loop_portable(iterations, seed);
    }
}

int trk_variant_lanes(trk_variant variant) {
    switch (variant) {
    case TRK_VARIANT_AVX512: return 16;
    case TRK_VARIANT_AVX2: return 8;
    default: return 4;
    }
}

void trk_map(trk_variant variant, int function, const float *in, float *out, ptrdiff_t n) {
    switch (variant) {
#if defined(__x86_64__) || defined(__i386__)
    case TRK_VARIANT_AVX512: trk_map_avx512(function, in, out, n); return;
    case TRK_VARIANT_AVX2: trk_map_avx2(function, in, out, n); return;
#endif
    default: trk_map_portable(function, in, out, n); return;
    }
}

int trk_usable_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    long count = sysconf(_SC_NPROCESSORS_ONLN);
    return count > 0 ? (int)count : 1;
}

int trk_cpu_is_amd(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_is("amd") ? 1 : 0;
#else
    return 0;
#endif
}
