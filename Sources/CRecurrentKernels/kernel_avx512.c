// The AVX-512 variant: one panel of 16 columns is one zmm register; up to 6 rows × 4
// panels = 24 accumulators. Only called when CPUID reports AVX-512 F/BW/VL/DQ and FMA.
#if defined(__x86_64__) || defined(__i386__)
#define TRK_VW 16
#define TRK_RMAX 6
#define TRK_SUFFIX avx512
#define TRK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#include "kernel_body.h"
#endif
