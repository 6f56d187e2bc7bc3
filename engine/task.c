/* Subtask activations (task.h): the source poll loop, input draining, watermark
 * alignment over inputs, output partitioning into batches, and backpressure. */
#include <stdio.h>
#include <string.h>

#include "engine/common.h"
#include "engine/pace.h"
#include "engine/sched.h"
#include "engine/task.h"

#define SOURCE_BUDGET 1024 /* records or lines per poll */
#define INPUT_BATCHES 4    /* input batches per activation, then outputs are flushed */

/* ---- Sending batches ---------------------------------------------------------- */

static int overflow_add(sg__subtask *t, sg__chan *c, sg__batch *b)
{
    if (t->n_over == t->cap_over) {
        int cap = t->cap_over ? t->cap_over * 2 : 16;
        sg__overflow *o = sg_realloc(t->over, (size_t)cap * sizeof(*o));
        if (!o)
            return SG_ENOMEM;
        t->over = o;
        t->cap_over = cap;
    }
    t->over[t->n_over].chan = c;
    t->over[t->n_over].batch = b;
    t->n_over++;
    atomic_store_explicit(&t->blocked, true, memory_order_seq_cst);
    return SG_OK;
}

/* Pushes overflow batches in order; true when none is left. */
static bool drain_overflow(sg__subtask *t, bool *progress)
{
    int i = 0;
    while (i < t->n_over && sg__ring_push(&t->over[i].chan->data, t->over[i].batch)) {
        sg__worker_notify(t->over[i].chan->consumer->worker);
        i++;
    }
    if (i) {
        *progress = true;
        memmove(t->over, t->over + i, (size_t)(t->n_over - i) * sizeof(*t->over));
        t->n_over -= i;
    }
    if (t->n_over == 0)
        atomic_store_explicit(&t->blocked, false, memory_order_seq_cst);
    return t->n_over == 0;
}

static int send(sg__subtask *t, sg__chan *c, sg__batch *b)
{
    /* Behind earlier overflow, a batch must wait its turn to keep the order. */
    if (t->n_over == 0 && sg__ring_push(&c->data, b)) {
        sg__worker_notify(c->consumer->worker);
        return SG_OK;
    }
    return overflow_add(t, c, b);
}

static int flush_outputs(sg__subtask *t)
{
    t->held_since = 0;
    for (int i = 0; i < t->n_outputs; i++) {
        sg__output *o = &t->outputs[i];
        for (int k = 0; k < o->n; k++) {
            sg__batch *b = o->pending[k];
            if (b && b->n) {
                o->pending[k] = NULL;
                if (send(t, o->chans[k], b) < 0)
                    return SG_ENOMEM;
            }
        }
    }
    return SG_OK;
}

static int send_control_id(sg__subtask *t, sg__batch_kind kind, sg_time wm, uint64_t id)
{
    int rc;
    if ((rc = flush_outputs(t)) < 0)
        return rc;
    if (kind == SG__BATCH_WATERMARK && t->n_outputs)
        t->wm_sent = wm; /* what a restore of it as finished re-sends */
    for (int i = 0; i < t->n_outputs; i++) {
        sg__output *o = &t->outputs[i];
        for (int k = 0; k < o->n; k++) {
            sg__batch *b = o->pending[k];
            o->pending[k] = NULL;
            if (!b && !(b = sg__chan_take_free(o->chans[k])))
                return SG_ENOMEM;
            sg__batch_reset(b);
            b->kind = kind;
            b->wm = wm;
            b->ckpt_id = id;
            if ((rc = send(t, o->chans[k], b)) < 0)
                return rc;
        }
    }
    return SG_OK;
}

static int send_control(sg__subtask *t, sg__batch_kind kind, sg_time wm)
{
    return send_control_id(t, kind, wm, 0);
}

/* ---- The chain's exits ----------------------------------------------------------- */

