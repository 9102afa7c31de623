/*
 * ringbuf.h - single-producer / single-consumer sample ring buffer.
 *
 * One element is one multi-channel sample: n_channels int32 values plus the
 * sample's device index (seq) and device time (t_us). The producer is the
 * sampling context (an ISR, or a high-priority task woken by a timer ISR);
 * the consumer is the main loop that packs samples into EMGF frames.
 *
 *  - No allocation: the caller provides the storage (see EMGF_RB_STORAGE),
 *    sized at compile time. Any capacity 1 .. EMGF_RB_MAX_CAPACITY works
 *    (not only powers of two): indices run modulo 2 * capacity, so "full"
 *    and "empty" are told apart without wasting a slot.
 *  - Never overwrites: a push into a full buffer is refused and counted in
 *    `overflow`. The producer's sample counter still advances, so the
 *    dropped samples become a gap of exactly that many samples in the seq
 *    numbers the host sees (EMGF gap semantics), never a silent splice.
 *  - emgf_rb_pop() only returns runs of consecutive seq, so one EMGF frame
 *    never spans a gap.
 *
 * Concurrency contract (SPSC):
 *  - Producer-only functions: emgf_rb_push(), emgf_rb_skip(),
 *    emgf_rb_producer_restart().
 *  - Consumer-only functions: emgf_rb_pop(), emgf_rb_discard().
 *  - Either side: emgf_rb_count(), emgf_rb_free(), emgf_rb_overflow(),
 *    emgf_rb_skipped(), emgf_rb_next_seq(); each is a snapshot that may be
 *    stale at once. From a third context count/free are meaningless, as
 *    head and tail may both move between the two loads.
 *  - emgf_rb_init() only while neither side is running.
 *  - Each field is written by one side only: `head`, `next_seq`, `overflow`
 *    and `skipped` by the producer, `tail` by the consumer. No locks, no
 *    critical sections, no read-modify-write shared by both sides.
 *
 * Memory-ordering assumptions:
 *  1. Aligned 32-bit loads and stores are single-copy atomic (true on
 *     Xtensa/ESP32, RISC-V, Cortex-M, x86, ARMv7/v8). The index fields are
 *     `volatile uint32_t` so the compiler re-reads them and never splits,
 *     merges or caches those accesses.
 *  2. EMGF_RB_BARRIER() is a full compiler + hardware memory barrier. It is
 *     issued by the producer between writing a slot and publishing `head`
 *     (release), and by the consumer between reading `head` and reading the
 *     slots (acquire) and between reading the slots and publishing `tail`
 *     (release), so a slot is never read before it is written nor rewritten
 *     before it is read. With GCC/Clang it defaults to __sync_synchronize()
 *     (on ESP32 a `memw`; on a single core it at least stops the compiler
 *     from moving slot accesses across the index access, which is what an
 *     ISR-vs-loop pair needs). Other compilers must define EMGF_RB_BARRIER()
 *     before including this header (e.g. C11 atomic_thread_fence(
 *     memory_order_seq_cst), or __DMB() on Cortex-M).
 *  3. With a producer and consumer on different cores (ESP32 dual core) the
 *     same barrier suffices; no other synchronisation is needed.
 *
 * ISR use: emgf_rb_push()/emgf_rb_skip() take no locks and never block, so
 * they may run in an interrupt handler. On ESP32, an ISR that must also run
 * while the flash cache is off (IRAM-only interrupts) can only call code in
 * IRAM, which this portable file does not request; the reference sketch
 * pushes from a high-priority task woken by the timer ISR instead.
 */
#ifndef EMGF_RINGBUF_H
#define EMGF_RINGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EMGF_RB_BARRIER
#if defined(__GNUC__) || defined(__clang__)
#define EMGF_RB_BARRIER() __sync_synchronize()
#else
#error "ringbuf.h: define EMGF_RB_BARRIER() as a full memory barrier for this compiler"
#endif
#endif

/** Largest capacity (indices run modulo 2 * capacity in a uint32_t). */
#define EMGF_RB_MAX_CAPACITY 0x7FFFFFFFu

/**
 * Declare static storage for a ring of `capacity` samples of `n_channels`
 * values, e.g. at file scope:  EMGF_RB_STORAGE(g_rb, 512, 4);
 * then:  emgf_rb_init(&g_rb, g_rb_values, g_rb_seq, g_rb_t_us, 512, 4, 0);
 */
