/* The Nexmark generator (connectors/nexmark_gen.c), its JSON form and gen:nexmark.
 *
 * The expected values were produced by the JDK: java.util.Random's own outputs, and
 * events computed by a Java transcription of Nexmark's generator (seeded per event
 * id) that printed every numeric and short string field; 300 000 events from 0 and
 * 100 000 from event 123456789012 matched it exactly when this was written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sangam/nexmark.h>

#include "connectors/nexmark_jrand.h"
#include "tests/harness/source_run.h"

static bool bytes_eq(sg_bytes b, const char *s)
{
    return b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

#define assert_bytes(b, s)                                                                         \
    do {                                                                                           \
        if (!bytes_eq((b), (s)))                                                                   \
            fail_msg("got '%.*s', expected '%s'", (int)(b).len, (const char *)(b).data, (s));      \
    } while (0)

static sg_nx_gen *new_gen(uint64_t count, uint64_t seed)
{
    sg_nx_config cfg;
    sg_nx_config_default(&cfg);
    cfg.count = count;
    cfg.seed = seed;
    const char *err = NULL;
    sg_nx_gen *g = sg_nx_gen_new(&cfg, &err);
    assert_non_null(g);
    return g;
}

/* The event at position n, encoded into buf (cap bytes); returns its length. */
static size_t encoded_at(sg_nx_gen *g, uint64_t n, unsigned char *buf, size_t cap)
{
    sg_nx_event ev;
    sg_nx_gen_seek(g, n);
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
    size_t len = sg_nx_encode(&ev, buf, cap);
    assert_true(len > 0);
    return len;
}

static void test_java_random(void **state)
{
    (void)state;
    jrand r;
    jr_seed(&r, 42);
    assert_int_equal(jr_int(&r), -1170105035);
    static const int32_t tens[] = {0, 3, 8, 4, 0, 5, 5, 8, 9, 3};
    jr_seed(&r, 42);
    for (int i = 0; i < 10; i++)
        assert_int_equal(jr_int_bound(&r, 10), tens[i]);
    static const int32_t sixteens[] = {11, 0, 10, 0, 4}; /* the power-of-two path */
    jr_seed(&r, 42);
    for (int i = 0; i < 5; i++)
        assert_int_equal(jr_int_bound(&r, 16), sixteens[i]);
    jr_seed(&r, 7);
    assert_true(jr_long(&r) == INT64_C(-4967725919621401576));
    assert_true(jr_double(&r) == 0.7491696031336331);
    assert_int_equal(jr_int_bound(&r, 1000000007), 747989380);
    jr_seed(&r, (uint64_t)-5);
    assert_int_equal(jr_int(&r), 1156638822);
    assert_int_equal(jr_int_bound(&r, 1 << 30), 390233360);
    assert_true(jr_long(&r) == INT64_C(6162916890256202832));
    double d = jr_double(&r);
    uint64_t bits;
    memcpy(&bits, &d, 8);
    assert_true(bits == UINT64_C(4600533210732079494));
}