static int route(sg__subtask *t, sg__output *o, const sg_record *rec)
{
    int k = 0;
    int32_t kg = -1;
    if (o->kind == SG__XCHG_HASH) {
        kg = sg__key_group(rec->key);
        k = sg__kg_subtask((uint16_t)kg, o->n);
    } else if (o->kind == SG__XCHG_REBALANCE)
        k = o->rr;
    for (;;) {
        sg__batch *b = o->pending[k];
        if (!b && !(b = o->pending[k] = sg__chan_take_free(o->chans[k])))
            return SG_ENOMEM;
        int rc = sg__batch_add(b, rec, t->rec_wm, kg);
        if (rc != SG_AGAIN)
            return rc;
        o->pending[k] = NULL;
        if ((rc = send(t, o->chans[k], b)) < 0)
            return rc;
        if (o->kind == SG__XCHG_REBALANCE)
            k = o->rr = (o->rr + 1) % o->n;
    }
}

/* A subtask that said it was idle says it is active before anything else goes out. */
static int announce_active(sg__subtask *t)
{
    if (!t->out_idle)
        return SG_OK;
    t->out_idle = false;
    atomic_store_explicit(&t->pub_idle, false, memory_order_relaxed);
    return send_control(t, SG__BATCH_ACTIVE, SG_TIME_MIN);
}

static int announce_idle(sg__subtask *t)
{
    if (t->out_idle)
        return SG_OK;
    t->out_idle = true;
    atomic_store_explicit(&t->pub_idle, true, memory_order_relaxed);
    return send_control(t, SG__BATCH_IDLE, SG_TIME_MIN);
}

static int out_record(void *ud, const sg_record *rec)
{
    sg__subtask *t = ud;
    if (t->out_idle && announce_active(t) < 0)
        return sg_ctx_errorf(&t->chain[t->n_chain - 1], SG_ENOMEM, "out of memory");
    for (int i = 0; i < t->n_outputs; i++) {
        if (t->outputs[i].tag)
            continue;
        int rc = route(t, &t->outputs[i], rec);
        if (rc < 0) {
            sg_ctx *tail = &t->chain[t->n_chain - 1];
            return sg_ctx_errorf(tail, rc, "%s: cannot send a record: %s", tail->name,
                                 sg_strerror(rc));
        }
    }
    return SG_OK;
}

static int out_side(void *ud, int from_inst, const char *tag, const sg_record *rec)
{
    sg__subtask *t = ud;
    if (t->out_idle && announce_active(t) < 0)
        return SG_ENOMEM;
    for (int i = 0; i < t->n_outputs; i++) {
        const sg__output *o = &t->outputs[i];
        if (o->tag && o->from_inst == from_inst && strcmp(o->tag, tag) == 0) {
            int rc = route(t, &t->outputs[i], rec);
            if (rc < 0)
                return sg_ctx_errorf(&t->chain[from_inst], rc, "%s: cannot send a record: %s",
                                     t->chain[from_inst].name, sg_strerror(rc));
        }
    }
    return SG_OK;
}

static int out_watermark(void *ud, sg_time wm)
{
    sg__subtask *t = ud;
    int rc = announce_active(t);
    if (rc < 0)
        return rc;
    atomic_store_explicit(&t->pub.wm, wm, memory_order_relaxed);
    return send_control(t, SG__BATCH_WATERMARK, wm);
}

/* ---- Lifecycle ------------------------------------------------------------------- */

void sg__subtask_wire(sg__subtask *t)
{
    /* The chain is linear: a line source's next is its decoder stage, which it
     * feeds through sg_source_emit_line rather than sg_emit. */
    for (int i = 0; i < t->n_chain; i++) {
        sg_ctx *c = &t->chain[i];
        c->counters = &t->counters;
        c->rec_wm = &t->rec_wm;
        if (c->track_ts)
            c->wm_delay = t->wm_delay;
        c->next = i + 1 < t->n_chain ? &t->chain[i + 1] : NULL;
        c->out_fn = out_record;
        c->out_wm_fn = out_watermark;
        c->out_side_fn = out_side;
        c->out_ud = t;
        c->ckpt_mode = t->ckpt ? t->ckpt->mode : SG_CHECKPOINT_NONE;
    }
}

