// The portable variant: 4-lane vectors, which every target has (SSE2 on x86-64,
// NEON on arm64) or the compiler splits; multiply and add are separate where the
// baseline has no FMA. Register blocks as AVX2's (16 registers). It is the reference
// the other variants are tested against.
#define TRK_VW 4
#define TRK_RN 6
#define TRK_R3 4
#define TRK_R4 3
#define TRK_SUFFIX portable
#define TRK_TARGET
#include "kernel_body.h"
