// The AVX2 + FMA variant: a panel is two ymm registers, processed one half at a time;
// 12 accumulators of the 16 registers: 6 rows × 2 panels, 4 × 3 (GRU), 3 × 4 (LSTM).
#if defined(__x86_64__) || defined(__i386__)
#define TRK_VW 8
#define TRK_RN 6
#define TRK_R3 4
#define TRK_R4 3
#define TRK_SUFFIX avx2
#define TRK_TARGET __attribute__((target("avx2,fma")))
#include "kernel_body.h"
#endif
