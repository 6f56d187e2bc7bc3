/* The sangam command. Everything happens in cli.c; this file is the entry point. */
#include "engine/cli.h"

int main(int argc, char **argv)
{
    return sg__cli_main(argc, argv);
}
