/* main.c: runs every registered unit test, or those whose names contain an argument. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TESTS 512

static struct {
    const char *name;
    test_fn fn;
} tests[MAX_TESTS];
static int ntests, current_failed, current_skipped;
static char skip_reason[256];
const char *test_fixtures_dir = "tests/fixtures";
const char *test_shared_dir = "../shared";

void test_register(const char *name, test_fn fn)
{
    if (ntests < MAX_TESTS) {
        tests[ntests].name = name;
        tests[ntests++].fn = fn;
    }
}

void test_failed(const char *file, int line, const char *expr)
{
    if (current_failed < 10) fprintf(stderr, "  %s:%d: %s\n", file, line, expr);
    current_failed++;
}

void test_skip(const char *why)
{
    current_skipped = 1;
    snprintf(skip_reason, sizeof skip_reason, "%s", why);
}

int test_current_failed(void) { return current_failed; }

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fixtures") == 0 && i + 1 < argc) test_fixtures_dir = argv[++i];
        else if (strcmp(argv[i], "--shared") == 0 && i + 1 < argc) test_shared_dir = argv[++i];
        else filter = argv[i];
    }
    qsort(tests, (size_t)ntests, sizeof tests[0], by_name);
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        current_failed = current_skipped = 0;
        tests[i].fn();
        if (current_failed) {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        } else if (current_skipped) {
            printf("skip %s: %s\n", tests[i].name, skip_reason);
            skipped++;
        } else {
            printf("ok   %s\n", tests[i].name);
            passed++;
        }
        fflush(stdout);
    }
    printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
