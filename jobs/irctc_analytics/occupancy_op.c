/* occupancy_op.c — occupancy alerts per (train, class): a custom keyed operator that
 * applies bookings in event-time order, which arrival order is not.
 *
 * Each booking goes into keyed list state under namespace = its ts, and an event-time
 * timer is set at ts (one per (key, ts), however many bookings share it). When the
 * watermark reaches ts the timer walks that list in insertion order (input order:
 * one source instance, and key_by keeps each key's order) and clears it. Timers of a
 * key fire in ts order, so bookings are applied by ts, then input order.
 *
 * Late: a booking with ts at or below the watermark (the operator's, or the one the
 * record carries from its source) would have to be applied before events already
 * applied; it is counted with sg_ctx_count_late and dropped. Which bookings are late
 * depends on the input alone, not on parallelism.
 *
 * The running occupancy is keyed value state (namespace 0), so, with the buffers and
 * timers, everything is in the state backend and the operator needs no snapshot. */
#include <string.h>

#include "irctc.h"

typedef struct occ_self {
    sg_state_id buffer;   /* keyed list per ts: the ir_booking values, in input order */
    sg_state_id occupied; /* keyed int64 in namespace 0: BOOKED - CANCELLED seats */
} occ_self;

static int occ_open(sg_ctx *ctx, void *self, sg_snap_reader *restore)
{
    occ_self *o = self;
    int rc;
    SG_UNUSED(restore); /* everything lives in keyed state and timers */
    if ((rc = sg_state_declare(ctx, "buffer", SG_STATE_LIST, &o->buffer)) < 0)
        return rc;
    return sg_state_declare(ctx, "occupied", SG_STATE_VALUE, &o->occupied);
}

static int occ_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    occ_self *o = self;
    int rc;
    SG_UNUSED(port);
    if (rec->value.len != sizeof(ir_booking)) {
        sg_ctx_reject(ctx, rec, "not a booking record");
        return SG_OK;
    }
    if (rec->ts <= sg_ctx_watermark(ctx)) {
        sg_ctx_count_late(ctx, 1);
        return SG_OK;
    }
    if ((rc = sg_state_list_add(ctx, o->buffer, rec->ts, rec->value)) < 0)
        return rc;
    return sg_timer_set(ctx, SG_TIME_EVENT, rec->ts); /* idempotent per (key, ts) */
}

/* pct as the issue defines it: integer division, truncating toward zero (C's). */
static int64_t percent(int64_t occupied, int64_t capacity)
{
    return occupied * 100 / capacity;
}

typedef struct apply_ctx {
    occ_self *self;
    sg_time ts;
} apply_ctx;

/* Applies one buffered booking and emits an alert per threshold it crosses upward. */
static int apply_booking(sg_ctx *ctx, sg_bytes item, void *ud)
{
    const apply_ctx *a = ud;
    ir_booking b;
    void *ref;
    int64_t before, after;
    int rc;
    memcpy(&b, item.data, sizeof(b)); /* item is borrowed; state calls follow */
    if ((rc = sg_state_ref(ctx, a->self->occupied, 0, sizeof(int64_t), &ref, NULL)) < 0)
        return rc;
    memcpy(&before, ref, sizeof(before));
    after = before;
    if (b.status == IR_BOOKED)
        after += b.seats;
    else if (b.status == IR_CANCELLED)
        after -= b.seats;
    if (after == before)
        return SG_OK; /* a waitlisting: occupancy, and so every threshold, unchanged */
    memcpy(ref, &after, sizeof(after));
    int64_t p0 = percent(before, b.capacity), p1 = percent(after, b.capacity);
    for (int i = 0; i < IR_N_THRESHOLDS; i++) {
        if (p0 >= ir_thresholds[i] || p1 < ir_thresholds[i])
            continue;
        ir_alert al = {
            .threshold = ir_thresholds[i], .occupied = after, .capacity = b.capacity, .cls = b.cls};
        memcpy(al.train, b.train, sizeof(al.train));
        sg_bytes v = {&al, sizeof(al)};
        if ((rc = sg_emit(ctx, a->ts, sg_ctx_key(ctx), v)) < 0)
            return rc;
    }
    return SG_OK;
}

static int occ_on_timer(sg_ctx *ctx, void *self, sg_time_domain d, sg_time ts)
{
    occ_self *o = self;
    apply_ctx a = {o, ts};
    int rc;
    SG_UNUSED(d); /* only event-time timers are set */
    if ((rc = sg_state_list_each(ctx, o->buffer, ts, apply_booking, &a)) < 0)
        return rc;
    return sg_state_clear(ctx, o->buffer, ts);
}

const sg_operator_def ir_occupancy_op = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "occupancy-alerts",
    .self_size = sizeof(occ_self),
    .flags = SG_OP_KEYED,
    .n_inputs = 1,
    .open = occ_open,
    .process = occ_process,
    .on_timer = occ_on_timer,
    /* on_watermark, snapshot, finish, close: NULL. Timers do the watermark's work,
     * all state is keyed, the final watermark fires every timer, self owns nothing. */
};
