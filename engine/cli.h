/* The sangam command line: subcommands, engine options, loading a job file. */
#ifndef SG_ENGINE_CLI_H
#define SG_ENGINE_CLI_H

/* Runs the command; returns the process exit code (0, 1 failure, 2 usage). */
int sg__cli_main(int argc, char **argv);
/* `sangam checkpoints DIR` (cmd_checkpoints.c); argv[0] is "checkpoints". */
int sg__cmd_checkpoints(int argc, char **argv);
/* `sangam gen GENERATOR ...` (cmd_gen.c); argv[0] is "gen". */
int sg__cmd_gen(int argc, char **argv);

#endif
