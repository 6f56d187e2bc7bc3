/* nexmark_json.c — sg_nx_to_json: a Nexmark event as one flat JSON object, "type"
 * first, then Nexmark's field names in the order of its model classes:
 *
 *   {"type":"bid","auction":1000,"bidder":1001,"price":2103,"channel":"Google",
 *    "url":"https://...","dateTime":1767225600000,"extra":"..."}
 *
 * Integers are plain decimals (times as epoch ms); strings are escaped as RFC 8259
 * requires (quote, backslash, control characters); other bytes pass through, so UTF-8
 * stays UTF-8. Plain C, no engine calls: `sangam gen` and bench baselines use it. */
#include <string.h>

#include <sangam/nexmark.h>

/* Writes up to cap bytes and counts every byte, so the caller learns the size needed
 * (as snprintf does). */
typedef struct jw {
    char *buf;
    size_t cap, len;
} jw;

static void jw_raw(jw *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void jw_int(jw *w, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    jw_raw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void jw_str(jw *w, sg_bytes s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = s.data, *end = p + s.len, *run = p;
    jw_raw(w, "\"", 1);
    for (; p < end; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        jw_raw(w, (const char *)run, (size_t)(p - run));
        run = p + 1;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        jw_raw(w, esc, n);
    }
    jw_raw(w, (const char *)run, (size_t)(end - run));
    jw_raw(w, "\"", 1);
}

#define KEY(w, lit) jw_raw(w, lit, sizeof(lit) - 1)

/* Person and bid end alike: dateTime, then extra. */
static void jw_tail(jw *w, const sg_nx_event *ev)
{
    KEY(w, ",\"dateTime\":");
    jw_int(w, ev->date_time);
    KEY(w, ",\"extra\":");
    jw_str(w, ev->extra);
    KEY(w, "}");
}

size_t sg_nx_to_json(const sg_nx_event *ev, char *buf, size_t cap)
{
    jw w = {buf, cap, 0};
    switch (ev->type) {
    case SG_NX_PERSON: {
        const sg_nx_person *p = &ev->person;
        KEY(&w, "{\"type\":\"person\",\"id\":");
        jw_int(&w, p->id);
        KEY(&w, ",\"name\":");
        jw_str(&w, p->name);
        KEY(&w, ",\"emailAddress\":");
        jw_str(&w, p->email_address);
        KEY(&w, ",\"creditCard\":");
        jw_str(&w, p->credit_card);
        KEY(&w, ",\"city\":");
        jw_str(&w, p->city);
        KEY(&w, ",\"state\":");
        jw_str(&w, p->state);
        jw_tail(&w, ev);
        break;
    }
    case SG_NX_AUCTION: {
        const sg_nx_auction *a = &ev->auction;
        KEY(&w, "{\"type\":\"auction\",\"id\":");
        jw_int(&w, a->id);
        KEY(&w, ",\"itemName\":");
        jw_str(&w, a->item_name);
        KEY(&w, ",\"description\":");
        jw_str(&w, a->description);
        KEY(&w, ",\"initialBid\":");
        jw_int(&w, a->initial_bid);
        KEY(&w, ",\"reserve\":");
        jw_int(&w, a->reserve);
        KEY(&w, ",\"dateTime\":");
        jw_int(&w, ev->date_time);
        KEY(&w, ",\"expires\":");
        jw_int(&w, a->expires);
        KEY(&w, ",\"seller\":");
        jw_int(&w, a->seller);
        KEY(&w, ",\"category\":");
        jw_int(&w, a->category);
        KEY(&w, ",\"extra\":");
        jw_str(&w, ev->extra);
        KEY(&w, "}");
        break;
    }
    case SG_NX_BID: {
        const sg_nx_bid *b = &ev->bid;
        KEY(&w, "{\"type\":\"bid\",\"auction\":");
        jw_int(&w, b->auction);
        KEY(&w, ",\"bidder\":");
        jw_int(&w, b->bidder);
        KEY(&w, ",\"price\":");
        jw_int(&w, b->price);
        KEY(&w, ",\"channel\":");
        jw_str(&w, b->channel);
        KEY(&w, ",\"url\":");
        jw_str(&w, b->url);
        jw_tail(&w, ev);
        break;
    }
    default:
        KEY(&w, "{}");
        break;
    }
    if (w.len < cap)
        buf[w.len] = '\0';
    else if (cap > 0)
        buf[cap - 1] = '\0';
    return w.len;
}
