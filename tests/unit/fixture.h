/* fixture.h: reads the PyTorch fixtures of tests/make_fixtures.py (format in
 * tests/fixtures/README.md): "CRFX", version 1, then named float32 records. */
#ifndef CR_TEST_FIXTURE_H
#define CR_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct record {
    char name[64];
    int ndim;
    uint32_t dims[4];
    size_t size;   /* values: the product of dims */
    float *data;   /* (size) row-major */
} record;

typedef struct fixture {
    record r[64];
    int n;
} fixture;

/* Loads file from test_fixtures_dir: 1 when loaded; -1 when the file does not exist (nothing
 * reported, for the caller to skip or fail); 0 when it is damaged (a CHECK failure names the
 * problem). Free with fixture_free in every case. */
int fixture_load(const char *file, fixture *f);
/* The record called name, or NULL. */
const record *fixture_find(const fixture *f, const char *name);
void fixture_free(fixture *f);

#endif