void sg__subtask_close(sg__subtask *t)
{
    for (int i = 0; i < t->n_chain; i++)
        sg__inst_close(&t->chain[i]);
    for (int i = 0; i < t->n_outputs; i++) {
        for (int k = 0; k < t->outputs[i].n; k++) {
            sg__batch_free(t->outputs[i].pending[k]);
            t->outputs[i].pending[k] = NULL;
        }
    }
    for (int i = 0; i < t->n_over; i++)
        sg__batch_free(t->over[i].batch);
    t->n_over = 0;
}

const char *sg__subtask_errmsg(const sg__subtask *t)
{
    for (int i = 0; i < t->n_chain; i++)
        if (t->chain[i].errmsg[0])
            return t->chain[i].errmsg;
    return "unknown failure";
}

void sg__subtask_publish(sg__subtask *t)
{
    for (int i = 0; t->ipub && i < t->n_chain; i++) {
        const sg_ctx *c = &t->chain[i];
        atomic_store_explicit(&t->ipub[i].event_timers, sg__timers_count(&c->timers),
                              memory_order_relaxed);
        atomic_store_explicit(&t->ipub[i].processing_timers, sg__timers_count(&c->proc_timers),
                              memory_order_relaxed);
        atomic_store_explicit(&t->ipub[i].late, c->late, memory_order_relaxed);
    }
    atomic_store_explicit(&t->pub.read, t->counters.read, memory_order_relaxed);
    atomic_store_explicit(&t->pub.bad, t->counters.bad, memory_order_relaxed);
    atomic_store_explicit(&t->pub.late, t->counters.late, memory_order_relaxed);
    atomic_store_explicit(&t->pub.written, t->counters.written, memory_order_relaxed);
}

/* ---- Activations ------------------------------------------------------------------ */

static int end_of_input(sg__subtask *t)
{
    int rc;
    if ((rc = sg__inst_watermark(&t->chain[0], SG_TIME_MAX)) < 0)
        return rc;
    if ((rc = sg__inst_finish(&t->chain[0])) < 0)
        return rc;
    if ((rc = send_control(t, SG__BATCH_END, SG_TIME_MAX)) < 0)
        return sg_ctx_errorf(&t->chain[0], rc, "out of memory");
    t->finished = true;
    atomic_store_explicit(&t->pub_finished, true, memory_order_release);
    return SG_OK;
}

/* ---- Checkpoints (invariant 5) ----------------------------------------------------- */

void sg__subtask_open_finished(sg__subtask *t, uint64_t id, sg_time wm)
{
    sg__subtask_wire(t);
    t->opened = true;
    t->restore_finished = true;
    t->wm_sent = wm;
    t->ckpt_last = t->precommitted = t->committed = id;
    atomic_store_explicit(&t->acked, id, memory_order_relaxed);
    atomic_store_explicit(&t->pub.wm, SG_TIME_MAX, memory_order_relaxed);
}

/* The first activation of a subtask restored as finished: what it sent at its end, so
 * its consumers' inputs end as in the first run. Its inputs are never read (their
 * producers are finished too and send only their own END). */
static int finish_restored(sg__subtask *t)
{
    int rc = SG_OK;
    t->restore_finished = false;
    if (t->wm_sent != SG_TIME_MIN && t->n_outputs)
        rc = send_control(t, SG__BATCH_WATERMARK, t->wm_sent);
    if (rc >= 0)
        rc = send_control(t, SG__BATCH_END, SG_TIME_MAX);
    if (rc < 0)
        return sg_ctx_errorf(&t->chain[0], rc, "out of memory");
    t->finished = true;
    atomic_store_explicit(&t->pub_finished, true, memory_order_release);
    return 1;
}

