/* baseline_ysb — the YSB workload without the engine: one thread, one loop over the
 * same generated events (jobs/ysb/ysbgen.c), filter views, campaign of the ad from the
 * same flat table, count per (campaign, 10 s tumbling window) in a flat hash table.
 * Writes the job's CSV rows (in another order; compare them as a multiset).
 *
 *   baseline_ysb [--count N] [--rate R] [--seed S] [--start MS] [--users N]
 *                [--pages N] [--window-ms W] [--output PATH.csv] [--dump PATH.jsonl]
 *                [--dump-campaigns PATH.csv]
 *
 * Parameters mean what gen:ysb's do, with the same defaults (count 10000000). --dump
 * writes the events as JSON Lines (ysbgen.h) instead of counting them: the job reads
 * such a file with --input file:PATH.jsonl --seed S, and tests check both ways.
 * --dump-campaigns writes the seed's campaign table as CSV ad_id,campaign_id (the table
 * the original benchmark keeps in Redis), for tests that join and count on their own. */
#include "bench/baseline/baseline.h"
#include "bench/baseline/flat.h"
#include "jobs/ysb/ysbgen.h"

typedef struct opts {
    ysb_gen_config gen;
    int64_t count, window_ms;
    const char *output, *dump, *dump_campaigns;
} opts;

static void parse(int argc, char **argv, opts *o)
{
    ysb_gen_config_default(&o->gen);
    o->count = 10000000;
    o->window_ms = 10000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "baseline_ysb: %s needs a value (see the source's header)\n", a);
            exit(2);
        }
        i++;
        if (!strcmp(a, "--count"))
            o->count = baseline_i64(a, v);
        else if (!strcmp(a, "--rate"))
            o->gen.rate = baseline_i64(a, v);
        else if (!strcmp(a, "--seed"))
            o->gen.seed = (uint64_t)baseline_i64(a, v);
        else if (!strcmp(a, "--start"))
            o->gen.start_ms = baseline_i64(a, v);
        else if (!strcmp(a, "--users"))
            o->gen.users = (uint64_t)baseline_i64(a, v);
        else if (!strcmp(a, "--pages"))
            o->gen.pages = (uint64_t)baseline_i64(a, v);
        else if (!strcmp(a, "--window-ms"))
            o->window_ms = baseline_i64(a, v);
        else if (!strcmp(a, "--output"))
            o->output = v;
        else if (!strcmp(a, "--dump"))
            o->dump = v;
        else if (!strcmp(a, "--dump-campaigns"))
            o->dump_campaigns = v;
        else {
            fprintf(stderr, "baseline_ysb: unknown option %s\n", a);
            exit(2);
        }
    }
    const char *why = ysb_gen_config_check(&o->gen);
    if (why || o->count < 0 || o->window_ms < 1) {
        fprintf(stderr, "baseline_ysb: %s\n", why ? why : "need --count >= 0, --window-ms >= 1");
        exit(2);
    }
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "baseline_ysb: cannot write %s\n", path);
        exit(1);
    }
}

static void dump_campaigns(const opts *o, const ysb_ads *ads)
{
    FILE *f = open_out(o->dump_campaigns);
    char ad[YSB_UUID_LEN];
    fprintf(f, "ad_id,campaign_id\n");
    for (int a = 0; a < YSB_ADS; a++) {
        ysb_uuid(o->gen.seed, YSB_KIND_AD, (uint64_t)a, ad);
        fprintf(f, "%.36s,%s\n", ad, ads->campaign_uuid[ads->campaign_of[a]]);
    }
    close_out(f, o->dump_campaigns);
}

static void dump(const opts *o)
{
    FILE *f = open_out(o->dump);
    char line[YSB_JSON_MAX];
    for (uint64_t seq = 0; seq < (uint64_t)o->count; seq++) {
        ysb_event ev;
        ysb_gen_event(&o->gen, seq, &ev);
        size_t n = ysb_event_json(o->gen.seed, &ev, line, sizeof(line));
        fwrite(line, 1, n, f);
        fputc('\n', f);
    }
    close_out(f, o->dump);
}

int main(int argc, char **argv)
{
    opts o = {0};
    parse(argc, argv, &o);
    static ysb_ads ads;
    ysb_ads_init(&ads, o.gen.seed);
    if (o.dump_campaigns)
        dump_campaigns(&o, &ads);
    if (o.dump)
        dump(&o);
    if (o.dump || o.dump_campaigns)
        return 0;
    flat counts; /* key: window index * 128 + campaign; value: u64 count */
    flat_init(&counts, sizeof(uint64_t), 4096);
    int64_t w = o.window_ms;
    double t0 = baseline_now(), c0 = baseline_cpu();
    for (uint64_t seq = 0; seq < (uint64_t)o.count; seq++) {
        ysb_event ev;
        ysb_gen_event(&o.gen, seq, &ev);
        if (ev.event_type != YSB_VIEW)
            continue;
        uint64_t campaign = ads.campaign_of[ev.ad];
        int64_t win = ev.event_time / w - (ev.event_time % w < 0); /* floor */
        ++*(uint64_t *)flat_put(&counts, (uint64_t)win * 128 + campaign, NULL);
    }
    baseline_report("ysb", (uint64_t)o.count, baseline_now() - t0, baseline_cpu() - c0);
    if (o.output) {
        FILE *f = open_out(o.output);
        fprintf(f, "campaign_id,window_start,window_end,count\n");
        for (size_t i = 0; i < counts.cap; i++) {
            if (!counts.used[i])
                continue;
            uint64_t k = flat_key(&counts, i), n;
            memcpy(&n, flat_val(&counts, i), sizeof(n));
            int64_t start = (int64_t)(k / 128) * w;
            fprintf(f, "%s,%lld,%lld,%llu\n", ads.campaign_uuid[k % 128], (long long)start,
                    (long long)(start + w), (unsigned long long)n);
        }
        close_out(f, o.output);
    }
    flat_free(&counts);
    return 0;
}
