/*
 * ringbuf.c - SPSC sample ring buffer. See ringbuf.h for the contract and
 * the memory-ordering assumptions.
 *
 * Positions `head` and `tail` run over [0, 2 * capacity): the number of
 * stored samples is (head - tail) mod 2*capacity, which is 0 when empty and
 * capacity when full, so all `capacity` slots are usable (capacity 1 too).
 * A position p addresses slot p mod capacity.
 */
#include "ringbuf.h"

#include <string.h>

static uint32_t span(const emgf_ringbuf_t *rb)
{
    return 2u * rb->capacity; /* capacity <= 0x7FFFFFFF, so no overflow */
}

static uint32_t stored(const emgf_ringbuf_t *rb, uint32_t head, uint32_t tail)
{
    /* Unsigned arithmetic is modular; the true result is < 2 * capacity. */
    return (head >= tail) ? (head - tail) : (head + (span(rb) - tail));
}

static uint32_t advance(const emgf_ringbuf_t *rb, uint32_t pos)
{
    uint32_t next = pos + 1u;
    return (next == span(rb)) ? 0u : next;
}

static uint32_t slot_of(const emgf_ringbuf_t *rb, uint32_t pos)
{
    return (pos >= rb->capacity) ? (pos - rb->capacity) : pos;
}

bool emgf_rb_init(emgf_ringbuf_t *rb, int32_t *values, uint32_t *seq, uint32_t *t_us,
                  uint32_t capacity, uint8_t n_channels, uint32_t first_seq)
{
    if (rb == NULL) {
        return false;
    }
    rb->values = NULL;
    rb->seq = NULL;
    rb->t_us = NULL;
    rb->capacity = 0u;
    rb->n_channels = 0u;
    rb->head = 0u;
    rb->tail = 0u;
    rb->next_seq = first_seq;
    rb->overflow = 0u;
    rb->skipped = 0u;
    if (values == NULL || seq == NULL || t_us == NULL || capacity == 0u ||
        capacity > EMGF_RB_MAX_CAPACITY || n_channels == 0u) {
        return false;
    }
    rb->values = values;
    rb->seq = seq;
    rb->t_us = t_us;
    rb->capacity = capacity;
    rb->n_channels = n_channels;
    EMGF_RB_BARRIER();
    return true;
}

bool emgf_rb_push(emgf_ringbuf_t *rb, const int32_t *values, uint32_t t_us)
{
    uint32_t tail;
    uint32_t head;
    uint32_t seq;
    uint32_t slot;

    if (rb->capacity == 0u || values == NULL) {
        return false; /* failed init or no data: refuse rather than write anywhere */
    }
    tail = rb->tail; /* consumer-owned: one atomic load */
    EMGF_RB_BARRIER(); /* acquire: the consumer has finished reading up to tail */
    head = rb->head;   /* our own index */
    seq = rb->next_seq;
    rb->next_seq = seq + 1u; /* the sample exists whether stored or not */

    if (stored(rb, head, tail) >= rb->capacity) {
        rb->overflow = rb->overflow + 1u; /* producer-owned counter */
        return false;
    }
    slot = slot_of(rb, head);
    memcpy(&rb->values[(size_t)slot * rb->n_channels], values,
           (size_t)rb->n_channels * sizeof(int32_t));
    rb->seq[slot] = seq;
    rb->t_us[slot] = t_us;
    EMGF_RB_BARRIER(); /* release: slot contents before the new head */
    rb->head = advance(rb, head);
    return true;
}

void emgf_rb_skip(emgf_ringbuf_t *rb, uint32_t n)
{
    rb->next_seq = rb->next_seq + n;
    rb->skipped = rb->skipped + n;
}

void emgf_rb_producer_restart(emgf_ringbuf_t *rb, uint32_t first_seq)
{
    rb->next_seq = first_seq;
    rb->overflow = 0u;
    rb->skipped = 0u;
}

uint32_t emgf_rb_pop(emgf_ringbuf_t *rb, int32_t *out, uint32_t max_samples,
                     uint32_t *first_seq, uint32_t *first_t_us)
{
    uint32_t head;
    uint32_t tail;
    uint32_t avail;
    uint32_t slot;
    uint32_t seq0;
    uint32_t n;

    if (rb->capacity == 0u || out == NULL || max_samples == 0u) {
        return 0u;
    }
    head = rb->head; /* producer-owned: one atomic load */
    EMGF_RB_BARRIER(); /* acquire: slots before head are fully written */
    tail = rb->tail;
    avail = stored(rb, head, tail);
    if (avail == 0u) {
        return 0u;
    }
    if (avail > max_samples) {
        avail = max_samples;
    }
    slot = slot_of(rb, tail);
    seq0 = rb->seq[slot];
    if (first_seq != NULL) {
        *first_seq = seq0;
    }
    if (first_t_us != NULL) {
        *first_t_us = rb->t_us[slot];
    }
    for (n = 0u; n < avail; ++n) {
        slot = slot_of(rb, tail);
        if (rb->seq[slot] != seq0 + n) {
            break; /* gap (overflow or restart): the next pop starts after it */
        }
        memcpy(&out[(size_t)n * rb->n_channels], &rb->values[(size_t)slot * rb->n_channels],
               (size_t)rb->n_channels * sizeof(int32_t));
        tail = advance(rb, tail);
    }
    EMGF_RB_BARRIER(); /* release: slot reads done before the slots are freed */
    rb->tail = tail;
    return n;
}

uint32_t emgf_rb_discard(emgf_ringbuf_t *rb)
{
    uint32_t head;
    uint32_t tail;
    if (rb->capacity == 0u) {
        return 0u;
    }
    head = rb->head;
    EMGF_RB_BARRIER();
    tail = rb->tail;
    rb->tail = head;
    return stored(rb, head, tail);
}

uint32_t emgf_rb_count(const emgf_ringbuf_t *rb)
{
    uint32_t head;
    uint32_t tail;
    if (rb->capacity == 0u) {
        return 0u;
    }
    head = rb->head;
    tail = rb->tail;
    return stored(rb, head, tail);
}

uint32_t emgf_rb_free(const emgf_ringbuf_t *rb)
{
    uint32_t n = emgf_rb_count(rb);
    return (n >= rb->capacity) ? 0u : rb->capacity - n;
}

uint32_t emgf_rb_overflow(const emgf_ringbuf_t *rb)
{
    return rb->overflow;
}

uint32_t emgf_rb_skipped(const emgf_ringbuf_t *rb)
{
    return rb->skipped;
}

uint32_t emgf_rb_next_seq(const emgf_ringbuf_t *rb)
{
    return rb->next_seq;
}
