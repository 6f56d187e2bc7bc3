/* Long-option parsing shared by the engine's command line and sg_job_parse_options,
 * so that engine and jobs accept and reject options the same way. */
#ifndef SG_ENGINE_OPTIONS_H
#define SG_ENGINE_OPTIONS_H

#include <stdio.h>

#include <sangam/sangam.h>

/* Parses argv[first..] against opts. With stop_at_arg, parsing stops at the first
 * argument that is not an option (its index goes to *stopped_at); otherwise such an
 * argument is an error. Returns SG_OK, SG_HELP (--help seen), or SG_EUSAGE with one
 * line in err. */
int sg__options_parse(const sg_option *opts, size_t n_opts, int argc, char **argv, int first,
                      bool stop_at_arg, int *stopped_at, char *err, size_t errlen);
/* Prints the options table, one per line, to f. */
void sg__options_print(FILE *f, const sg_option *opts, size_t n_opts);

#endif