static int take_checkpoint(sg__subtask *t, uint64_t id)
{
    int rc = sg__subtask_snapshot(t, id);
    if (rc < 0)
        return rc;
    t->ckpt_last = id;
    if ((rc = send_control_id(t, SG__BATCH_BARRIER, SG_TIME_MIN, id)) < 0)
        return sg_ctx_errorf(&t->chain[0], rc, "out of memory");
    return SG_OK;
}

/* A source takes the newest checkpoint wanted (skipping any it never saw: those
 * were aborted, since one is in flight at a time). */
static int source_checkpoint(sg__subtask *t)
{
    uint64_t want = atomic_load_explicit(&t->ckpt->wanted, memory_order_acquire);
    return want > t->ckpt_last ? take_checkpoint(t, want) : SG_OK;
}

/* Exactly-once alignment: an input that delivered the barrier being aligned waits. */
static inline bool input_blocked(const sg__subtask *t, const sg__input *in)
{
    return t->ckpt_align && in->barrier >= t->ckpt_align &&
           t->ckpt->mode == SG_CHECKPOINT_EXACTLY_ONCE;
}

static int try_complete_alignment(sg__subtask *t)
{
    if (!t->ckpt_align)
        return SG_OK;
    for (int i = 0; i < t->n_inputs; i++)
        if (!t->inputs[i].ended && t->inputs[i].barrier < t->ckpt_align)
            return SG_OK;
    uint64_t id = t->ckpt_align;
    t->ckpt_align = 0;
    return take_checkpoint(t, id);
}

static int on_barrier(sg__subtask *t, sg__input *in, uint64_t id)
{
    if (id > in->barrier)
        in->barrier = id;
    if (!t->ckpt || id <= t->ckpt_last || id < t->ckpt_align)
        return SG_OK; /* stale: an aborted checkpoint overtaken by a newer one */
    if (id > t->ckpt_align)
        t->align_start_us = sg__subtask_now_us(); /* alignment time, in the summary */
    t->ckpt_align = id; /* a newer barrier abandons an older alignment (Flink does too) */
    return try_complete_alignment(t);
}

/* Sinks make output staged up to the newest completed checkpoint visible. */
static int commit_sinks(sg__subtask *t)
{
    uint64_t done = atomic_load_explicit(&t->ckpt->completed, memory_order_seq_cst);
    if (done <= t->committed || t->precommitted <= t->committed)
        return SG_OK;
    uint64_t id = done < t->precommitted ? done : t->precommitted;
    for (int i = 0; i < t->n_chain; i++) {
        sg_ctx *c = &t->chain[i];
        if (c->kind != SG__INST_SINK || !c->sink->commit)
            continue;
        int rc = c->sink->commit(c, c->self, id);
        sg__scratch_reset(&c->scratch);
        if (rc < 0) {
            if (!c->errmsg[0])
                sg_ctx_errorf(c, rc, "%s: cannot commit checkpoint %llu: %s", c->name,
                              (unsigned long long)id, sg_strerror(rc));
            return rc;
        }
    }
    t->committed = id;
    return SG_OK;
}

static bool commit_pending(sg__subtask *t)
{
    return t->is_sink && t->precommitted > t->committed &&
           atomic_load_explicit(&t->ckpt->completed, memory_order_seq_cst) > t->committed;
}

/* A restored subtask first tells its consumers the watermark it had sent before the
 * checkpoint: their inputs start from nothing, their operators from the snapshot. */
static int resend_watermark(sg__subtask *t)
{
    t->resend_wm = false;
    sg_time wm = t->chain[t->n_chain - 1].wm;
    if (wm == SG_TIME_MIN || !t->n_outputs)
        return SG_OK;
    int rc = send_control(t, SG__BATCH_WATERMARK, wm);
    return rc < 0 ? sg_ctx_errorf(&t->chain[0], rc, "out of memory") : SG_OK;
}

