// The AVX2 + FMA variant: a panel is two ymm registers, processed one half at a time;
// up to 3 rows × 4 panels = 12 accumulators (16 registers in all).
#if defined(__x86_64__) || defined(__i386__)
#define TRK_VW 8
#define TRK_RMAX 3
#define TRK_SUFFIX avx2
#define TRK_TARGET __attribute__((target("avx2,fma")))
#include "kernel_body.h"
#endif
