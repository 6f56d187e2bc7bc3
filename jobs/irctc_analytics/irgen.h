/* irgen.h — a deterministic generator of IRCTC train bookings as CSV lines, for
 * gen:irctc (gen_source.c), the benchmarks and the tests. No engine calls.
 *
 * Booking number seq is a pure function of (config, seq). Event time goes up by
 * 1000 / rate ms a booking; half the bookings are late by a jitter of up to
 * max_disorder_ms. The data follows real trains (12951 Mumbai Rajdhani, 12002
 * Shatabdi, 12565 Bihar Sampark Kranti, ...; the same trains and classes as the
 * job's capacity.csv), their stations and fares, with:
 *   - the tatkal surge: for 15 minutes from 10:00 IST (AC classes) and 11:00 IST
 *     (SL, 2S) bookings crowd into those classes, pay the tatkal premium and are
 *     waitlisted far more often;
 *   - festival travel: trains bound for Bihar and eastern UP (Chhath Puja follows
 *     Diwali) are booked twice as often, four times in tatkal;
 *   - cancellations of earlier bookings (same PNR, train, class, seats, fare);
 *   - anomalies: tout bulk bookings (6 seats at tatkal opening) and about 0.2% bad
 *     records (class "3AC" or "EC", status "RAC", 0 or 7 seats, a special train
 *     missing from the capacity file, an empty fare).
 *
 * A line looks like (no newline at the end):
 *   1792468800000,2415093768,12951,MMCT,NDLS,3A,2,630000,BOOKED
 */
#ifndef IR_IRGEN_H
#define IR_IRGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every line is shorter than this; a buffer this big always suffices. */
#define IR_GEN_LINE_MAX 160
/* The first line of the generated CSV. */
#define IR_GEN_HEADER "ts,pnr,train,from,to,class,seats,fare_paise,status"
/* 2026-10-20T09:30:00+05:30, half an hour before AC tatkal opens. */
#define IR_GEN_START_MS INT64_C(1792468800000)

typedef struct ir_gen_config {
    uint64_t seed;           /* any value; same seed, same bookings */
    int64_t start_ms;        /* event time of booking 0, in 0..4e18 */
    int64_t rate;            /* bookings per second of event time, in 1..1e9 */
    int64_t max_disorder_ms; /* in 0..1e9 */
} ir_gen_config;

/* SG_OK, or SG_EINVAL when a field is out of range. */
int ir_gen_check(const ir_gen_config *cfg);

/* Writes booking seq (0-based) into buf [out] (cap bytes) and returns its length; the
 * line is complete and NUL-terminated when the result is < cap. cfg [in] must pass
 * ir_gen_check. Deterministic in (cfg, seq), whatever the call order. */
size_t ir_gen_line(const ir_gen_config *cfg, uint64_t seq, char *buf, size_t cap);

/* The event time of booking seq (its line's ts). */
int64_t ir_gen_ts(const ir_gen_config *cfg, uint64_t seq);

/* The generator's trains, for checking them against the capacity file. */
size_t ir_gen_train_count(void);
const char *ir_gen_train_number(size_t i);
bool ir_gen_train_has_class(size_t i, int cls);

#endif