static int poll_source(sg__subtask *t)
{
    sg_ctx *src = &t->chain[0];
    uint64_t read_before = t->counters.read;
    int rc;
    if (SG_UNLIKELY(t->pace_budget)) {
        /* Paced: the poll sleeps until its records' time, so keep it short. */
        int64_t t0 = sg__pace_now_ns();
        rc = src->src->poll(src, src->self, t->pace_budget);
        t->pace_budget =
            sg__pace_next_budget(t->pace_budget, sg__pace_now_ns() - t0, SOURCE_BUDGET);
    } else {
        rc = src->src->poll(src, src->self, SOURCE_BUDGET);
    }
    sg__scratch_reset(&src->scratch);
    if (rc < 0) {
        if (!src->errmsg[0])
            sg_ctx_errorf(src, rc, "source %s failed: %s", src->name, sg_strerror(rc));
        return rc;
    }
    /* Bounded out-of-orderness: wm = max ts - delay - 1, never decreasing. */
    const sg_ctx *tracker = src->decode ? src->decode : src;
    if (t->wm_delay >= 0 && tracker->max_ts != SG_TIME_MIN && t->flush_ms > 0 && rc != SG_EOF) {
        sg_time now = sg__now_ms();
        if (now - t->last_wm_at < t->flush_ms)
            goto no_wm; /* --flush-ms: periodic watermarks, as Flink's autoWatermarkInterval */
        t->last_wm_at = now;
    }
    if (t->wm_delay >= 0 && tracker->max_ts != SG_TIME_MIN) {
        sg_time wm = tracker->max_ts < SG_TIME_MIN + t->wm_delay + 1
                         ? SG_TIME_MIN
                         : tracker->max_ts - t->wm_delay - 1;
        if (wm > t->wm_out) {
            t->wm_out = wm;
            int wrc = sg__inst_watermark(src, wm);
            if (wrc < 0)
                return wrc;
        }
    }
no_wm:
    if (rc == SG_EOF)
        return end_of_input(t);
    if (t->idle_timeout > 0) {
        /* Idleness (Flink's withIdleness): a source without records for the timeout
         * stops holding back the watermark downstream until it has records again. */
        sg_time now = sg__now_ms();
        if (t->counters.read != read_before)
            t->last_activity = now;
        else if (rc == SG_AGAIN && now - t->last_activity >= t->idle_timeout) {
            int irc = announce_idle(t);
            if (irc < 0)
                return sg_ctx_errorf(src, irc, "out of memory");
        }
    }
    return rc == SG_AGAIN ? SG_AGAIN : SG_OK;
}

/* The input watermark is the minimum over the inputs that are active and aligned:
 * not ended, not idle, and not behind the watermark already reached (an input that
 * comes back from idleness rejoins once it catches up: Flink's StatusWatermarkValve).
 * When every input left is idle, the watermark goes to the highest of theirs (no input
 * will hold it back any more; Flink flushes the same way) and this subtask is idle
 * too, downstream. */
static int on_input_watermark(sg__subtask *t)
{
    sg_time min = SG_TIME_MAX, max_idle = SG_TIME_MIN;
    bool active = false, aligned = false;
    for (int i = 0; i < t->n_inputs; i++) {
        const sg__input *in = &t->inputs[i];
        if (in->ended)
            continue;
        if (in->idle) {
            max_idle = in->wm > max_idle ? in->wm : max_idle;
            continue;
        }
        active = true;
        if (in->wm < t->in_wm)
            continue;
        aligned = true;
        if (in->wm < min)
            min = in->wm;
    }
    if (!active && t->n_ended < t->n_inputs) {
        if (max_idle > t->in_wm) {
            t->in_wm = max_idle;
            atomic_store_explicit(&t->pub.wm, max_idle, memory_order_relaxed);
            int rc = sg__inst_watermark(&t->chain[0], max_idle);
            if (rc < 0)
                return rc;
        }
        return announce_idle(t);
    }
    if (aligned && min > t->in_wm) {
        t->in_wm = min;
        atomic_store_explicit(&t->pub.wm, min, memory_order_relaxed);
        return sg__inst_watermark(&t->chain[0], min);
    }
    return SG_OK;
}

