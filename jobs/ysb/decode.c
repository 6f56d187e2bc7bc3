/* decode.c — JSON Lines rows to YSB events. Every field of the JSON form is required
 * with its type; ad_id must be one of the campaign table's ads (the join has no other
 * way to place it), ad_type and event_type must be from their lists. A bad row is
 * rejected with a reason naming the first bad field. */
#include <string.h>

#include "ysb.h"

static bool bytes_is(sg_bytes b, const char *s)
{
    size_t n = strlen(s);
    return b.len == n && memcmp(b.data, s, n) == 0;
}

/* The index of b in names[0..n), or -1. */
static int index_of(sg_bytes b, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (bytes_is(b, names[i]))
            return i;
    return -1;
}

/* The reason for a string field that is absent or not a string, or NULL. */
static const char *get_str(const sg_row *row, const char *field, sg_bytes *out, const char *missing,
                           const char *wrong)
{
    int rc = sg_row_get_str(row, field, out);
    return rc == SG_OK ? NULL : rc == SG_NOTFOUND ? missing : wrong;
}

/* A dotted IPv4 address a.b.c.d, each part 0..255 without a sign; false if not. */
static bool parse_ip(sg_bytes b, uint32_t *ip)
{
    const char *s = b.data;
    uint32_t v = 0, part = 0;
    int parts = 0, digits = 0;
    for (size_t i = 0; i <= b.len; i++) {
        if (i == b.len || s[i] == '.') {
            if (digits == 0 || part > 255 || ++parts > 4)
                return false;
            v = v << 8 | part;
            part = 0;
            digits = 0;
        } else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
            part = part * 10 + (uint32_t)(s[i] - '0');
            digits++;
        } else {
            return false;
        }
    }
    *ip = v;
    return parts == 4;
}

const char *ysb_event_parse(const sg_row *row, const ysb_ads *ads, ysb_event *ev)
{
    sg_bytes user, page, ad, ad_type, event_type, ip;
    const char *why;
    memset(ev, 0, sizeof(*ev));
    if ((why = get_str(row, "user_id", &user, "missing field \"user_id\"",
                       "field \"user_id\" is not a string")) ||
        (why = get_str(row, "page_id", &page, "missing field \"page_id\"",
                       "field \"page_id\" is not a string")) ||
        (why = get_str(row, "ad_id", &ad, "missing field \"ad_id\"",
                       "field \"ad_id\" is not a string")))
        return why;
    int a = ysb_ads_find(ads, ad.data, ad.len);
    if (a < 0)
        return "field \"ad_id\" is not an ad of any campaign";
    ev->ad = (uint32_t)a;
    if ((why = get_str(row, "ad_type", &ad_type, "missing field \"ad_type\"",
                       "field \"ad_type\" is not a string")))
        return why;
    int t = index_of(ad_type, ysb_ad_type_names, YSB_AD_TYPES);
    if (t < 0)
        return "field \"ad_type\" must be banner, modal, sponsored-search, mail or mobile";
    ev->ad_type = (uint8_t)t;
    if ((why = get_str(row, "event_type", &event_type, "missing field \"event_type\"",
                       "field \"event_type\" is not a string")))
        return why;
    if ((t = index_of(event_type, ysb_event_type_names, 3)) < 0)
        return "field \"event_type\" must be view, click or purchase";
    ev->event_type = (uint8_t)t;
    int rc = sg_row_get_i64(row, "event_time", &ev->event_time);
    if (rc != SG_OK)
        return rc == SG_NOTFOUND ? "missing field \"event_time\""
                                 : "field \"event_time\" is not an integer (epoch ms)";
    /* Its 10 s window, or any window the job allows, would end past the int64 limit;
     * rejected here so that it does not raise the watermark and close every window. */
    if (ev->event_time > SG_TIME_MAX / 2 || ev->event_time < SG_TIME_MIN / 2)
        return "field \"event_time\" is too close to the int64 limits";
    if ((why = get_str(row, "ip_address", &ip, "missing field \"ip_address\"",
                       "field \"ip_address\" is not a string")))
        return why;
    if (!parse_ip(ip, &ev->ip))
        return "field \"ip_address\" is not an IPv4 address";
    return NULL;
}

int ysb_decode(sg_ctx *ctx, const sg_row *row, void *udata)
{
    ysb_event ev;
    const char *why = ysb_event_parse(row, udata, &ev);
    if (why) {
        sg_ctx_reject(ctx, NULL, why);
        return SG_OK;
    }
    sg_bytes none = {0}, value = {&ev, sizeof(ev)};
    return sg_emit(ctx, ev.event_time, none, value);
}
