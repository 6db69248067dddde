/* error.c: filling a caller's cr_error, and the names of error codes. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

int cr_fail(cr_error *err, int code, long long offset, const char *chunk, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->offset = offset;
        snprintf(err->chunk, sizeof err->chunk, "%s", chunk ? chunk : "");
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *cr_strerror(int code)
{
    switch (code) {
    case CR_OK: return "success";
    case CR_ENOMEM: return "out of memory";
    case CR_EIO: return "input/output error";
    case CR_EFORMAT: return "damaged or not a checkpoint";
    case CR_EVERSION: return "checkpoint from a newer version";
    case CR_EINVAL: return "invalid setting";
    case CR_EUTF8: return "invalid UTF-8";
    case CR_ESMALL: return "corpus too small";
    case CR_EVOCAB: return "character not in the vocabulary";
    case CR_EDIVERGED: return "training diverged";
    default: return "unknown error";
    }
}