/* Events 0..4 and two far ones, field by field, as the Java generator makes them. */
static void test_java_values(void **state)
{
    (void)state;
    sg_nx_gen *g = new_gen(0, 0);
    sg_nx_event ev;
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
    assert_int_equal(ev.type, SG_NX_PERSON);
    assert_int_equal(ev.person.id, 1000);
    assert_bytes(ev.person.name, "Peter Jones");
    assert_bytes(ev.person.email_address, "nhd@xcat.com");
    assert_bytes(ev.person.credit_card, "7241 7320 9143 4888");
    assert_bytes(ev.person.city, "Portland");
    assert_bytes(ev.person.state, "WY");
    assert_true(ev.date_time == INT64_C(1767225600000));
    assert_int_equal(ev.extra.len, 156);
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
    assert_int_equal(ev.type, SG_NX_AUCTION);
    assert_int_equal(ev.auction.id, 1000);
    assert_bytes(ev.auction.item_name, "wkx mgee");
    assert_bytes(ev.auction.description, "eszpqxtdxrvwmmywkmogoahf");
    assert_int_equal(ev.auction.initial_bid, 28873);
    assert_int_equal(ev.auction.reserve, 29448);
    assert_true(ev.auction.expires == INT64_C(1767225600011));
    assert_int_equal(ev.auction.seller, 1000);
    assert_int_equal(ev.auction.category, 13);
    assert_int_equal(ev.extra.len, 346);
    sg_nx_gen_seek(g, 4);
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
    assert_int_equal(ev.type, SG_NX_BID);
    assert_int_equal(ev.bid.auction, 1000);
    assert_int_equal(ev.bid.bidder, 1001);
    assert_int_equal(ev.bid.price, 32530001);
    assert_bytes(ev.bid.channel, "Google");
    assert_int_equal(ev.extra.len, 57);
    sg_nx_gen_seek(g, UINT64_C(123456789050));
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
    assert_int_equal(ev.type, SG_NX_PERSON);
    assert_true(ev.person.id == INT64_C(2469136781));
    assert_bytes(ev.person.name, "Peter Bartels");
    assert_bytes(ev.person.email_address, "lhyh@qnfg.com");
    assert_bytes(ev.person.credit_card, "3237 5007 6814 0442");
    assert_bytes(ev.person.city, "Bend");
    assert_bytes(ev.person.state, "AZ");
    assert_true(ev.date_time == INT64_C(1779571278905));
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
    assert_int_equal(ev.type, SG_NX_AUCTION);
    assert_true(ev.auction.id == INT64_C(7407408343));
    assert_bytes(ev.auction.item_name, "ssnygvk gjttex");
    assert_int_equal(ev.auction.initial_bid, 55899);
    assert_int_equal(ev.auction.reserve, 191438);
    assert_true(ev.auction.expires == INT64_C(1779571279180));
    assert_true(ev.auction.seller == INT64_C(2469136086));
    assert_int_equal(ev.auction.category, 14);
    assert_int_equal(ev.extra.len, 383);
    sg_nx_gen_seek(g, UINT64_C(123456789012));
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
    assert_int_equal(ev.type, SG_NX_BID);
    assert_true(ev.bid.auction == INT64_C(7407408323));
    assert_true(ev.bid.bidder == INT64_C(2469136701));
    assert_int_equal(ev.bid.price, 32926);
    assert_bytes(ev.bid.channel, "channel-8793");
    assert_true(ev.date_time == INT64_C(1779571278901));
    sg_nx_gen_free(g);
}

/* 50 events: 1 person, 3 auctions, 46 bids in Nexmark's order; ids never run ahead
 * of the people and auctions made so far by more than Nexmark's leads (10 each). */
static void test_mix_and_references(void **state)
{
    (void)state;
    sg_nx_gen *g = new_gen(20000, 0);
    sg_nx_event ev;
    int64_t max_person = -1, max_auction = -1;
    uint64_t n = 0, counts[3] = {0};
    while (sg_nx_gen_next(g, &ev) == SG_OK) {
        int64_t at = (int64_t)(n % 50);
        sg_nx_type want = at < 1 ? SG_NX_PERSON : at < 4 ? SG_NX_AUCTION : SG_NX_BID;
        assert_int_equal(ev.type, want);
        counts[ev.type]++;
        switch (ev.type) {
        case SG_NX_PERSON:
            assert_int_equal(ev.person.id, max_person < 0 ? 1000 : max_person + 1);
            max_person = ev.person.id;
            break;
        case SG_NX_AUCTION:
            assert_int_equal(ev.auction.id, max_auction < 0 ? 1000 : max_auction + 1);
            max_auction = ev.auction.id;
            assert_in_range(ev.auction.seller, 1000, max_person + 10);
            assert_in_range(ev.auction.category, 10, 14);
            assert_true(ev.auction.reserve >= ev.auction.initial_bid);
            assert_true(ev.auction.expires > ev.date_time);
            break;
        case SG_NX_BID:
            assert_in_range(ev.bid.auction, 1000, max_auction + 10);
            assert_in_range(ev.bid.bidder, 1000, max_person + 10);
            assert_in_range(ev.bid.price, 100, 100000000);
            break;
        }
        /* rate 10000/s: event n is n / 10 ms after the base */
        assert_true(ev.date_time == INT64_C(1767225600000) + (int64_t)(n / 10));
        n++;
    }
    assert_int_equal(n, 20000);
    assert_int_equal(counts[SG_NX_PERSON], 400);
    assert_int_equal(counts[SG_NX_AUCTION], 1200);
    assert_int_equal(counts[SG_NX_BID], 18400);
    assert_int_equal(sg_nx_gen_next(g, &ev), SG_EOF);
    sg_nx_gen_free(g);
}

