/* test.h: a tiny test harness: TEST(name) registers a test; CHECK prints file:line on failure. */
#ifndef CR_TEST_H
#define CR_TEST_H

#include <math.h>
#include <stdio.h>

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_failed(const char *file, int line, const char *expr);
void test_skip(const char *why);
int test_current_failed(void);

#define TEST(name)                                                                   \
    static void name(void);                                                          \
    __attribute__((constructor)) static void register_##name(void) { test_register(#name, name); } \
    static void name(void)

#define CHECK(expr)                                                                  \
    do {                                                                             \
        if (!(expr)) test_failed(__FILE__, __LINE__, #expr);                         \
    } while (0)

/* Stops the current test when a check failed (for checks later code depends on). */
#define REQUIRE(expr)                                                                \
    do {                                                                             \
        if (!(expr)) {                                                               \
            test_failed(__FILE__, __LINE__, #expr);                                  \
            return;                                                                  \
        }                                                                            \
    } while (0)

/* |a - b| <= atol + rtol |b| */
#define CHECK_CLOSE(a, b, atol, rtol)                                                \
    do {                                                                             \
        double a_ = (a), b_ = (b);                                                   \
        if (!(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_))) {                        \
            char m_[256];                                                            \
            snprintf(m_, sizeof m_, "%s ~ %s (%.9g vs %.9g)", #a, #b, a_, b_);       \
            test_failed(__FILE__, __LINE__, m_);                                     \
        }                                                                            \
    } while (0)

/* The folder of the test fixtures, set from the command line. */
extern const char *test_fixtures_dir;
extern const char *test_shared_dir;

#endif
