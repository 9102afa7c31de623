/*
 * host_main.c - host test driver for the portable EMGF firmware code.
 *
 * Not firmware: it may allocate, use stdio and pthreads. The pytest suite
 * (tests/firmware_bridge/firmware/) compiles it with
 *   gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined
 * together with ../lib/emgf_core/src/{crc16,emgf,ringbuf}.c and host_crc_bitwise.c,
 * starts it once and talks to it over a line protocol:
 * one command per stdin line, exactly one reply line on stdout.
 *
 *   crc HEX | crcbit HEX            CRC (table / bitwise build) -> "29B1"
 *   frame CAP TYPE SEQ TUS HEX      generic frame -> hex bytes | "ERR"
 *   frame_inplace CAP TYPE SEQ TUS HEX   same, payload pre-placed at out+14
 *   samples CAP SEQ TUS NCH NS FMT v...  samples frame -> hex | "ERR"
 *   json CAP TYPE TUS HEX           info/marker frame (payload given in hex)
 *   info CAP TUS HEX | marker CAP TUS HEX
 *   payloadlen NCH NS FMT | maxsamples NCH FMT | chunk MTU  -> number
 *   rb_init CAP NCH FIRST_SEQ       -> "OK" | "ERR" (storage malloc'ed exact)
 *   rb_push TUS v...                -> "OK" | "FULL"
 *   rb_pop MAX                      -> "N SEQ TUS v..." ("0" when empty)
 *   rb_count | rb_free | rb_overflow | rb_next_seq | rb_discard -> number
 *   rb_restart SEQ | rb_skip N      -> "OK"
 *   rb_skipped                      -> number
 *   rb_bad_init                     -> "OK" if every invalid init is refused
 *   rb_stress ITEMS CAP NCH         -> "OK pushed stored dropped popped" after
 *                                      a two-thread producer/consumer run
 *   quit
 * HEX "-" means empty. CAP "max" means a 8192-byte output buffer; otherwise
 * the output buffer is malloc'ed with exactly CAP bytes (ASan checks bounds).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/emgf_core/src/crc16.h"
#include "../lib/emgf_core/src/emgf.h"
#include "../lib/emgf_core/src/ringbuf.h"

/* host_crc_bitwise.c: crc16.c compiled with CRC16_CCITT_FALSE_NO_TABLE. */
uint16_t host_crc16_bitwise(const uint8_t *data, size_t len);

#define LINE_MAX_CHARS 200000
#define MAX_VALUES 70000

static char g_line[LINE_MAX_CHARS];
static int32_t g_values[MAX_VALUES];
static uint8_t g_bytes[LINE_MAX_CHARS / 2];

/* ---------------------------------------------------------------- parsing */

static char *g_cursor;

static char *next_token(void)
{
    char *start;
    while (*g_cursor == ' ' || *g_cursor == '\t') {
        ++g_cursor;
    }
    if (*g_cursor == '\0') {
        return NULL;
    }
    start = g_cursor;
    while (*g_cursor != '\0' && *g_cursor != ' ' && *g_cursor != '\t') {
        ++g_cursor;
    }
    if (*g_cursor != '\0') {
        *g_cursor++ = '\0';
    }
    return start;
}

static int parse_long(long long *out)
{
    char *tok = next_token();
    char *end;
    if (tok == NULL) {
        return 0;
    }
    errno = 0;
    *out = strtoll(tok, &end, 0);
    return errno == 0 && *end == '\0';
}

static int parse_u32(uint32_t *out)
{
    long long v;
    if (!parse_long(&v) || v < 0 || v > 0xFFFFFFFFLL) {
        return 0;
    }
    *out = (uint32_t)v;
    return 1;
}

