/*
 * emgf.c - EMGF v1 frame encoder. See emgf.h and firmware_bridge/PROTOCOL.md.
 */
#include "emgf.h"

#include <string.h>

#include "crc16.h"

#define EMGF_INT16_MIN (-32767L - 1L)
#define EMGF_INT16_MAX 32767L
#define EMGF_INT24_MIN (-8388607L - 1L)
#define EMGF_INT24_MAX 8388607L

static void put_u16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)((v >> 24) & 0xFFu);
}

size_t emgf_format_bytes(uint8_t format)
{
    switch (format) {
    case EMGF_FORMAT_INT16:
        return 2u;
    case EMGF_FORMAT_INT24:
        return 3u;
    default:
        return 0u;
    }
}

int32_t emgf_format_min(uint8_t format)
{
    return (format == EMGF_FORMAT_INT24) ? (int32_t)EMGF_INT24_MIN : (int32_t)EMGF_INT16_MIN;
}

int32_t emgf_format_max(uint8_t format)
{
    return (format == EMGF_FORMAT_INT24) ? (int32_t)EMGF_INT24_MAX : (int32_t)EMGF_INT16_MAX;
}

size_t emgf_samples_payload_len(uint8_t n_channels, uint8_t n_samples, uint8_t format)
{
    size_t bpv = emgf_format_bytes(format);
    size_t len;
    if (bpv == 0u || n_channels == 0u || n_samples == 0u) {
        return 0u;
    }
    /* size_t may be only 16 bits on small MCUs, and 255 * 255 * 3 does not
     * fit in it: check the bound by division before multiplying. */
    len = (size_t)n_channels * bpv; /* <= 765 */
    if ((size_t)n_samples > (EMGF_MAX_PAYLOAD - EMGF_SAMPLES_HEADER_SIZE) / len) {
        return 0u;
    }
    return EMGF_SAMPLES_HEADER_SIZE + len * (size_t)n_samples;
}

uint8_t emgf_max_samples_per_frame(uint8_t n_channels, uint8_t format)
{
    size_t bpv = emgf_format_bytes(format);
    size_t n;
    if (bpv == 0u || n_channels == 0u) {
        return 0u;
    }
    n = (EMGF_MAX_PAYLOAD - EMGF_SAMPLES_HEADER_SIZE) / ((size_t)n_channels * bpv);
    return (uint8_t)(n > 255u ? 255u : n);
}

/* Writes sync, version, type, length, seq, t_us at out[0..13]. */
static void write_header(uint8_t *out, uint8_t type, uint16_t payload_len, uint32_t seq,
                         uint32_t t_us)
{
    out[0] = (uint8_t)EMGF_SYNC0;
    out[1] = (uint8_t)EMGF_SYNC1;
    out[2] = (uint8_t)EMGF_VERSION;
    out[3] = type;
    put_u16le(out + 4, payload_len);
    put_u32le(out + 6, seq);
    put_u32le(out + 10, t_us);
}

/* CRC over version .. end of payload, appended little-endian. */
static size_t finish_frame(uint8_t *out, size_t payload_len)
{
    size_t crc_at = EMGF_HEADER_SIZE + payload_len;
    uint16_t crc = crc16_ccitt_false(out + 2, crc_at - 2u);
    put_u16le(out + crc_at, crc);
    return crc_at + EMGF_CRC_SIZE;
}

size_t emgf_encode_frame(uint8_t *out, size_t out_cap, uint8_t type, uint32_t seq,
                         uint32_t t_us, const uint8_t *payload, size_t payload_len)
{
    if (out == NULL || payload_len > EMGF_MAX_PAYLOAD) {
        return 0u;
    }
    if (payload == NULL && payload_len != 0u) {
        return 0u;
    }
    if (out_cap < EMGF_OVERHEAD + payload_len) {
        return 0u;
    }
    if (payload_len != 0u && payload != out + EMGF_HEADER_SIZE) {
        memcpy(out + EMGF_HEADER_SIZE, payload, payload_len);
    }
    write_header(out, type, (uint16_t)payload_len, seq, t_us);
    return finish_frame(out, payload_len);
}

size_t emgf_encode_samples(uint8_t *out, size_t out_cap, uint32_t seq, uint32_t t_us,
                           uint8_t n_channels, uint8_t n_samples, uint8_t format,
                           const int32_t *values)
{
    size_t payload_len = emgf_samples_payload_len(n_channels, n_samples, format);
    size_t n_values;
    size_t i;
    int32_t lo;
    int32_t hi;
    uint8_t *p;

    if (out == NULL || values == NULL || payload_len == 0u) {
        return 0u;
    }
    if (out_cap < EMGF_OVERHEAD + payload_len) {
        return 0u;
    }
    n_values = (size_t)n_channels * (size_t)n_samples;
    lo = emgf_format_min(format);
    hi = emgf_format_max(format);
    for (i = 0; i < n_values; ++i) {
        if (values[i] < lo || values[i] > hi) {
            return 0u;
        }
    }

    write_header(out, (uint8_t)EMGF_TYPE_SAMPLES, (uint16_t)payload_len, seq, t_us);
    p = out + EMGF_HEADER_SIZE;
    p[0] = n_channels;
    p[1] = n_samples;
    p[2] = format;
    p[3] = 0u; /* reserved */
    p += EMGF_SAMPLES_HEADER_SIZE;
    for (i = 0; i < n_values; ++i) {
        /* Conversion of a negative int32_t to uint32_t is defined (mod 2^32),
         * which yields the two's-complement bit pattern on every C99 target. */
        uint32_t u = (uint32_t)values[i];
        *p++ = (uint8_t)(u & 0xFFu);
        *p++ = (uint8_t)((u >> 8) & 0xFFu);
        if (format == EMGF_FORMAT_INT24) {
            *p++ = (uint8_t)((u >> 16) & 0xFFu);
        }
    }
    return finish_frame(out, payload_len);
}

size_t emgf_encode_json(uint8_t *out, size_t out_cap, uint8_t type, uint32_t t_us,
                        const char *json, size_t json_len)
{
    if (type != EMGF_TYPE_INFO && type != EMGF_TYPE_MARKER) {
        return 0u;
    }
    if (json == NULL || json_len == 0u) {
        return 0u;
    }
    return emgf_encode_frame(out, out_cap, type, 0u, t_us, (const uint8_t *)json, json_len);
}

size_t emgf_encode_info(uint8_t *out, size_t out_cap, uint32_t t_us, const char *json,
                        size_t json_len)
{
    return emgf_encode_json(out, out_cap, (uint8_t)EMGF_TYPE_INFO, t_us, json, json_len);
}

size_t emgf_encode_marker(uint8_t *out, size_t out_cap, uint32_t t_us, const char *json,
                          size_t json_len)
{
    return emgf_encode_json(out, out_cap, (uint8_t)EMGF_TYPE_MARKER, t_us, json, json_len);
}

size_t emgf_ble_chunk_len(uint16_t att_mtu)
{
    if (att_mtu < EMGF_BLE_DEFAULT_ATT_MTU) {
        att_mtu = (uint16_t)EMGF_BLE_DEFAULT_ATT_MTU;
    }
    return (size_t)att_mtu - EMGF_BLE_ATT_HEADER;
}