#define EMGF_RB_STORAGE(name, capacity, n_channels)                        \
    static emgf_ringbuf_t name;                                            \
    static int32_t name##_values[(size_t)(capacity) * (size_t)(n_channels)]; \
    static uint32_t name##_seq[(capacity)];                                \
    static uint32_t name##_t_us[(capacity)]

typedef struct emgf_ringbuf {
    int32_t *values;    /* capacity * n_channels values, sample-major */
    uint32_t *seq;      /* capacity: device index of each stored sample */
    uint32_t *t_us;     /* capacity: device time of each stored sample */
    uint32_t capacity;  /* samples */
    uint8_t n_channels; /* values per sample */

    volatile uint32_t head;     /* producer: next write position, [0, 2*capacity) */
    volatile uint32_t tail;     /* consumer: next read position, [0, 2*capacity) */
    volatile uint32_t next_seq; /* producer: index the next acquired sample gets */
    volatile uint32_t overflow; /* producer: samples refused because full (wraps) */
    volatile uint32_t skipped;  /* producer: sample instants never acquired (wraps) */
} emgf_ringbuf_t;

/**
 * Set up an empty ring over caller storage. Returns false (and leaves the
 * ring unusable) if a pointer is NULL, capacity is 0 or above
 * EMGF_RB_MAX_CAPACITY, or n_channels is 0. first_seq is the index the
 * first pushed sample will get.
 */
bool emgf_rb_init(emgf_ringbuf_t *rb, int32_t *values, uint32_t *seq, uint32_t *t_us,
                  uint32_t capacity, uint8_t n_channels, uint32_t first_seq);

/**
 * Producer: append one sample (n_channels values) acquired at t_us. It gets
 * seq = next_seq, and next_seq advances whether or not it is stored.
 * Returns false if the ring was full: the sample is dropped and counted in
 * `overflow` (the stored samples are never overwritten). O(n_channels).
 */
bool emgf_rb_push(emgf_ringbuf_t *rb, const int32_t *values, uint32_t t_us);

/**
 * Producer: declare n sample instants that were never acquired (e.g. the
 * sampling task woke up late and missed timer ticks). next_seq advances by
 * n and `skipped` counts them, so they become an exact gap, as for an
 * overflow, instead of a silent splice.
 */
void emgf_rb_skip(emgf_ringbuf_t *rb, uint32_t n);

/**
 * Producer: start a new numbering (e.g. at stream start): next_seq =
 * first_seq, overflow = skipped = 0. Samples already in the ring keep their seq;
 * the consumer normally empties it (emgf_rb_discard) before this.
 */
void emgf_rb_producer_restart(emgf_ringbuf_t *rb, uint32_t first_seq);

/**
 * Consumer: remove up to max_samples samples with consecutive seq (the run
 * stops before a gap left by an overflow or a restart), copy their values
 * sample-major to out (room for max_samples * n_channels values), and
 * report the seq and t_us of the first one. Returns the number removed,
 * 0 if empty (then *first_seq / *first_t_us are untouched). first_seq and
 * first_t_us may be NULL.
 */
uint32_t emgf_rb_pop(emgf_ringbuf_t *rb, int32_t *out, uint32_t max_samples,
                     uint32_t *first_seq, uint32_t *first_t_us);

/** Consumer: drop everything stored now; returns how many samples. */
uint32_t emgf_rb_discard(emgf_ringbuf_t *rb);

/** Samples stored now (0 .. capacity). */
uint32_t emgf_rb_count(const emgf_ringbuf_t *rb);

/** Free slots now (capacity - count). */
uint32_t emgf_rb_free(const emgf_ringbuf_t *rb);

/** Samples refused because the ring was full since init/restart (wraps at 2^32). */
uint32_t emgf_rb_overflow(const emgf_ringbuf_t *rb);

/** Sample instants declared missed with emgf_rb_skip() since init/restart (wraps). */
uint32_t emgf_rb_skipped(const emgf_ringbuf_t *rb);

/** The seq the next pushed sample will get. */
uint32_t emgf_rb_next_seq(const emgf_ringbuf_t *rb);

#ifdef __cplusplus
}
#endif

#endif /* EMGF_RINGBUF_H */
