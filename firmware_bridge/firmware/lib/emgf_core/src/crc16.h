/*
 * crc16.h - CRC-16/CCITT-FALSE for EMGF v1 frames.
 *
 * Parameters (Rocksoft model): width 16, poly 0x1021, init 0xFFFF,
 * refin false, refout false, xorout 0x0000, check("123456789") = 0x29B1.
 *
 * Portable C99; no allocation, no platform headers. By default a 512-byte
 * const lookup table is used (it lives in flash/.rodata on MCUs). Define
 * CRC16_CCITT_FALSE_NO_TABLE when compiling crc16.c to use the slower
 * bitwise loop instead (no table at all).
 *
 * Thread/ISR safety: the functions are pure (no state). On ESP32 the table
 * is in flash, so do not call these from an ISR that may run while the
 * flash cache is disabled.
 */
#ifndef EMGF_CRC16_H
#define EMGF_CRC16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Initial register value of CRC-16/CCITT-FALSE. */
#define CRC16_CCITT_FALSE_INIT 0xFFFFu

/**
 * Continue a CRC over `len` more bytes. Start with CRC16_CCITT_FALSE_INIT;
 * the value returned after the last block is the final CRC (no xor-out).
 * `data` may be NULL only when `len` is 0.
 */
uint16_t crc16_ccitt_false_update(uint16_t crc, const uint8_t *data, size_t len);

/** CRC-16/CCITT-FALSE of one buffer. */
uint16_t crc16_ccitt_false(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* EMGF_CRC16_H */
