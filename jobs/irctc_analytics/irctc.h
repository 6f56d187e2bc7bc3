/* irctc.h — the irctc_analytics job's pieces, shared by job.c and the tests: booking
 * fields and their checks (booking.c), the capacity table (capacity.c), the occupancy
 * alert operator (occupancy_op.c) and the gen:irctc source (gen_source.c).
 *
 * Every value that travels between operators is a plain struct without padding
 * holes (fields are laid out by size, with explicit padding that is always zero), so
 * that the same input gives the same bytes at every parallelism. */
#ifndef IR_IRCTC_H
#define IR_IRCTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sangam/sangam.h>

/* ---- Booking fields ------------------------------------------------------------- */

/* Travel classes, in the order the capacity file and the output name them. */
typedef enum ir_class {
    IR_SL = 0, /* sleeper */
    IR_3A,     /* AC three tier */
    IR_2A,     /* AC two tier */
    IR_1A,     /* AC first class */
    IR_CC,     /* AC chair car */
    IR_2S,     /* second sitting */
    IR_N_CLASSES
} ir_class;

typedef enum ir_status { IR_BOOKED = 0, IR_CANCELLED, IR_WAITLISTED, IR_N_STATUSES } ir_status;

/* A train number is 1..IR_TRAIN_MAX letters or digits (Indian Railways uses 5 digits). */
#define IR_TRAIN_MAX 15
#define IR_SEATS_MAX 6
#define IR_FARE_MAX INT64_C(1000000000)        /* paise (1 crore rupees): sums cannot overflow */
#define IR_TS_MAX INT64_C(4000000000000000000) /* far from the int64 limit windows need */

/* The class or status named by s[0..len), or -1. */
int ir_class_parse(const void *s, size_t len);
int ir_status_parse(const void *s, size_t len);
/* "SL", "3A", ... and "BOOKED", ...; the name of an out-of-range value is "?". */
const char *ir_class_name(int cls);
const char *ir_status_name(int status);
/* True if s[0..len) is a valid train number (see IR_TRAIN_MAX). */
bool ir_train_valid(const void *s, size_t len);

/* The value of a decoded booking record; its ts is the event time. */
typedef struct ir_booking {
    int64_t seats;                /* 1..IR_SEATS_MAX */
    int64_t fare_paise;           /* 0..IR_FARE_MAX */
    int64_t capacity;             /* of (train, class), from the capacity file */
    char train[IR_TRAIN_MAX + 1]; /* NUL-terminated, zero-padded */
    uint8_t cls;                  /* ir_class */
    uint8_t status;               /* ir_status */
    uint8_t pad[6];               /* zero */
} ir_booking;

/* The value of an occupancy alert; the record's ts is the event's, its key the
 * operator's key (train and class). */
typedef struct ir_alert {
    int64_t threshold; /* 50, 75, 90 or 100 (percent) */
    int64_t occupied;  /* seats after the event */
    int64_t capacity;
    char train[IR_TRAIN_MAX + 1];
    uint8_t cls;
    uint8_t pad[7];
} ir_alert;

/* ---- The capacity table (capacity.c) ------------------------------------------- */

typedef struct ir_capacity ir_capacity;

/* Loads a capacity CSV: the header line "train,class,capacity", then one row per
 * (train, class) with capacity in 1..10000000. Blank lines are skipped, a final CR
 * is ignored. Returns SG_OK with *out [owned->caller], or SG_ENOENT / SG_EIO (the
 * file cannot be read), SG_EINVAL (malformed: bad header, bad number, unknown class,
 * duplicate row, bad train) or SG_ENOMEM, with a one-line message naming the file
 * and line in err [out] (errlen bytes). */
int ir_capacity_load(const char *path, ir_capacity **out, char *err, size_t errlen);
void ir_capacity_free(ir_capacity *c); /* NULL is a no-op */
/* The capacity of (train, cls), or 0 when the file has no such row. O(log n). */
int64_t ir_capacity_find(const ir_capacity *c, const void *train, size_t len, int cls);
/* Rows in the table. */
size_t ir_capacity_count(const ir_capacity *c);
/* A table that lives in caller-provided memory (e.g. sg_job_alloc, so that it lasts
 * as long as the job): ir_capacity_bytes(c) bytes at mem [out], 8-byte aligned. The
 * copy shares nothing with c and must not be given to ir_capacity_free. */
size_t ir_capacity_bytes(const ir_capacity *c);
ir_capacity *ir_capacity_copy_to(const ir_capacity *c, void *mem);

/* ---- Decoding (decode.c) -------------------------------------------------------- */

/* The job's sg_decode_fn: checks a row's fields and emits its ir_booking (ts = the
 * event time, no key), or rejects it with a reason naming the field. udata is the
 * const ir_capacity table; a booking of a (train, class) not in it is rejected. */
int ir_decode_booking(sg_ctx *ctx, const sg_row *row, void *udata);

/* ---- Operators and sources -------------------------------------------------------- */

/* Keyed by train and class; input values are ir_booking. Buffers each key's bookings
 * by event time (list state, namespace = ts, one event-time timer per ts) and applies
 * them in event-time order, equal timestamps in input order, keeping the running
 * occupancy; emits an ir_alert for every threshold (50, 75, 90, 100 percent of the
 * capacity) an event makes the occupancy reach or pass from below. A booking with ts
 * at or below the watermark is late: counted and dropped. No udata. */
extern const sg_operator_def ir_occupancy_op;

/* gen:irctc?count=N&rate=R&seed=S&start=MS&disorder=MS: generated bookings as CSV
 * lines (see irgen.h). One instance, like a file. */
extern const sg_source_def ir_booking_generator;

/* The thresholds, ascending. */
#define IR_N_THRESHOLDS 4
extern const int64_t ir_thresholds[IR_N_THRESHOLDS];

#endif
