/* Long options (options.h): "--name value" or "--name=value", flags without a value,
 * each option at most once, required ones checked at the end. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/job.h"
#include "engine/options.h"

static const sg_option *find(const sg_option *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static int set_value(const sg_option *o, const char *v, char *err, size_t errlen)
{
    char *end;
    switch (o->type) {
    case SG_OPT_STR:
        *(const char **)o->out = v;
        return SG_OK;
    case SG_OPT_I64: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno) {
            snprintf(err, errlen, "option --%s expects an integer, got '%s'", o->name, v);
            return SG_EUSAGE;
        }
        if (x < o->min) {
            snprintf(err, errlen, "option --%s must be at least %lld, got %lld", o->name,
                     (long long)o->min, x);
            return SG_EUSAGE;
        }
        *(int64_t *)o->out = x;
        return SG_OK;
    }
    case SG_OPT_F64: {
        errno = 0;
        double x = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(x)) {
            snprintf(err, errlen, "option --%s expects a number, got '%s'", o->name, v);
            return SG_EUSAGE;
        }
        *(double *)o->out = x;
        return SG_OK;
    }
    case SG_OPT_FLAG:
        *(bool *)o->out = true;
        return SG_OK;
    }
    return SG_EUSAGE;
}

int sg__options_parse(const sg_option *opts, size_t n_opts, int argc, char **argv, int first,
                      bool stop_at_arg, int *stopped_at, char *err, size_t errlen)
{
    unsigned char seen[256] = {0};
    int i = first;
    if (n_opts > sizeof(seen)) {
        snprintf(err, errlen, "too many options");
        return SG_EUSAGE;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return SG_HELP;
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (stop_at_arg)
                break;
            snprintf(err, errlen, "unexpected argument '%s' (options are --name value)", a);
            return SG_EUSAGE;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const sg_option *o = find(opts, n_opts, name, len);
        if (!o) {
            snprintf(err, errlen, "unknown option --%.*s (see --help)", (int)len, name);
            return SG_EUSAGE;
        }
        if (seen[o - opts]++) {
            snprintf(err, errlen, "option --%s is given twice", o->name);
            return SG_EUSAGE;
        }
        const char *v = NULL;
        if (o->type == SG_OPT_FLAG) {
            if (eq) {
                snprintf(err, errlen, "option --%s takes no value", o->name);
                return SG_EUSAGE;
            }
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            snprintf(err, errlen, "option --%s needs a value", o->name);
            return SG_EUSAGE;
        }
        int rc = set_value(o, v, err, errlen);
        if (rc < 0)
            return rc;
    }
    if (stopped_at)
        *stopped_at = i;
    for (size_t k = 0; k < n_opts; k++)
        if (opts[k].required && !seen[k]) {
            snprintf(err, errlen, "missing required option --%s", opts[k].name);
            return SG_EUSAGE;
        }
    return SG_OK;
}

void sg__options_print(FILE *f, const sg_option *opts, size_t n_opts)
{
    for (size_t i = 0; i < n_opts; i++) {
        const sg_option *o = &opts[i];
        char left[64], def[96] = "";
        static const char *metavar[] = {"STR", "N", "X", ""};
        snprintf(left, sizeof(left), "--%s %s", o->name, metavar[o->type]);
        if (o->required)
            snprintf(def, sizeof(def), " (required)");
        else if (o->type == SG_OPT_I64)
            snprintf(def, sizeof(def), " (default %lld)", (long long)*(int64_t *)o->out);
        else if (o->type == SG_OPT_F64)
            snprintf(def, sizeof(def), " (default %g)", *(double *)o->out);
        else if (o->type == SG_OPT_STR && *(const char **)o->out)
            snprintf(def, sizeof(def), " (default %s)", *(const char **)o->out);
        fprintf(f, "  %-26s %s%s\n", left, o->help ? o->help : "", def);
    }
}

int sg_job_parse_options(sg_job *job, const char *usage, const sg_option *opts, size_t n_opts,
                         int argc, char **argv)
{
    char err[400];
    int rc = sg__options_parse(opts, n_opts, argc, argv, 1, false, NULL, err, sizeof(err));
    if (rc == SG_HELP) {
        printf("%s\n\nJob options:\n", usage ? usage : "");
        sg__options_print(stdout, opts, n_opts);
        return SG_HELP;
    }
    if (rc < 0)
        return sg_job_errorf(job, SG_EUSAGE, "%s", err);
    return SG_OK;
}
