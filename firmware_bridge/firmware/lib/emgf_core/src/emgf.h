/*
 * emgf.h - EMGF v1 frame encoder (reference firmware side).
 *
 * The wire format is specified normatively in firmware_bridge/PROTOCOL.md
 * (and docs/devices.md, "EMGF v1"). Summary, all integers
 * little-endian:
 *
 *   off size field
 *    0   1   sync0   0xA5
 *    1   1   sync1   0x5A
 *    2   1   version 1
 *    3   1   type    0x01 samples, 0x02 info JSON, 0x03 event/marker JSON
 *    4   2   length  payload bytes (<= 4096)
 *    6   4   seq     samples: device index of the first sample; others: 0
 *   10   4   t_us    device clock (microseconds, wraps)
 *   14   len payload
 * 14+len 2   crc     CRC-16/CCITT-FALSE over bytes 2 .. 13+len
 *
 *   samples payload: u8 n_channels, u8 n_samples, u8 format (0x02 int16,
 *   0x03 int24 packed LE two's complement), u8 reserved = 0, then
 *   n_samples x n_channels values, sample-major.
 *
 * Portable C99: only <stdint.h>/<stddef.h>/<stdbool.h>/<string.h>; no
 * allocation, no struct packing: every multi-byte field is written byte by
 * byte, so the output is identical on little- and big-endian CPUs.
 *
 * All encoders write into a caller buffer and return the number of bytes
 * written, or 0 on any error (invalid argument, value out of range for the
 * format, payload too long, buffer too small). Nothing is ever truncated.
 * The functions are reentrant (no state) but are meant for the main loop,
 * not for an ISR.
 */
#ifndef EMGF_H
#define EMGF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMGF_SYNC0 0xA5u
#define EMGF_SYNC1 0x5Au
#define EMGF_VERSION 1u

#define EMGF_TYPE_SAMPLES 0x01u
#define EMGF_TYPE_INFO 0x02u
#define EMGF_TYPE_MARKER 0x03u

#define EMGF_FORMAT_INT16 0x02u
#define EMGF_FORMAT_INT24 0x03u

/** Header bytes before the payload (sync .. t_us). */
#define EMGF_HEADER_SIZE 14u
/** CRC bytes after the payload. */
#define EMGF_CRC_SIZE 2u
/** Header + CRC: frame size = EMGF_OVERHEAD + payload length. */
#define EMGF_OVERHEAD (EMGF_HEADER_SIZE + EMGF_CRC_SIZE)
/** Largest payload a v1 frame may carry. */
#define EMGF_MAX_PAYLOAD 4096u
/** Largest v1 frame on the wire (4112 bytes). */
#define EMGF_MAX_FRAME (EMGF_OVERHEAD + EMGF_MAX_PAYLOAD)
/** Bytes of the samples-payload header (n_channels, n_samples, format, reserved). */
#define EMGF_SAMPLES_HEADER_SIZE 4u

/** Frame size of a samples frame, as a constant expression (no validation). */
#define EMGF_SAMPLES_FRAME_SIZE(n_channels, n_samples, bytes_per_value) \
    (EMGF_OVERHEAD + EMGF_SAMPLES_HEADER_SIZE +                        \
     (size_t)(n_channels) * (size_t)(n_samples) * (size_t)(bytes_per_value))

/** ATT default MTU and the notification payload it allows (MTU - 3). */
#define EMGF_BLE_DEFAULT_ATT_MTU 23u
#define EMGF_BLE_ATT_HEADER 3u

/** Bytes per value of a sample format (2 or 3), 0 for an unknown format. */
size_t emgf_format_bytes(uint8_t format);

/** Smallest/largest value a sample format can carry (INT16 / INT24). */
int32_t emgf_format_min(uint8_t format);
int32_t emgf_format_max(uint8_t format);

/**
 * Payload length of a samples frame, or 0 if the combination is invalid:
 * n_channels == 0, n_samples == 0, unknown format, or a payload longer than
 * EMGF_MAX_PAYLOAD.
 */
size_t emgf_samples_payload_len(uint8_t n_channels, uint8_t n_samples, uint8_t format);

/** Largest n_samples (<= 255) that fits one frame, 0 if none does. */
uint8_t emgf_max_samples_per_frame(uint8_t n_channels, uint8_t format);

/**
 * Encode any v1 frame: header, payload copy, CRC.
 *
 * `payload` may point to out + EMGF_HEADER_SIZE (payload already built in
 * place); any other overlap with `out` is not allowed. `payload` may be
 * NULL only if payload_len is 0. Returns EMGF_OVERHEAD + payload_len, or 0
 * if payload_len > EMGF_MAX_PAYLOAD or out_cap is too small. The type is
 * not checked, so future frame types can be produced (and tested) with it.
 */
size_t emgf_encode_frame(uint8_t *out, size_t out_cap, uint8_t type, uint32_t seq,
                         uint32_t t_us, const uint8_t *payload, size_t payload_len);

/**
 * Encode a samples frame.
 *
 * values: n_samples * n_channels int32 values, sample-major
 * (values[s * n_channels + c]); each must fit the format (int16:
 * -32768..32767, int24: -8388608..8388607) or nothing is encoded (return 0):
 * clipping is the caller's decision, never a silent one here.
 * seq: device index of values[0..n_channels-1]; t_us: device clock at it.
 */
size_t emgf_encode_samples(uint8_t *out, size_t out_cap, uint32_t seq, uint32_t t_us,
                           uint8_t n_channels, uint8_t n_samples, uint8_t format,
                           const int32_t *values);

/**
 * Encode an info (type 0x02) or marker (type 0x03) frame whose payload is
 * the UTF-8 JSON text json[0 .. json_len-1] (no terminating NUL on the
 * wire). seq is 0 as the protocol requires. The JSON is not parsed; the
 * caller guarantees it is one JSON object. Returns 0 for another type.
 */
size_t emgf_encode_json(uint8_t *out, size_t out_cap, uint8_t type, uint32_t t_us,
                        const char *json, size_t json_len);

/** Same as emgf_encode_json(..., EMGF_TYPE_INFO, ...). */
size_t emgf_encode_info(uint8_t *out, size_t out_cap, uint32_t t_us, const char *json,
                        size_t json_len);

/** Same as emgf_encode_json(..., EMGF_TYPE_MARKER, ...). */
size_t emgf_encode_marker(uint8_t *out, size_t out_cap, uint32_t t_us, const char *json,
                          size_t json_len);

/**
 * Largest BLE notification payload for a negotiated ATT MTU: att_mtu - 3,
 * never less than the default 20 bytes (MTUs below 23 are not legal).
 * Frames are cut into pieces of at most this size, in order.
 */
size_t emgf_ble_chunk_len(uint16_t att_mtu);

#ifdef __cplusplus
}
#endif

#endif /* EMGF_H */