/* seek(n) then next is the sequential n-th event; two generators agree; a seed
 * changes the values but not the mix or the ids. */
static void test_seek_determinism_seed(void **state)
{
    (void)state;
    sg_nx_gen *a = new_gen(0, 0), *b = new_gen(0, 0), *s = new_gen(0, 99);
    static unsigned char x[4096], y[4096];
    sg_nx_event ev;
    for (uint64_t n = 0; n < 3000; n++) {
        assert_int_equal(sg_nx_gen_position(a), n);
        assert_int_equal(sg_nx_gen_next(a, &ev), SG_OK);
        size_t lx = sg_nx_encode(&ev, x, sizeof(x));
        size_t ly = encoded_at(b, n, y, sizeof(y));
        assert_int_equal(lx, ly);
        assert_memory_equal(x, y, lx);
    }
    unsigned differ = 0;
    for (uint64_t n = 0; n < 200; n++) {
        size_t lx = encoded_at(b, n, x, sizeof(x));
        size_t ly = encoded_at(s, n, y, sizeof(y));
        assert_int_equal(sg_nx_type_of((sg_bytes){x, lx}), sg_nx_type_of((sg_bytes){y, ly}));
        differ += lx != ly || memcmp(x, y, lx) != 0;
    }
    assert_true(differ >= 190);
    sg_nx_gen_free(a);
    sg_nx_gen_free(b);
    sg_nx_gen_free(s);
}

/* Out-of-order groups of 10: each group holds the same events, shuffled. */
static void test_out_of_order(void **state)
{
    (void)state;
    sg_nx_config cfg;
    sg_nx_config_default(&cfg);
    cfg.out_of_order_group_size = 10;
    sg_nx_gen *o = sg_nx_gen_new(&cfg, NULL), *i = new_gen(0, 0);
    assert_non_null(o);
    sg_nx_event ev;
    static unsigned char x[4096];
    bool moved = false;
    for (uint64_t group = 0; group < 20; group++) {
        uint64_t seen = 0; /* a bit per event of the group */
        for (uint64_t k = 0; k < 10; k++) {
            assert_int_equal(sg_nx_gen_next(o, &ev), SG_OK);
            size_t lx = sg_nx_encode(&ev, x, sizeof(x));
            bool found = false;
            for (uint64_t j = 0; j < 10 && !found; j++) {
                static unsigned char y[4096];
                size_t ly = encoded_at(i, group * 10 + j, y, sizeof(y));
                if (lx == ly && memcmp(x, y, lx) == 0) {
                    found = !(seen >> j & 1);
                    seen |= UINT64_C(1) << j;
                    moved |= j != k;
                }
            }
            assert_true(found);
        }
    }
    assert_true(moved);
    sg_nx_gen_free(o);
    sg_nx_gen_free(i);
}

