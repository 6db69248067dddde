/* fixture.c: reads the PyTorch fixtures (see fixture.h) for the unit tests. */
#include "fixture.h"
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int fixture_load(const char *file, fixture *f)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_fixtures_dir, file);
    f->n = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp && errno == ENOENT) return -1;
    CHECK(fp != NULL);
    if (!fp) return 0;
    static unsigned char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK(len >= 8 && memcmp(buf, "CRFX", 4) == 0 && le32(buf + 4) == 1);
    if (len < 8) return 0;
    size_t pos = 8;
    while (pos + 4 <= len && f->n < 64) {
        record *r = &f->r[f->n];
        uint32_t nl = le32(buf + pos);
        pos += 4;
        if (nl >= sizeof r->name || pos + nl + 4 > len) return 0;
        memcpy(r->name, buf + pos, nl);
        r->name[nl] = 0;
        pos += nl;
        r->ndim = (int)le32(buf + pos);
        pos += 4;
        if (r->ndim < 1 || r->ndim > 4 || pos + 4u * (size_t)r->ndim > len) return 0;
        r->size = 1;
        for (int i = 0; i < r->ndim; i++, pos += 4)
            r->size *= r->dims[i] = le32(buf + pos);
        if (pos + 4 * r->size > len) return 0;
        if (!(r->data = malloc(r->size * sizeof(float)))) return 0;
        memcpy(r->data, buf + pos, 4 * r->size); /* little-endian hosts only, as in the tests */
        pos += 4 * r->size;
        f->n++;
    }
    CHECK(pos == len);
    return pos == len;
}

const record *fixture_find(const fixture *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->r[i].name, name) == 0) return &f->r[i];
    return NULL;
}

void fixture_free(fixture *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->r[i].data);
    f->n = 0;
}
