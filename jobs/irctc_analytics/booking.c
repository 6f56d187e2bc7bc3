/* booking.c — the closed vocabularies of a booking (classes, statuses, train
 * numbers), shared by the decoder, the capacity loader and the generator. Pure
 * functions, no engine calls. */
#include <string.h>

#include "irctc.h"

static const char *const class_names[IR_N_CLASSES] = {"SL", "3A", "2A", "1A", "CC", "2S"};
static const char *const status_names[IR_N_STATUSES] = {"BOOKED", "CANCELLED", "WAITLISTED"};

const int64_t ir_thresholds[IR_N_THRESHOLDS] = {50, 75, 90, 100};

/* Exact, case-sensitive match against a table: "sl" or "booked" are bad records, as
 * the issue lists the spellings. */
static int lookup(const char *const *names, int n, const void *s, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    return -1;
}

int ir_class_parse(const void *s, size_t len)
{
    return lookup(class_names, IR_N_CLASSES, s, len);
}

int ir_status_parse(const void *s, size_t len)
{
    return lookup(status_names, IR_N_STATUSES, s, len);
}

const char *ir_class_name(int cls)
{
    return cls >= 0 && cls < IR_N_CLASSES ? class_names[cls] : "?";
}

const char *ir_status_name(int status)
{
    return status >= 0 && status < IR_N_STATUSES ? status_names[status] : "?";
}

bool ir_train_valid(const void *s, size_t len)
{
    const unsigned char *p = s;
    if (len == 0 || len > IR_TRAIN_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= 'a' && p[i] <= 'z')))
            return false;
    return true;
}
