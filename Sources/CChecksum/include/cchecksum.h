#ifndef CCHECKSUM_H
#define CCHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// Whether ptc_crc32_fold can run on this CPU (x86-64 with PCLMULQDQ and SSE4.1).
int ptc_crc32_fold_available(void);

/// CRC-32 (IEEE, reflected, as zip uses it) of `length` bytes folded into
/// `crc` with carry-less multiplication. Takes and returns the CRC register
/// *without* the final inversion (pass ~crc in, invert the result), as zlib's
/// SIMD variants do. `length` must be at least 64 and a multiple of 16; call
/// only when ptc_crc32_fold_available() returned 1.
uint32_t ptc_crc32_fold(const uint8_t *bytes, size_t length, uint32_t crc);

#endif
