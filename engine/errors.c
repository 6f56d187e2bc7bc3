/* Result-code names and messages, generated from the one SG_ERRNO_MAP table. */
#include <sangam/sangam.h>

const char *sg_strerror(int rc)
{
    switch (rc) {
#define XX(name, val, msg)                                                                         \
    case val:                                                                                      \
        return msg;
        SG_ERRNO_MAP(XX)
#undef XX
    default:
        return "unknown error";
    }
}

const char *sg_err_name(int rc)
{
    switch (rc) {
#define XX(name, val, msg)                                                                         \
    case val:                                                                                      \
        return "SG_" #name;
        SG_ERRNO_MAP(XX)
#undef XX
    default:
        return "SG_UNKNOWN";
    }
}
