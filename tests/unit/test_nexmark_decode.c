/* test_nexmark_decode.c — sg_nx_decode in a real job: a JSON Lines file read by the
 * engine's file source, decoded, and collected. Good lines must become exactly the
 * record gen:nexmark would emit (ts = dateTime, no key, value = sg_nx_encode of the
 * event); bad lines must be rejected with a reason naming the field, found in the
 * dead-letter file beside their line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sangam/nexmark.h>

#include "engine/job.h"
#include "engine/runtime.h"

#define MAX_OUT 16

typedef struct collected {
    size_t n;
    sg_time ts[MAX_OUT];
    size_t key_len[MAX_OUT];
    unsigned char *value[MAX_OUT];
    size_t len[MAX_OUT];
} collected;

static int collect_process(sg_ctx *ctx, void *self, int port, const sg_record *rec)
{
    collected *c = sg_ctx_udata(ctx); /* one instance */
    SG_UNUSED(self);
    SG_UNUSED(port);
    if (c->n == MAX_OUT)
        return sg_ctx_errorf(ctx, SG_EINTERNAL, "too many records");
    c->ts[c->n] = rec->ts;
    c->key_len[c->n] = rec->key.len;
    c->value[c->n] = malloc(rec->value.len ? rec->value.len : 1);
    memcpy(c->value[c->n], rec->value.data, rec->value.len);
    c->len[c->n++] = rec->value.len;
    return SG_OK;
}

static const sg_operator_def collect_def = {
    .abi = SG_OPERATOR_ABI_1,
    .name = "collect",
    .n_inputs = 1,
    .process = collect_process,
};

/* Writes lines to a temporary .jsonl file, runs the decoder over it; returns the
 * run's stats, with the dead letter's text in dead (cap bytes). */
static sg__run_stats run_lines(const char *const *lines, size_t n, collected *c, char *dead,
                               size_t cap)
{
    char dir[] = "/tmp/sg-nxdec-XXXXXX", in[128], dl[128], uri[160], err[512] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(in, sizeof(in), "%s/events.jsonl", dir);
    snprintf(dl, sizeof(dl), "%s/dead.txt", dir);
    snprintf(uri, sizeof(uri), "file:%s", in);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i]);
    fclose(f);

    sg_job *job = sg__job_new(1, 1);
    sg_decoder dec = {.abi = SG_DECODER_ABI_1, .decode = sg_nx_decode};
    sg_stream *s = sg_stream_process(sg_job_source(job, "events", uri, &dec), &collect_def, c);
    assert_int_equal(sg_stream_sink(s, "out", "null:", NULL), SG_OK);
    assert_int_equal(sg_job_status(job), SG_OK);
    sg__run_config cfg = {.workers = 1, .backend = SG__KV_HEAP, .dead_letter = dl, .quiet = true};
    sg__run_stats st;
    if (sg__runtime_run(job, &cfg, &st, err, sizeof(err)) < 0)
        fail_msg("run failed: %s", err);
    sg__job_free(job);

    dead[0] = '\0';
    if ((f = fopen(dl, "r"))) {
        size_t got = fread(dead, 1, cap - 1, f);
        dead[got] = '\0';
        fclose(f);
    }
    unlink(in);
    unlink(dl);
    rmdir(dir);
    return st;
}

static void free_collected(collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->value[i]);
}

/* The record at i is exactly the encoding of ev, at ts = dateTime, with no key. */
static void expect_event(const collected *c, size_t i, const sg_nx_event *ev)
{
    unsigned char want[512];
    size_t len = sg_nx_encode(ev, want, sizeof(want));
    assert_true(len > 0);
    assert_true(i < c->n);
    assert_int_equal(c->ts[i], ev->date_time);
    assert_int_equal(c->key_len[i], 0);
    assert_int_equal(c->len[i], len);
    assert_memory_equal(c->value[i], want, len);
}

static sg_bytes str(const char *s)
{
    return sg_bytes_str(s);
}

static void test_the_three_event_types_decode_to_their_wire_records(void **state)
{
    SG_UNUSED(state);
    const char *lines[] = {
        "{\"type\":\"person\",\"id\":1000,\"name\":\"Peter Jones\",\"emailAddress\":"
        "\"p@x.com\",\"creditCard\":\"1111 2222\",\"city\":\"Boise\",\"state\":\"ID\","
        "\"dateTime\":1436918400000,\"extra\":\"\"}",
        /* Field order is free, and escapes are decoded. */
        "{\"extra\":\"x\\\"y\",\"category\":10,\"seller\":1000,\"expires\":1436918410000,"
        "\"dateTime\":1436918400001,\"reserve\":300,\"initialBid\":200,\"description\":"
        "\"d\\u00e9\",\"itemName\":\"i\",\"id\":1000,\"type\":\"auction\"}",
        "{\"type\":\"bid\",\"auction\":1000,\"bidder\":1001,\"price\":0,\"channel\":\"Google\","
        "\"url\":\"https://x/y\",\"dateTime\":1436918400002,\"extra\":\"a,b\"}",
    };
    collected c = {0};
    char dead[4096];
    sg__run_stats st = run_lines(lines, 3, &c, dead, sizeof(dead));
    assert_int_equal(st.bad, 0);
    assert_int_equal(c.n, 3);

    sg_nx_event p = {.type = SG_NX_PERSON, .date_time = 1436918400000, .extra = str("")};
    p.person = (sg_nx_person){1000,         str("Peter Jones"), str("p@x.com"), str("1111 2222"),
                              str("Boise"), str("ID")};
    expect_event(&c, 0, &p);
    sg_nx_event a = {.type = SG_NX_AUCTION, .date_time = 1436918400001, .extra = str("x\"y")};
    a.auction =
        (sg_nx_auction){1000, str("i"), str("d\xc3\xa9"), 200, 300, 1436918410000, 1000, 10};
    expect_event(&c, 1, &a);
    sg_nx_event b = {.type = SG_NX_BID, .date_time = 1436918400002, .extra = str("a,b")};
    b.bid = (sg_nx_bid){1000, 1001, 0, str("Google"), str("https://x/y")};
    expect_event(&c, 2, &b);
    free_collected(&c);
}