static int parse_u8(uint8_t *out)
{
    long long v;
    if (!parse_long(&v) || v < 0 || v > 255) {
        return 0;
    }
    *out = (uint8_t)v;
    return 1;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parses a hex token into g_bytes; "-" is empty. Returns length or -1. */
static long parse_hex(void)
{
    char *tok = next_token();
    size_t n;
    size_t i;
    if (tok == NULL) {
        return -1;
    }
    if (strcmp(tok, "-") == 0) {
        return 0;
    }
    n = strlen(tok);
    if (n % 2u != 0u || n / 2u > sizeof g_bytes) {
        return -1;
    }
    for (i = 0; i < n / 2u; ++i) {
        int hi = hex_nibble(tok[2u * i]);
        int lo = hex_nibble(tok[2u * i + 1u]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        g_bytes[i] = (uint8_t)(hi * 16 + lo);
    }
    return (long)(n / 2u);
}

/* Output buffer: exact-size malloc so that ASan catches any overrun. */
static uint8_t *alloc_out(size_t *cap)
{
    char *tok = next_token();
    long long v;
    char *end;
    if (tok == NULL) {
        return NULL;
    }
    if (strcmp(tok, "max") == 0) {
        *cap = 8192u;
    } else {
        errno = 0;
        v = strtoll(tok, &end, 0);
        if (errno != 0 || *end != '\0' || v < 0 || v > 65536) {
            return NULL;
        }
        *cap = (size_t)v;
    }
    return (uint8_t *)malloc(*cap == 0u ? 1u : *cap);
}

static void print_hex(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        printf("%02X", p[i]);
    }
    printf("\n");
}

static void reply_frame(uint8_t *out, size_t n)
{
    if (n == 0u) {
        printf("ERR\n");
    } else {
        print_hex(out, n);
    }
    free(out);
}

/* ------------------------------------------------------------ ring buffer */

static emgf_ringbuf_t g_rb;
static int32_t *g_rb_values;
static uint32_t *g_rb_seq;
static uint32_t *g_rb_t;

static void rb_free_storage(void)
{
    free(g_rb_values);
    free(g_rb_seq);
    free(g_rb_t);
    g_rb_values = NULL;
    g_rb_seq = NULL;
    g_rb_t = NULL;
}

static int cmd_rb_init(void)
{
    uint32_t cap;
    uint8_t nch;
    uint32_t first;
    if (!parse_u32(&cap) || !parse_u8(&nch) || !parse_u32(&first) || cap > 1000000u) {
        return 0;
    }
    rb_free_storage();
    /* Exact sizes so that ASan flags any access past cap * nch values; a
     * one-element dummy when cap or nch is 0 (init must refuse those). */
    g_rb_values = (int32_t *)malloc((cap == 0u || nch == 0u ? 1u : (size_t)cap * nch) *
                                    sizeof(int32_t));
    g_rb_seq = (uint32_t *)malloc((cap == 0u ? 1u : (size_t)cap) * sizeof(uint32_t));
    g_rb_t = (uint32_t *)malloc((cap == 0u ? 1u : (size_t)cap) * sizeof(uint32_t));
    return emgf_rb_init(&g_rb, g_rb_values, g_rb_seq, g_rb_t, cap, nch, first) ? 1 : -1;
}

static int cmd_rb_bad_init(void)
{
    emgf_ringbuf_t rb;
    int32_t v[4];
    uint32_t s[2];
    uint32_t t[2];
    int32_t sample[2] = {1, 2};
    int32_t out[4];
    int ok = 1;
    ok &= !emgf_rb_init(NULL, v, s, t, 2u, 2u, 0u);
    ok &= !emgf_rb_init(&rb, NULL, s, t, 2u, 2u, 0u);
    ok &= !emgf_rb_init(&rb, v, NULL, t, 2u, 2u, 0u);
    ok &= !emgf_rb_init(&rb, v, s, NULL, 2u, 2u, 0u);
    ok &= !emgf_rb_init(&rb, v, s, t, 0u, 2u, 0u);
    ok &= !emgf_rb_init(&rb, v, s, t, 2u, 0u, 0u);
    ok &= !emgf_rb_init(&rb, v, s, t, 0x80000000u, 1u, 0u);
    /* A refused ring stays inert: nothing stored, nothing written. */
    ok &= !emgf_rb_push(&rb, sample, 0u);
    ok &= emgf_rb_pop(&rb, out, 2u, NULL, NULL) == 0u;
    ok &= emgf_rb_count(&rb) == 0u && emgf_rb_free(&rb) == 0u;
    ok &= emgf_rb_discard(&rb) == 0u;
    /* A valid ring refuses a NULL sample and a NULL/zero-sized pop target. */
    ok &= emgf_rb_init(&rb, v, s, t, 2u, 2u, 0u);
    ok &= !emgf_rb_push(&rb, NULL, 0u);
    ok &= emgf_rb_push(&rb, sample, 0u);
    ok &= emgf_rb_pop(&rb, NULL, 2u, NULL, NULL) == 0u;
    ok &= emgf_rb_pop(&rb, out, 0u, NULL, NULL) == 0u;
    ok &= emgf_rb_count(&rb) == 1u;
    return ok;
}

/* Two-thread run: the producer pushes ITEMS samples whose values are a
 * function of their seq; the consumer pops in varying batch sizes (yielding
 * now and then so that overflows happen) and checks every value, the seq
 * order and that runs never span a gap. */
struct stress {
    emgf_ringbuf_t rb;
    uint32_t items;
    uint8_t nch;
    volatile int producer_done;
    uint32_t pushed_ok;
    uint32_t refused;
    uint32_t popped;
    uint32_t errors;
};

static int32_t stress_value(uint32_t seq, uint32_t c)
{
    return (int32_t)((seq * 31u + c * 7u) & 0x7FFFFFu);
}

static void *stress_producer(void *arg)
{
    struct stress *st = (struct stress *)arg;
    int32_t v[255];
    uint32_t i;
    uint32_t c;
    for (i = 0; i < st->items; ++i) {
        for (c = 0; c < st->nch; ++c) {
            v[c] = stress_value(i, c);
        }
        if (emgf_rb_push(&st->rb, v, i * 3u)) {
            st->pushed_ok++;
        } else {
            st->refused++;
        }
        if ((i & 15u) == 0u) {
            sched_yield();
        }
    }
    EMGF_RB_BARRIER();
    st->producer_done = 1;
    return NULL;
}

static void *stress_consumer(void *arg)
{
    struct stress *st = (struct stress *)arg;
    int32_t *out = (int32_t *)malloc(64u * 255u * sizeof(int32_t));
    uint32_t last_seq = 0u;
    int have_last = 0;
    uint32_t round = 0u;
    for (;;) {
        uint32_t seq0 = 0u;
        uint32_t t0 = 0u;
        uint32_t want = 1u + (round * 7u) % 64u;
        int done = st->producer_done;
        uint32_t n;
        uint32_t k;
        uint32_t c;
        EMGF_RB_BARRIER();
        n = emgf_rb_pop(&st->rb, out, want, &seq0, &t0);
        ++round;
        if (n == 0u) {
            if (done) {
                break; /* producer finished before this empty pop: drained */
            }
            sched_yield();
            continue;
        }
        if (t0 != seq0 * 3u || (have_last && seq0 <= last_seq)) {
            st->errors++;
        }
        for (k = 0; k < n; ++k) {
            for (c = 0; c < st->nch; ++c) {
                if (out[(size_t)k * st->nch + c] != stress_value(seq0 + k, c)) {
                    st->errors++;
                }
            }
        }
        last_seq = seq0 + n - 1u;
        have_last = 1;
        st->popped += n;
        if (round % 499u == 0u) {
            /* Fall behind on purpose so the producer meets a full ring. */
            for (k = 0; k < 200u; ++k) {
                sched_yield();
            }
        }
    }
    free(out);
    return NULL;
}

static int cmd_rb_stress(void)
{
    uint32_t items;
    uint32_t cap;
    uint8_t nch;
    struct stress st;
    pthread_t prod;
    pthread_t cons;
    int32_t *values;
    uint32_t *seqs;
    uint32_t *ts;
    if (!parse_u32(&items) || !parse_u32(&cap) || !parse_u8(&nch) || cap == 0u || nch == 0u ||
        cap > 100000u) {
        return 0;
    }
    memset(&st, 0, sizeof st);
    values = (int32_t *)malloc((size_t)cap * nch * sizeof(int32_t));
    seqs = (uint32_t *)malloc((size_t)cap * sizeof(uint32_t));
    ts = (uint32_t *)malloc((size_t)cap * sizeof(uint32_t));
    if (!emgf_rb_init(&st.rb, values, seqs, ts, cap, nch, 0u)) {
        return 0;
    }
    st.items = items;
    st.nch = nch;
    pthread_create(&cons, NULL, stress_consumer, &st);
    pthread_create(&prod, NULL, stress_producer, &st);
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);
    printf("%s %lu %lu %lu %lu\n",
           (st.errors == 0u && st.popped == st.pushed_ok &&
            st.refused == emgf_rb_overflow(&st.rb) && emgf_rb_count(&st.rb) == 0u &&
            emgf_rb_next_seq(&st.rb) == items)
               ? "OK"
               : "FAIL",
           (unsigned long)items, (unsigned long)st.pushed_ok, (unsigned long)st.refused,
           (unsigned long)st.popped);
    free(values);
    free(seqs);
    free(ts);
    return 1;
}

