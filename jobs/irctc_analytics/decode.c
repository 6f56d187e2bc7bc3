/* decode.c — input rows to ir_booking records, with every check the issue asks for.
 *
 * A row that fails a check is a bad record: sg_ctx_reject with a reason that names
 * the field, and nothing is emitted, so it is left out of both outputs. That includes
 * a booking whose (train, class) the capacity file does not list. Fields are read by
 * name, so CSV (by header) and JSON Lines both work; in JSON a PNR or train number may
 * also be written as a number. */
#include <stdio.h>
#include <string.h>

#include "irctc.h"

/* A text field, or in JSON a non-negative integer written as its digits into buf. */
static int get_text(const sg_row *row, const char *field, char *buf, size_t cap, sg_bytes *out)
{
    int64_t v;
    int rc = sg_row_get_str(row, field, out);
    if (rc != SG_EINVAL)
        return rc;
    if (sg_row_get_i64(row, field, &v) != SG_OK || v < 0)
        return SG_EINVAL;
    out->data = buf;
    out->len = (size_t)snprintf(buf, cap, "%lld", (long long)v);
    return SG_OK;
}

/* Rejects with "missing field" or the field's own reason; returns false if rejected. */
static bool check(sg_ctx *ctx, int rc, bool ok, const char *field, const char *reason)
{
    char msg[64];
    if (rc == SG_OK && ok)
        return true;
    if (rc == SG_NOTFOUND) {
        snprintf(msg, sizeof(msg), "missing field \"%s\"", field);
        sg_ctx_reject(ctx, NULL, msg);
    } else {
        sg_ctx_reject(ctx, NULL, reason);
    }
    return false;
}

/* The fields that say where: pnr, train, from, to. The issue sets no format for the
 * PNR or the stations, so any text is accepted (a Flink job would not second-guess
 * them either); the train must fit the record and match the capacity file anyway. */
static bool decode_journey(sg_ctx *ctx, const sg_row *row, ir_booking *b)
{
    char nbuf[2][24];
    sg_bytes pnr, train, from, to;
    int rc = get_text(row, "pnr", nbuf[0], sizeof(nbuf[0]), &pnr);
    if (!check(ctx, rc, rc == SG_OK, "pnr", "pnr must be a string"))
        return false;
    rc = get_text(row, "train", nbuf[1], sizeof(nbuf[1]), &train);
    if (!check(ctx, rc, rc == SG_OK && ir_train_valid(train.data, train.len), "train",
               "train must be 1..15 letters or digits"))
        return false;
    rc = sg_row_get_str(row, "from", &from);
    if (!check(ctx, rc, rc == SG_OK, "from", "from must be a string"))
        return false;
    rc = sg_row_get_str(row, "to", &to);
    if (!check(ctx, rc, rc == SG_OK, "to", "to must be a string"))
        return false;
    memcpy(b->train, train.data, train.len);
    return true;
}

/* The fields that say what: class, seats, fare_paise, status. */
static bool decode_ticket(sg_ctx *ctx, const sg_row *row, ir_booking *b)
{
    sg_bytes s;
    int cls = -1, status = -1;
    int rc = sg_row_get_str(row, "class", &s);
    if (rc == SG_OK)
        cls = ir_class_parse(s.data, s.len);
    if (!check(ctx, rc, cls >= 0, "class", "class must be SL, 3A, 2A, 1A, CC or 2S"))
        return false;
    rc = sg_row_get_i64(row, "seats", &b->seats);
    if (!check(ctx, rc, b->seats >= 1 && b->seats <= IR_SEATS_MAX, "seats",
               "seats must be an integer in 1..6"))
        return false;
    rc = sg_row_get_i64(row, "fare_paise", &b->fare_paise);
    if (!check(ctx, rc, b->fare_paise >= 0 && b->fare_paise <= IR_FARE_MAX, "fare_paise",
               "fare_paise must be an integer in 0..1000000000"))
        return false;
    rc = sg_row_get_str(row, "status", &s);
    if (rc == SG_OK)
        status = ir_status_parse(s.data, s.len);
    if (!check(ctx, rc, status >= 0, "status", "status must be BOOKED, CANCELLED or WAITLISTED"))
        return false;
    b->cls = (uint8_t)cls;
    b->status = (uint8_t)status;
    return true;
}

int ir_decode_booking(sg_ctx *ctx, const sg_row *row, void *udata)
{
    const ir_capacity *cap = udata;
    ir_booking b;
    int64_t ts = 0;
    memset(&b, 0, sizeof(b)); /* padding too: equal bookings have equal bytes */
    int rc = sg_row_get_i64(row, "ts", &ts);
    if (!check(ctx, rc, ts >= -IR_TS_MAX && ts <= IR_TS_MAX, "ts",
               "ts must be an integer (epoch ms) within +-4000000000000000000") ||
        !decode_journey(ctx, row, &b) || !decode_ticket(ctx, row, &b))
        return SG_OK;
    size_t len = strlen(b.train);
    if ((b.capacity = ir_capacity_find(cap, b.train, len, b.cls)) == 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "train %s class %s is not in the capacity file", b.train,
                 ir_class_name(b.cls));
        sg_ctx_reject(ctx, NULL, msg);
        return SG_OK;
    }
    sg_bytes none = {0}, value = {&b, sizeof(b)};
    return sg_emit(ctx, ts, none, value);
}
