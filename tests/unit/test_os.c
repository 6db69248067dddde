/* test_os.c: the operating-system helpers of os.c: standard input, writes, the date, the clock. */
#include "test.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

TEST(os_path_is_stdin)
{
    CHECK(cr_path_is_stdin("-"));
    CHECK(cr_path_is_stdin(NULL));
    CHECK(!cr_path_is_stdin("--"));
    CHECK(!cr_path_is_stdin("./-"));
    CHECK(!cr_path_is_stdin(""));
}

TEST(os_write_all)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const char msg[] = "twelve bytes";
    CHECK(cr_write_all(fds[1], msg, 12) == 0);
    CHECK(cr_write_all(fds[1], msg, 0) == 0);
    char got[16] = {0};
    CHECK(read(fds[0], got, sizeof got) == 12 && memcmp(got, msg, 12) == 0);
    close(fds[0]);
    CHECK(cr_write_all(-1, msg, 1) == -1);
    close(fds[1]);
}

TEST(os_utc_date)
{
    char d[32];
    memset(d, 'x', sizeof d);
    cr_utc_date(d);
    CHECK(strlen(d) == 20);
    CHECK(d[4] == '-' && d[7] == '-' && d[10] == 'T' && d[13] == ':' && d[16] == ':' &&
          d[19] == 'Z');
    CHECK(strncmp(d, "20", 2) == 0);
}

TEST(os_clock)
{
    double a = cr_clock_s(), b = cr_clock_s();
    CHECK(a > 0 && b >= a && b - a < 1.0);
}
