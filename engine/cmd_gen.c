/* `sangam gen nexmark`: writes Nexmark events as JSON Lines (sg_nx_to_json), the same
 * bytes for the same arguments, for jobs reading file:PATH.jsonl and for checking query
 * results outside the engine.
 *
 * Exit codes: 0 written; 1 I/O error (cannot open, write or close the output: a full
 * disk shows at fclose); 2 usage. Every failure prints one line on stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sangam/nexmark.h>

#include "engine/cli.h"
#include "engine/options.h"

#define EXIT_USAGE 2
#define EXIT_IO 1

static void usage(FILE *f)
{
    fprintf(f, "Usage: sangam gen nexmark --count N [--seed S] [--rate R] [--base MS]\n"
               "                          [--ooo GROUP] [--output file:PATH]\n"
               "\n"
               "Writes N Nexmark events (person, auction, bid; github.com/nexmark/nexmark)\n"
               "as JSON Lines, one flat object a line with \"type\" first and Nexmark's\n"
               "field names, times as epoch ms. The same arguments give the same bytes.\n"
               "Without --output (or with -) the lines go to stdout.\n"
               "Exit codes: 0 written; 1 I/O error; 2 usage error.\n");
}

static int gen_nexmark(int argc, char **argv)
{
    sg_nx_config cfg;
    sg_nx_config_default(&cfg);
    int64_t count = -1, seed = 0, base = cfg.base_time, ooo = 1;
    double rate = cfg.rate;
    const char *output = "-";
    sg_option opts[] = {
        {"count", SG_OPT_I64, &count, "events to write", true, 0},
        {"seed", SG_OPT_I64, &seed, "0: Nexmark's own values; others vary every event", false,
         INT64_MIN},
        {"rate", SG_OPT_F64, &rate, "events per second of event time (default 10000)", false, 0},
        {"base", SG_OPT_I64, &base,
         "dateTime of the first event, epoch ms (default 1767225600000 = 2026-01-01)", false, 0},
        {"ooo", SG_OPT_I64, &ooo, "out-of-order group size (1: in order)", false, 1},
        {"output", SG_OPT_STR, &output, "file:PATH, or - for stdout (the default)", false, 0},
    };
    size_t n_opts = sizeof(opts) / sizeof(opts[0]);
    char err[400];
    int rc = sg__options_parse(opts, n_opts, argc, argv, 1, false, NULL, err, sizeof(err));
    if (rc == SG_HELP) {
        usage(stdout);
        printf("\nOptions:\n");
        sg__options_print(stdout, opts, n_opts);
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "sangam gen nexmark: %s\n", err);
        return EXIT_USAGE;
    }
    if (count > INT64_C(1000000000000) || ooo > 1000000000) {
        fprintf(stderr, "sangam gen nexmark: --count must be at most 1e12 and --ooo at most 1e9\n");
        return EXIT_USAGE;
    }
    const char *path = NULL;
    if (strcmp(output, "-") != 0) {
        if (strncmp(output, "file:", 5) != 0 || output[5] == '\0') {
            fprintf(stderr, "sangam gen nexmark: --output must be file:PATH or -, not '%s'\n",
                    output);
            return EXIT_USAGE;
        }
        path = output + 5;
    }
    cfg.count = (uint64_t)count;
    cfg.seed = (uint64_t)seed;
    cfg.rate = rate;
    cfg.base_time = base;
    cfg.out_of_order_group_size = (uint32_t)ooo;
    const char *gerr = NULL;
    sg_nx_gen *gen = sg_nx_gen_new(&cfg, &gerr);
    if (!gen) {
        fprintf(stderr, "sangam gen nexmark: %s\n", gerr ? gerr : "out of memory");
        return gerr && strcmp(gerr, "out of memory") != 0 ? EXIT_USAGE : EXIT_IO;
    }
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "sangam gen nexmark: cannot open %s: %s\n", path, strerror(errno));
        sg_nx_gen_free(gen);
        return EXIT_IO;
    }
    /* Larger than any event: extra < 12001 bytes whose padding escapes at most 2x. */
    static char line[96 * 1024];
    sg_nx_event ev;
    bool ok = true;
    while (ok && sg_nx_gen_next(gen, &ev) == SG_OK) {
        size_t len = sg_nx_to_json(&ev, line, sizeof(line) - 1);
        if (len >= sizeof(line) - 1) { /* cannot happen with the generator's limits */
            errno = EOVERFLOW;
            ok = false;
            break;
        }
        line[len] = '\n';
        ok = fwrite(line, 1, len + 1, f) == len + 1;
    }
    sg_nx_gen_free(gen);
    int saved = errno;
    if (path) {
        ok = fclose(f) == 0 && ok;
        saved = ok ? 0 : errno;
    } else {
        ok = fflush(f) == 0 && !ferror(f) && ok;
        saved = ok ? 0 : errno;
    }
    if (!ok) {
        fprintf(stderr, "sangam gen nexmark: cannot write %s: %s\n", path ? path : "stdout",
                strerror(saved ? saved : EIO));
        return EXIT_IO;
    }
    return 0;
}

int sg__cmd_gen(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "sangam gen: which generator? (known: nexmark; sangam gen --help)\n");
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "nexmark") == 0)
        return gen_nexmark(argc - 1, argv + 1);
    fprintf(stderr, "sangam gen: unknown generator '%s' (known: nexmark)\n", argv[1]);
    return EXIT_USAGE;
}