static void test_bad_config(void **state)
{
    (void)state;
    sg_nx_config cfg;
    sg_nx_config_default(&cfg);
    cfg.rate = 0;
    const char *err = NULL;
    assert_null(sg_nx_gen_new(&cfg, &err));
    assert_non_null(err);
    sg_nx_config_default(&cfg);
    cfg.hot_auction_ratio = 0;
    assert_null(sg_nx_gen_new(&cfg, &err));
    sg_nx_config_default(&cfg);
    cfg.avg_bid_size = 100000;
    assert_null(sg_nx_gen_new(&cfg, &err));
}

/* Each type encodes and views back to the same fields. */
static void test_encode_view(void **state)
{
    (void)state;
    sg_nx_gen *g = new_gen(0, 0);
    static unsigned char buf[4096];
    for (uint64_t n = 0; n < 5; n++) {
        sg_nx_event ev, back;
        sg_nx_gen_seek(g, n);
        assert_int_equal(sg_nx_gen_next(g, &ev), SG_OK);
        size_t len = sg_nx_encode(&ev, buf, sizeof(buf));
        assert_int_equal(len, sg_nx_encoded_size(&ev));
        assert_int_equal(sg_nx_view((sg_bytes){buf, len}, &back), SG_OK);
        assert_int_equal(back.type, ev.type);
        assert_true(back.date_time == ev.date_time);
        assert_int_equal(back.extra.len, ev.extra.len);
        assert_memory_equal(back.extra.data, ev.extra.data, ev.extra.len);
        /* the JSON of the view is the JSON of the event */
        char j1[2048], j2[2048];
        size_t l1 = sg_nx_to_json(&ev, j1, sizeof(j1)), l2 = sg_nx_to_json(&back, j2, sizeof(j2));
        assert_int_equal(l1, l2);
        assert_string_equal(j1, j2);
        if (ev.type == SG_NX_AUCTION) {
            assert_true(back.auction.expires == ev.auction.expires);
            assert_int_equal(back.auction.reserve, ev.auction.reserve);
            assert_int_equal(back.auction.seller, ev.auction.seller);
        } else if (ev.type == SG_NX_BID) {
            assert_int_equal(back.bid.price, ev.bid.price);
            assert_int_equal(back.bid.url.len, ev.bid.url.len);
        } else {
            assert_int_equal(back.person.id, ev.person.id);
        }
    }
    sg_nx_gen_free(g);
}

static sg_bytes str(const char *s)
{
    return (sg_bytes){s, strlen(s)};
}

static void test_json(void **state)
{
    (void)state;
    sg_nx_event ev = {.type = SG_NX_BID, .date_time = 5, .extra = str("a\"b\\c\n\x01\xc3\xa9")};
    ev.bid = (sg_nx_bid){
        .auction = -7, .bidder = INT64_MAX, .price = 0, .channel = str("ch"), .url = str("")};
    char buf[512];
    size_t len = sg_nx_to_json(&ev, buf, sizeof(buf));
    const char *want = "{\"type\":\"bid\",\"auction\":-7,\"bidder\":9223372036854775807,"
                       "\"price\":0,\"channel\":\"ch\",\"url\":\"\",\"dateTime\":5,"
                       "\"extra\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"}";
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
    /* too small: the length needed, and a terminated prefix, as snprintf */
    char small[10];
    assert_int_equal(sg_nx_to_json(&ev, small, sizeof(small)), strlen(want));
    assert_int_equal(strlen(small), 9);
    assert_memory_equal(small, want, 9);

    sg_nx_event p = {.type = SG_NX_PERSON, .date_time = 1, .extra = str("")};
    p.person = (sg_nx_person){.id = 1000,
                              .name = str("A B"),
                              .email_address = str("x@y.com"),
                              .credit_card = str("1"),
                              .city = str("Kent"),
                              .state = str("WA")};
    sg_nx_to_json(&p, buf, sizeof(buf));
    assert_string_equal(buf, "{\"type\":\"person\",\"id\":1000,\"name\":\"A B\",\"emailAddress\":"
                             "\"x@y.com\",\"creditCard\":\"1\",\"city\":\"Kent\",\"state\":"
                             "\"WA\",\"dateTime\":1,\"extra\":\"\"}");
    sg_nx_event a = {.type = SG_NX_AUCTION, .date_time = 2, .extra = str("\t")};
    a.auction = (sg_nx_auction){.id = 1,
                                .item_name = str("i"),
                                .description = str("d"),
                                .initial_bid = 3,
                                .reserve = 4,
                                .expires = 5,
                                .seller = 6,
                                .category = 7};
    sg_nx_to_json(&a, buf, sizeof(buf));
    assert_string_equal(buf, "{\"type\":\"auction\",\"id\":1,\"itemName\":\"i\",\"description\":"
                             "\"d\",\"initialBid\":3,\"reserve\":4,\"dateTime\":2,\"expires\":5,"
                             "\"seller\":6,\"category\":7,\"extra\":\"\\t\"}");
}

