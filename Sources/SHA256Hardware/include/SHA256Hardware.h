#ifndef UNARGMAX_SHA256_HARDWARE_H
#define UNARGMAX_SHA256_HARDWARE_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and the SSSE3/SSE4.1 they are used with), else 0.
int unargmax_sha256_hardware_available(void);

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks at `data`, updating the eight
/// state words `state` (H0..H7) in place. Only call when `unargmax_sha256_hardware_available()`.
void unargmax_sha256_hardware_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
