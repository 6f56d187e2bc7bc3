/* ysb: the types, decoder, generator source and stages shared by job.c and the job's
 * tests. Records carry plain structs as their value bytes, always read with memcpy
 * (batch slots are not aligned). */
#ifndef YSB_YSB_H
#define YSB_YSB_H

#include <sangam/sangam.h>

#include "ysbgen.h"

/* After the projection a record's value is the first YSB_VIEW_LEN bytes of its
 * ysb_event (event_time, ad); after the join it is the campaign index, a uint32_t. */

/* The job's configuration, the udata of its stages (job memory, read-only while the
 * job runs, so shared by every worker). */
typedef struct ysb_config {
    ysb_ads ads;
    uint32_t campaign_index[YSB_CAMPAIGNS]; /* i at i: bytes for the join to point at */
} ysb_config;

/* The CSV header of the output; one line per campaign and window. */
#define YSB_HEADER "campaign_id,window_start,window_end,count"

/* ---- Decoding JSON Lines (decode.c) ------------------------------------------------ */

/* Reads and validates one row: every field of the JSON form (ysbgen.h) present with its
 * type, ad_id one of the table's ads, ad_type and event_type from their lists. Returns
 * NULL and fills *ev (user_id and page_id are not kept: 0), or a static one-line reason
 * naming the first bad field, in the order the fields are listed. */
const char *ysb_event_parse(const sg_row *row, const ysb_ads *ads, ysb_event *ev);
/* The job's decoder (udata: the ysb_ads): emits (event_time, no key, ysb_event) or
 * rejects the row. */
int ysb_decode(sg_ctx *ctx, const sg_row *row, void *udata);

/* ---- The generator (ysb_source.c) ------------------------------------------------- */

/* gen:ysb?count=N&rate=R&seed=S&start=MS&users=U&pages=P: parallel (instance i of P
 * emits events i, i + P, ...), each event a record (ts = event_time, no key, value =
 * ysb_event). Snapshot: u64 version (1) | u64 next | u64 step. */
extern const sg_source_def ysb_generator;

/* The seed= parameter of a gen:ysb URI: SG_OK with *seed, SG_NOTFOUND when the URI is
 * not gen:ysb or has no seed, SG_EINVAL when it is not a decimal integer. */
int ysb_uri_seed(const char *uri, int64_t *seed);

#endif