/* The views of a batch's records for an operator with process_batch. */
static int process_whole_batch(sg__subtask *t, sg__input *in, sg__batch *b)
{
    if (!t->views && !(t->views = sg_malloc(SG__BATCH_RECS * sizeof(*t->views) +
                                            SG__BATCH_RECS * sizeof(*t->view_wms) +
                                            SG__BATCH_RECS * sizeof(*t->view_kgs))))
        return sg_ctx_errorf(&t->chain[0], SG_ENOMEM, "out of memory");
    t->view_wms = (sg_time *)(void *)(t->views + SG__BATCH_RECS);
    t->view_kgs = (int32_t *)(void *)(t->view_wms + SG__BATCH_RECS);
    for (uint32_t i = 0; i < b->n; i++) {
        sg__batch_get(b, i, &t->views[i], &t->view_wms[i]);
        t->view_kgs[i] = b->recs[i].kg;
    }
    return sg__inst_process_batch(&t->chain[0], in->port, t->views, t->view_kgs, t->view_wms, b->n);
}

static int process_batch(sg__subtask *t, sg__input *in, sg__batch *b)
{
    int rc = SG_OK;
    switch (b->kind) {
    case SG__BATCH_DATA:
        if (sg__inst_takes_batches(&t->chain[0]))
            return process_whole_batch(t, in, b);
        for (uint32_t i = 0; i < b->n && rc >= 0; i++) {
            sg_record rec;
            sg__batch_get(b, i, &rec, &t->rec_wm);
            t->chain[0].kg_hint = b->recs[i].kg; /* spares the keyed head a rehash */
            rc = sg__inst_process(&t->chain[0], in->port, &rec);
        }
        return rc;
    case SG__BATCH_WATERMARK:
        if (b->wm > in->wm)
            in->wm = b->wm;
        atomic_store_explicit(&in->pub_wm, in->wm, memory_order_relaxed);
        return on_input_watermark(t);
    case SG__BATCH_IDLE:
    case SG__BATCH_ACTIVE:
        in->idle = b->kind == SG__BATCH_IDLE;
        atomic_store_explicit(&in->pub_idle, in->idle, memory_order_relaxed);
        return on_input_watermark(t);
    case SG__BATCH_END:
        in->ended = true;
        atomic_store_explicit(&in->pub_wm, SG_TIME_MAX, memory_order_relaxed);
        /* Alignment first, also when this was the last input: a subtask that received
         * barrier n must take n before it finishes (at-least-once reads past barriers,
         * so its last input can end with n pending). Then a subtask that finishes
         * without n never saw barrier n, so neither did any of its producers' outputs
         * to it: they are all finished without n too, and a restore of it as finished
         * (which reads no input) never has a producer replaying into it. */
        if ((rc = try_complete_alignment(t)) < 0)
            return rc;
        if (++t->n_ended == t->n_inputs)
            return end_of_input(t);
        return on_input_watermark(t);
    case SG__BATCH_BARRIER:
        return on_barrier(t, in, b->ckpt_id);
    }
    return SG_OK;
}

static void give_back(sg__chan *c, sg__batch *b)
{
    if (!sg__ring_push(&c->free, b))
        sg__batch_free(b);
    if (atomic_load_explicit(&c->producer->blocked, memory_order_seq_cst))
        sg__worker_notify(c->producer->worker);
}

/* The end of an activation: partly filled batches go out now, or with --flush-ms once
 * the oldest has waited flush_ms (the worker wakes for that: next_proc_timer). */
static int end_activation_flush(sg__subtask *t)
{
    if (t->flush_ms <= 0)
        return flush_outputs(t);
    bool held = false;
    for (int i = 0; i < t->n_outputs && !held; i++)
        for (int k = 0; k < t->outputs[i].n && !held; k++)
            held = t->outputs[i].pending[k] && t->outputs[i].pending[k]->n;
    if (!held) {
        t->held_since = 0;
        return SG_OK;
    }
    sg_time now = sg__now_ms();
    if (!t->held_since)
        t->held_since = now;
    return now - t->held_since >= t->flush_ms ? flush_outputs(t) : SG_OK;
}

