// The AVX-512 variant: one panel of 16 columns is one zmm register. Register blocks
// (24 accumulators of the 32 registers): 12 rows × 2 panels for linear maps and RNN
// (two weight loads per 12 broadcasts, the shape of BLIS's SKX kernel), 8 × 3 for GRU,
// 6 × 4 for LSTM. Only called when CPUID reports AVX-512 F/BW/VL/DQ and FMA.
#if defined(__x86_64__) || defined(__i386__)
#define TRK_VW 16
#define TRK_RN 12
#define TRK_R3 8
#define TRK_R4 6
#define TRK_SUFFIX avx512
#define TRK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#include "kernel_body.h"
#endif