/* gen:nexmark: a run stopped anywhere, snapshotted and restored delivers the same
 * records, and two instances split the events between them. */
static void test_source(void **state)
{
    (void)state;
    char msg[512];
    const char *uri = "gen:nexmark?count=300&seed=3&ooo=7";
    for (size_t k = 0; k < 300; k += 37)
        if (sg__srun_check_split(&sg_nexmark_source, uri, 0, 1, k, msg, sizeof(msg)) != SG_OK)
            fail_msg("split at %zu: %s", k, msg);
    assert_int_equal(sg__srun_check_split(&sg_nexmark_source, uri, 1, 2, 50, msg, sizeof(msg)),
                     SG_OK);

    /* Instance 0 and 1 of 2 hold the events of one instance, interleaved. */
    sg__srun *one = NULL, *i0 = NULL, *i1 = NULL;
    assert_int_equal(
        sg__srun_new(&sg_nexmark_source, uri, 0, 1, SG_CHECKPOINT_NONE, NULL, NULL, &one), SG_OK);
    assert_int_equal(
        sg__srun_new(&sg_nexmark_source, uri, 0, 2, SG_CHECKPOINT_NONE, NULL, NULL, &i0), SG_OK);
    assert_int_equal(
        sg__srun_new(&sg_nexmark_source, uri, 1, 2, SG_CHECKPOINT_NONE, NULL, NULL, &i1), SG_OK);
    assert_int_equal(sg__srun_drain(one), SG_EOF);
    assert_int_equal(sg__srun_drain(i0), SG_EOF);
    assert_int_equal(sg__srun_drain(i1), SG_EOF);
    const char *all = sg__srun_output(one), *p0 = sg__srun_output(i0), *p1 = sg__srun_output(i1);
    size_t lines = 0;
    for (const char *line = all; *line; lines++) {
        const char **from = lines % 2 ? &p1 : &p0;
        size_t n = strcspn(line, "\n") + 1;
        assert_memory_equal(line, *from, n);
        *from += n;
        line += n;
    }
    assert_int_equal(lines, 300);
    assert_int_equal(*p0, '\0');
    assert_int_equal(*p1, '\0');
    sg__srun_free(one);
    sg__srun_free(i0);
    sg__srun_free(i1);
}

static void test_source_params(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "gen:nexmark?count=10&colour=red", "gen:nexmark?rate=0",  "gen:nexmark?ooo=0",
        "gen:nexmark?realtime=2",          "gen:nexmark?count=x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg__srun *r = NULL;
        int rc = sg__srun_new(&sg_nexmark_source, bad[i], 0, 1, SG_CHECKPOINT_NONE, NULL, NULL, &r);
        if (rc != SG_EINVAL)
            fail_msg("%s: %d (%s)", bad[i], rc, r ? sg__srun_errmsg(r) : "");
        sg__srun_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_java_random),
        cmocka_unit_test(test_java_values),
        cmocka_unit_test(test_mix_and_references),
        cmocka_unit_test(test_seek_determinism_seed),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_encode_view),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_source),
        cmocka_unit_test(test_source_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