static int drain_inputs(sg__subtask *t, bool *progress)
{
    for (int done = 0, tried = 0; done < INPUT_BATCHES && tried < t->n_inputs && !t->finished;) {
        sg__input *in = &t->inputs[t->next_input];
        t->next_input = (t->next_input + 1) % t->n_inputs;
        sg__batch *b = in->ended || input_blocked(t, in) ? NULL : sg__ring_pop(&in->chan->data);
        if (!b) {
            tried++;
            continue;
        }
        tried = 0;
        done++;
        *progress = true;
        int rc = process_batch(t, in, b);
        give_back(in->chan, b);
        if (rc < 0)
            return rc;
        if (t->n_over)
            break; /* backpressure: stop taking input */
    }
    return SG_OK;
}

int sg__subtask_run(sg__subtask *t)
{
    bool progress = false;
    int rc = SG_OK;
    if (SG_UNLIKELY(t->restore_finished))
        return finish_restored(t);
    if (t->ckpt && !t->finished && commit_pending(t)) {
        if ((rc = commit_sinks(t)) < 0)
            return rc;
        progress = true;
    }
    if (t->n_over && !drain_overflow(t, &progress))
        return progress;
    if (t->finished)
        return progress;
    if (SG_UNLIKELY(t->resend_wm)) {
        if ((rc = resend_watermark(t)) < 0)
            return rc;
        progress = true;
    }
    if (t->next_proc_timer != SG_TIME_MAX) {
        sg_time now = sg__now_ms();
        if (t->next_proc_timer <= now) {
            for (int i = 0; i < t->n_chain && rc >= 0; i++)
                rc = sg__inst_processing_time(&t->chain[i], now);
            if (rc < 0)
                return rc;
            progress = true;
        }
    }
    if (t->is_source) {
        if (t->ckpt && (rc = source_checkpoint(t)) < 0)
            return rc;
        rc = poll_source(t);
        if (rc == SG_OK || rc == SG_EOF)
            progress = true;
        t->again = rc == SG_AGAIN;
        if (rc == SG_AGAIN)
            rc = SG_OK;
    } else {
        rc = drain_inputs(t, &progress);
    }
    if (rc >= 0 && !t->finished)
        rc = end_activation_flush(t);
    if (rc < 0)
        return rc;
    if (t->n_over)
        drain_overflow(t, &progress);
    t->next_proc_timer = SG_TIME_MAX;
    for (int i = 0; i < t->n_chain && !t->finished; i++) {
        sg_time next = sg__inst_next_processing_timer(&t->chain[i]);
        if (next < t->next_proc_timer)
            t->next_proc_timer = next;
    }
    if (t->held_since && t->held_since + t->flush_ms < t->next_proc_timer)
        t->next_proc_timer = t->held_since + t->flush_ms; /* wake to flush */
    sg__subtask_publish(t);
    return progress;
}

bool sg__subtask_ready(sg__subtask *t)
{
    if (SG_UNLIKELY(t->restore_finished))
        return true;
    if (t->ckpt && !t->finished && commit_pending(t))
        return true;
    /* Overflow drains in order: only the first batch's channel matters. */
    if (t->n_over)
        return !sg__ring_full(&t->over[0].chan->data);
    if (t->finished)
        return false;
    if (t->next_proc_timer != SG_TIME_MAX && t->next_proc_timer <= sg__now_ms())
        return true;
    if (t->is_source)
        return !t->again || (t->ckpt && atomic_load_explicit(&t->ckpt->wanted,
                                                             memory_order_seq_cst) > t->ckpt_last);
    for (int i = 0; i < t->n_inputs; i++)
        if (!t->inputs[i].ended && !input_blocked(t, &t->inputs[i]) &&
            !sg__ring_empty(&t->inputs[i].chan->data))
            return true;
    return false;
}