/* ------------------------------------------------------------------ main */

static int handle(char *cmd)
{
    if (strcmp(cmd, "crc") == 0 || strcmp(cmd, "crcbit") == 0) {
        long n = parse_hex();
        uint16_t crc;
        if (n < 0) {
            return 0;
        }
        crc = (cmd[3] == 'b') ? host_crc16_bitwise(g_bytes, (size_t)n)
                              : crc16_ccitt_false(g_bytes, (size_t)n);
        printf("%04X\n", crc);
        return 1;
    }
    if (strcmp(cmd, "frame") == 0 || strcmp(cmd, "frame_inplace") == 0) {
        size_t cap;
        uint8_t *out = alloc_out(&cap);
        uint8_t type;
        uint32_t seq;
        uint32_t t;
        long n;
        const uint8_t *payload;
        if (out == NULL) {
            return 0;
        }
        if (!parse_u8(&type) || !parse_u32(&seq) || !parse_u32(&t) || (n = parse_hex()) < 0) {
            free(out);
            return 0;
        }
        payload = (n == 0) ? NULL : g_bytes;
        if (cmd[5] == '_' && n > 0) {
            if (cap < EMGF_HEADER_SIZE + (size_t)n) {
                free(out);
                return 0;
            }
            memcpy(out + EMGF_HEADER_SIZE, g_bytes, (size_t)n);
            payload = out + EMGF_HEADER_SIZE;
        }
        reply_frame(out, emgf_encode_frame(out, cap, type, seq, t, payload, (size_t)n));
        return 1;
    }
    if (strcmp(cmd, "samples") == 0) {
        size_t cap;
        uint8_t *out = alloc_out(&cap);
        uint32_t seq;
        uint32_t t;
        uint8_t nch;
        uint8_t ns;
        uint8_t fmt;
        size_t i;
        size_t nvals;
        long long v;
        int32_t *vals;
        if (out == NULL) {
            return 0;
        }
        if (!parse_u32(&seq) || !parse_u32(&t) || !parse_u8(&nch) || !parse_u8(&ns) ||
            !parse_u8(&fmt)) {
            free(out);
            return 0;
        }
        nvals = (size_t)nch * ns;
        for (i = 0; i < nvals; ++i) {
            if (!parse_long(&v) || v < -2147483647LL - 1 || v > 2147483647LL) {
                free(out);
                return 0;
            }
            g_values[i] = (int32_t)v;
        }
        /* Exact-size copy of the values so ASan flags any over-read. */
        vals = (int32_t *)malloc((nvals == 0u ? 1u : nvals) * sizeof(int32_t));
        memcpy(vals, g_values, nvals * sizeof(int32_t));
        reply_frame(out, emgf_encode_samples(out, cap, seq, t, nch, ns, fmt, vals));
        free(vals);
        return 1;
    }
    if (strcmp(cmd, "json") == 0 || strcmp(cmd, "info") == 0 || strcmp(cmd, "marker") == 0) {
        size_t cap;
        uint8_t *out = alloc_out(&cap);
        uint8_t type = 0u;
        uint32_t t;
        long n;
        char *json;
        size_t len;
        if (out == NULL) {
            return 0;
        }
        if ((cmd[0] == 'j' && !parse_u8(&type)) || !parse_u32(&t) || (n = parse_hex()) < 0) {
            free(out);
            return 0;
        }
        json = (char *)malloc(n == 0 ? 1u : (size_t)n);
        memcpy(json, g_bytes, (size_t)n);
        if (cmd[0] == 'j') {
            len = emgf_encode_json(out, cap, type, t, n == 0 ? NULL : json, (size_t)n);
        } else if (cmd[0] == 'i') {
            len = emgf_encode_info(out, cap, t, json, (size_t)n);
        } else {
            len = emgf_encode_marker(out, cap, t, json, (size_t)n);
        }
        free(json);
        reply_frame(out, len);
        return 1;
    }
    if (strcmp(cmd, "payloadlen") == 0) {
        uint8_t nch;
        uint8_t ns;
        uint8_t fmt;
        if (!parse_u8(&nch) || !parse_u8(&ns) || !parse_u8(&fmt)) {
            return 0;
        }
        printf("%lu\n", (unsigned long)emgf_samples_payload_len(nch, ns, fmt));
        return 1;
    }
    if (strcmp(cmd, "maxsamples") == 0) {
        uint8_t nch;
        uint8_t fmt;
        if (!parse_u8(&nch) || !parse_u8(&fmt)) {
            return 0;
        }
        printf("%u\n", (unsigned)emgf_max_samples_per_frame(nch, fmt));
        return 1;
    }
    if (strcmp(cmd, "chunk") == 0) {
        uint32_t mtu;
        if (!parse_u32(&mtu) || mtu > 0xFFFFu) {
            return 0;
        }
        printf("%lu\n", (unsigned long)emgf_ble_chunk_len((uint16_t)mtu));
        return 1;
    }
    if (strcmp(cmd, "rb_init") == 0) {
        int r = cmd_rb_init();
        if (r == 0) {
            return 0;
        }
        printf("%s\n", r > 0 ? "OK" : "ERR");
        return 1;
    }
    if (strcmp(cmd, "rb_push") == 0) {
        uint32_t t;
        uint32_t c;
        long long v;
        int32_t *sample;
        bool ok;
        if (!parse_u32(&t) || g_rb.n_channels == 0u) {
            return 0;
        }
        sample = (int32_t *)malloc(g_rb.n_channels * sizeof(int32_t));
        for (c = 0; c < g_rb.n_channels; ++c) {
            if (!parse_long(&v)) {
                free(sample);
                return 0;
            }
            sample[c] = (int32_t)v;
        }
        ok = emgf_rb_push(&g_rb, sample, t);
        free(sample);
        printf("%s\n", ok ? "OK" : "FULL");
        return 1;
    }
    if (strcmp(cmd, "rb_pop") == 0) {
        uint32_t max;
        uint32_t seq = 0xDEADBEEFu;
        uint32_t t = 0xDEADBEEFu;
        uint32_t n;
        size_t i;
        int32_t *out;
        if (!parse_u32(&max) || max > 100000u || g_rb.n_channels == 0u) {
            return 0;
        }
        out = (int32_t *)malloc((max == 0u ? 1u : (size_t)max * g_rb.n_channels) *
                                sizeof(int32_t));
        n = emgf_rb_pop(&g_rb, out, max, &seq, &t);
        if (n == 0u) {
            printf("0\n");
        } else {
            printf("%lu %lu %lu", (unsigned long)n, (unsigned long)seq, (unsigned long)t);
            for (i = 0; i < (size_t)n * g_rb.n_channels; ++i) {
                printf(" %ld", (long)out[i]);
            }
            printf("\n");
        }
        free(out);
        return 1;
    }
    /* One command per ring-buffer call, so the host tests reach each: alike in shape only. */
    if (strcmp(cmd, "rb_count") == 0) {
        printf("%lu\n", (unsigned long)emgf_rb_count(&g_rb));
        return 1;
    }
    if (strcmp(cmd, "rb_free") == 0) {
        printf("%lu\n", (unsigned long)emgf_rb_free(&g_rb));
        return 1;
    }
    if (strcmp(cmd, "rb_overflow") == 0) {
        printf("%lu\n", (unsigned long)emgf_rb_overflow(&g_rb));
        return 1;
    }
    if (strcmp(cmd, "rb_next_seq") == 0) {
        printf("%lu\n", (unsigned long)emgf_rb_next_seq(&g_rb));
        return 1;
    }
    if (strcmp(cmd, "rb_discard") == 0) {
        printf("%lu\n", (unsigned long)emgf_rb_discard(&g_rb));
        return 1;
    }
    if (strcmp(cmd, "rb_restart") == 0) {
        uint32_t seq;
        if (!parse_u32(&seq)) {
            return 0;
        }
        emgf_rb_producer_restart(&g_rb, seq);
        printf("OK\n");
        return 1;
    }
    if (strcmp(cmd, "rb_skip") == 0) {
        uint32_t n;
        if (!parse_u32(&n)) {
            return 0;
        }
        emgf_rb_skip(&g_rb, n);
        printf("OK\n");
        return 1;
    }
    if (strcmp(cmd, "rb_skipped") == 0) {
        printf("%lu\n", (unsigned long)emgf_rb_skipped(&g_rb));
        return 1;
    }
    if (strcmp(cmd, "rb_bad_init") == 0) {
        printf("%s\n", cmd_rb_bad_init() ? "OK" : "FAIL");
        return 1;
    }
    if (strcmp(cmd, "rb_stress") == 0) {
        return cmd_rb_stress();
    }
    return 0;
}

int main(void)
{
    memset(&g_rb, 0, sizeof g_rb);
    while (fgets(g_line, (int)sizeof g_line, stdin) != NULL) {
        size_t len = strlen(g_line);
        char *cmd;
        while (len > 0u && (g_line[len - 1u] == '\n' || g_line[len - 1u] == '\r')) {
            g_line[--len] = '\0';
        }
        g_cursor = g_line;
        cmd = next_token();
        if (cmd == NULL) {
            printf("ERR empty\n");
        } else if (strcmp(cmd, "quit") == 0) {
            break;
        } else if (!handle(cmd)) {
            printf("ERR bad command\n");
        }
        fflush(stdout);
    }
    rb_free_storage();
    return 0;
}