static void test_bad_events_are_rejected_naming_the_field(void **state)
{
    SG_UNUSED(state);
    static const char bid_tail[] = "\"channel\":\"c\",\"url\":\"u\",\"extra\":\"\"}";
    char lines_buf[10][256];
    const char *reasons[] = {
        "missing field \"type\"",
        "field \"type\" is not \"person\", \"auction\" or \"bid\"",
        "field \"type\" is not \"person\", \"auction\" or \"bid\"",
        "bid: missing field \"dateTime\"",
        "bid: field \"dateTime\" is not an integer (epoch ms)",
        "bid: missing field \"price\"",
        "bid: field \"price\" is not an integer",
        "bid: field \"auction\" is negative",
        "person: field \"id\" is negative",
        "auction: missing field \"extra\"",
    };
    snprintf(lines_buf[0], 256, "{\"auction\":1,\"bidder\":2,\"price\":3,\"dateTime\":4,%s",
             bid_tail);
    snprintf(lines_buf[1], 256,
             "{\"type\":\"Bid\",\"auction\":1,\"bidder\":2,\"price\":3,\"dateTime\":4,%s",
             bid_tail);
    snprintf(lines_buf[2], 256,
             "{\"type\":2,\"auction\":1,\"bidder\":2,\"price\":3,\"dateTime\":4,%s", bid_tail);
    snprintf(lines_buf[3], 256, "{\"type\":\"bid\",\"auction\":1,\"bidder\":2,\"price\":3,%s",
             bid_tail);
    snprintf(lines_buf[4], 256,
             "{\"type\":\"bid\",\"auction\":1,\"bidder\":2,\"price\":3,\"dateTime\":4.5,%s",
             bid_tail);
    snprintf(lines_buf[5], 256, "{\"type\":\"bid\",\"auction\":1,\"bidder\":2,\"dateTime\":4,%s",
             bid_tail);
    snprintf(lines_buf[6], 256,
             "{\"type\":\"bid\",\"auction\":1,\"bidder\":2,\"price\":\"3\",\"dateTime\":4,%s",
             bid_tail);
    snprintf(lines_buf[7], 256,
             "{\"type\":\"bid\",\"auction\":-1,\"bidder\":2,\"price\":3,\"dateTime\":4,%s",
             bid_tail);
    snprintf(lines_buf[8], 256,
             "{\"type\":\"person\",\"id\":-7,\"name\":\"n\",\"emailAddress\":\"e\","
             "\"creditCard\":\"c\",\"city\":\"c\",\"state\":\"s\",\"dateTime\":1,\"extra\":\"\"}");
    snprintf(lines_buf[9], 256,
             "{\"type\":\"auction\",\"id\":1,\"itemName\":\"i\",\"description\":\"d\","
             "\"initialBid\":1,\"reserve\":1,\"dateTime\":1,\"expires\":2,\"seller\":1,"
             "\"category\":1}");
    const char *lines[11];
    for (int i = 0; i < 10; i++)
        lines[i] = lines_buf[i];
    /* A good bid last: bad lines do not stop the input. */
    lines[10] = "{\"type\":\"bid\",\"auction\":1,\"bidder\":2,\"price\":3,\"dateTime\":4,"
                "\"channel\":\"c\",\"url\":\"u\",\"extra\":\"\"}";
    collected c = {0};
    static char dead[16384];
    sg__run_stats st = run_lines(lines, 11, &c, dead, sizeof(dead));
    assert_int_equal(st.bad, 10);
    assert_int_equal(c.n, 1);
    for (int i = 0; i < 10; i++) {
        char want[256];
        snprintf(want, sizeof(want), "events.jsonl:%d\t%s\t", i + 1, reasons[i]);
        if (!strstr(dead, want))
            fail_msg("dead letter lacks <%s>:\n%s", want, dead);
    }
    free_collected(&c);
}

static void test_a_string_too_long_for_the_wire_layout_is_rejected(void **state)
{
    SG_UNUSED(state);
    size_t n = 70000;
    char *line = malloc(n + 256);
    int at = snprintf(line, 256,
                      "{\"type\":\"bid\",\"auction\":1,\"bidder\":2,\"price\":3,\"dateTime\":4,"
                      "\"channel\":\"c\",\"url\":\"u\",\"extra\":\"");
    memset(line + at, 'x', n);
    strcpy(line + at + n, "\"}");
    const char *lines[] = {line};
    collected c = {0};
    static char dead[100000];
    sg__run_stats st = run_lines(lines, 1, &c, dead, sizeof(dead));
    assert_int_equal(st.bad, 1);
    assert_int_equal(c.n, 0);
    assert_non_null(strstr(dead, "bid: field \"extra\" is longer than 65535 bytes"));
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_three_event_types_decode_to_their_wire_records),
        cmocka_unit_test(test_bad_events_are_rejected_naming_the_field),
        cmocka_unit_test(test_a_string_too_long_for_the_wire_layout_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
