/* Private to operators/window*.c: the keyed event-time window operator.
 *
 * window.c assigns records to panes and windows, decides lateness and drives the
 * timers; window_content.c holds what a window contains in either of its two modes
 * (an incremental aggregate, or the records themselves for a process-window
 * function) and fires it. Both use only the public API (sangam.h). Session windows
 * with a process function (session.c) reuse the buffered-record helpers. */
#ifndef SG_OPERATORS_WINDOW_H
#define SG_OPERATORS_WINDOW_H

#include "operators/builtin_ops.h"

typedef struct sg__win_self {
    sg_state_id panes;   /* per (key, pane end): an accumulator, or a list of records */
    sg_state_id direct;  /* per (key, window end): records that skipped their pane */
    sg_state_id pending; /* list per (key, window end): late records that arrived before
                          * the window's on-time firing; declared when lateness > 0 */
    sg_time wm;          /* the last watermark on_watermark saw: timers <= wm have fired */
    uint64_t seq;        /* arrival number of the next record kept in a list */
    bool direct_used;    /* 'direct' may hold something: false until a record takes the
                          * direct path (or state is restored), so that until then a
                          * firing skips the direct lookup, which would always miss */
} sg__win_self;

/* A buffered record (in pane lists, direct lists and pending lists): this header,
 * then the value bytes. The key is the state's key. seq orders records by arrival
 * across lists. */
typedef struct sg__win_item {
    uint64_t seq;
    sg_time ts;
} sg__win_item;

static inline bool sg__win_is_process(const sg_window_config *c)
{
    return c->proc.process != NULL;
}

/* Adds rec to the pane or window 'ns' of state 'id' (w->panes or w->direct). *created
 * is true when the accumulator is new; a list add always says true (finding out
 * would cost a read, and it only decides whether a timer is set again). */
int sg__win_add(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_state_id id, int64_t ns,
                const sg_record *rec, bool *created);
/* Appends rec to the list 'ns' of state 'id' in the item layout above, with arrival
 * number seq. */
int sg__win_list_add(sg_ctx *ctx, sg_state_id id, int64_t ns, uint64_t seq, const sg_record *rec);
/* Fires the window that ends at 'end' with everything it holds (its panes and its
 * direct records), if anything. With 'clear' it also clears the panes no later
 * window needs and the window's direct records, as a cleanup would. *fired: it had
 * content; *remain: panes that later windows need exist. */
int sg__win_fire(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end, bool clear,
                 bool *fired, bool *remain);
/* Clears the window that ends at 'end': the panes whose last window it is, and its
 * direct records. */
int sg__win_clear(sg_ctx *ctx, const sg_window_config *c, sg__win_self *w, sg_time end);
/* Parses a buffered item into *rec (key = the current key); SG_ESERDE if corrupt. */
int sg__win_item_parse(sg_ctx *ctx, sg_bytes item, uint64_t *seq, sg_record *rec);

/* Records gathered from lists for a process-window function (scratch memory). */
typedef struct sg__win_elem {
    uint64_t seq;
    sg_record rec;
} sg__win_elem;

typedef struct sg__win_collector {
    sg__win_elem *v;
    size_t n, cap;
} sg__win_collector;

/* Appends copies of the records of list (id, ns) to col. */
int sg__win_collect(sg_ctx *ctx, sg_state_id id, int64_t ns, sg__win_collector *col);
/* Sorts col into arrival order and calls proc with it, unless it is empty. */
int sg__win_call(sg_ctx *ctx, const sg_window_process_def *proc, void *udata, sg_time start,
                 sg_time end, sg__win_collector *col);

#endif
