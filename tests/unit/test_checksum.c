/* test_checksum.c: CRC-32, SHA-256 and the xoshiro256** generator against published or
 * independently computed values. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- CRC-32 ---- */

TEST(crc32_check_value)
{
    /* the "check" value of CRC-32/ISO-HDLC (zlib, PNG) */
    CHECK(cr_crc32(0, "123456789", 9) == 0xCBF43926u);
    CHECK(cr_crc32(0, "", 0) == 0);
    /* zlib.crc32 in Python */
    const char *fox = "The quick brown fox jumps over the lazy dog";
    CHECK(cr_crc32(0, fox, strlen(fox)) == 0x414FA339u);
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    CHECK(cr_crc32(0, all, sizeof all) == 0x29058C73u);
}

TEST(crc32_incremental)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(i * 31 + 7);
    uint32_t whole = cr_crc32(0, all, sizeof all);
    for (size_t cut = 0; cut <= sizeof all; cut++)
        CHECK(cr_crc32(cr_crc32(0, all, cut), all + cut, sizeof all - cut) == whole);
    CHECK(cr_crc32(cr_crc32(0, "12345", 5), "6789", 4) == 0xCBF43926u);
    /* a zero-length update changes nothing */
    CHECK(cr_crc32(whole, all, 0) == whole);
}

TEST(crc32_detects_every_single_bit_flip)
{
    unsigned char buf[64];
    for (int i = 0; i < 64; i++)
        buf[i] = (unsigned char)(i * 13);
    uint32_t ref = cr_crc32(0, buf, sizeof buf);
    int missed = 0;
    for (size_t i = 0; i < sizeof buf; i++)
        for (int b = 0; b < 8; b++) {
            buf[i] ^= (unsigned char)(1u << b);
            missed += cr_crc32(0, buf, sizeof buf) == ref;
            buf[i] ^= (unsigned char)(1u << b);
        }
    CHECK(missed == 0);
}

/* ---- SHA-256 ---- */

static void hex32(const unsigned char d[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = 0;
}

static int sha_is(const void *data, size_t len, const char *expect)
{
    cr_sha256 c;
    unsigned char d[32];
    char h[65];
    cr_sha256_init(&c);
    cr_sha256_update(&c, data, len);
    cr_sha256_final(&c, d);
    hex32(d, h);
    if (strcmp(h, expect) != 0) {
        fprintf(stderr, "  sha256 of %zu bytes: %s, expected %s\n", len, h, expect);
        return 0;
    }
    return 1;
}

TEST(sha256_fips_vectors)
{
    /* FIPS 180-2 appendix B and the NIST example values */
    CHECK(sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(sha_is(m448, strlen(m448),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(sha256_million_a_in_odd_pieces)
{
    enum { N = 1000000 };
    char *a = malloc(N);
    REQUIRE(a);
    memset(a, 'a', N);
    static const size_t pieces[] = {1, 3, 7, 63, 64, 65, 127, 1000, 4093, 55, 9};
    cr_sha256 c;
    cr_sha256_init(&c);
    size_t done = 0;
    for (int k = 0; done < N; k++) {
        size_t n = pieces[k % 11];
        if (n > N - done) n = N - done;
        cr_sha256_update(&c, a + done, n);
        done += n;
    }
    unsigned char d[32];
    char h[65];
    cr_sha256_final(&c, d);
    hex32(d, h);
    CHECK(strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    /* and in one call */
    CHECK(sha_is(a, N, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    free(a);
}

TEST(sha256_padding_boundaries)
{
    /* data[i] = (7 i + 3) mod 256; digests from Python's hashlib.sha256 */
    static const struct {
        size_t n;
        const char *hex;
    } v[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
        {127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07"},
        {128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
    };
    unsigned char data[128];
    for (int i = 0; i < 128; i++)
        data[i] = (unsigned char)(7 * i + 3);
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        CHECK(sha_is(data, v[k].n, v[k].hex));
        /* the same bytes split at every point give the same digest */
        unsigned char one[32], two[32];
        cr_sha256 c;
        cr_sha256_init(&c);
        cr_sha256_update(&c, data, v[k].n);
        cr_sha256_final(&c, one);
        int differ = 0;
        for (size_t cut = 0; cut <= v[k].n; cut++) {
            cr_sha256_init(&c);
            cr_sha256_update(&c, data, cut);
            cr_sha256_update(&c, data + cut, v[k].n - cut);
            cr_sha256_final(&c, two);
            differ += memcmp(one, two, 32) != 0;
        }
        CHECK(differ == 0);
    }
}

/* ---- xoshiro256** seeded by splitmix64 ---- */

TEST(rng_known_answers)
{
    /* Derived with an independent Python implementation of the reference algorithms:
     * splitmix64 (x += 0x9E3779B97F4A7C15; z = (x ^ x>>30) * 0xBF58476D1CE4E5B9;
     * z = (z ^ z>>27) * 0x94D049BB133111EB; z ^ z>>31) called four times from the seed gives
     * s[0..3]; xoshiro256** returns rotl(s1 * 5, 7) * 9, then t = s1 << 17, s2 ^= s0,
     * s3 ^= s1, s1 ^= s2, s0 ^= s3, s2 ^= t, s3 = rotl(s3, 45); all mod 2^64.
     * Sanity check of that script: its first splitmix64 output for seed 0 is the well-known
     * 0xE220A8397B1DCDAF. */
    cr_rng r;
    cr_rng_seed(&r, 0);
    CHECK(r.s[0] == 0xE220A8397B1DCDAFull);
    CHECK(r.s[1] == 0x6E789E6AA1B965F4ull);
    CHECK(r.s[2] == 0x06C45D188009454Full);
    CHECK(r.s[3] == 0xF88BB8A8724C81ECull);
    CHECK(cr_rng_next(&r) == 0x99EC5F36CB75F2B4ull);
    CHECK(cr_rng_next(&r) == 0xBF6E1F784956452Aull);
    CHECK(cr_rng_next(&r) == 0x1A5F849D4933E6E0ull);

    cr_rng_seed(&r, 42);
    CHECK(r.s[0] == 0xBDD732262FEB6E95ull);
    CHECK(cr_rng_next(&r) == 0x15780B2E0C2EC716ull);
    CHECK(cr_rng_next(&r) == 0x6104D9866D113A7Eull);
    CHECK(cr_rng_next(&r) == 0xAE17533239E499A1ull);

    /* further on, where every word of the state has fed back into the output: the 1000th
     * output for seed 0 and the sum mod 2^64 of the first 1000 (same Python script) */
    cr_rng_seed(&r, 0);
    uint64_t sum = 0, x = 0;
    for (int i = 0; i < 1000; i++)
        sum += x = cr_rng_next(&r);
    CHECK(x == 0x7AAC8C483A2EDD2Full);
    CHECK(sum == 0x3059C902902F9C50ull);
}

TEST(rng_deterministic_and_seed_sensitive)
{
    cr_rng a, b, c;
    cr_rng_seed(&a, 12345);
    cr_rng_seed(&b, 12345);
    cr_rng_seed(&c, 12346);
    int same_ab = 1, same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = cr_rng_next(&a), y = cr_rng_next(&b), z = cr_rng_next(&c);
        same_ab &= x == y;
        same_ac += x == z;
    }
    CHECK(same_ab);
    CHECK(same_ac == 0);
    /* the state is the whole story: a copy continues identically */
    cr_rng d = a;
    CHECK(cr_rng_next(&d) == cr_rng_next(&a));
}

TEST(rng_float_and_double_ranges)
{
    cr_rng r;
    cr_rng_seed(&r, 7);
    enum { N = 100000 };
    double sum = 0, sumd = 0;
    float lo = 1, hi = 0;
    int out_of_range = 0, bins[10] = {0};
    for (int i = 0; i < N; i++) {
        float f = cr_rng_float(&r);
        double d = cr_rng_double(&r);
        out_of_range += !(f >= 0.0f && f < 1.0f) + !(d >= 0.0 && d < 1.0);
        lo = f < lo ? f : lo;
        hi = f > hi ? f : hi;
        sum += f;
        sumd += d;
        bins[(int)(f * 10)]++;
    }
    CHECK(out_of_range == 0);
    /* the standard error of the mean of N uniforms is 0.29 / sqrt(N) ~ 0.0009 */
    CHECK_CLOSE(sum / N, 0.5, 0.005, 0);
    CHECK_CLOSE(sumd / N, 0.5, 0.005, 0);
    CHECK(lo < 0.001f && hi > 0.999f);
    for (int k = 0; k < 10; k++)
        CHECK(bins[k] > N / 10 - 600 && bins[k] < N / 10 + 600);
    /* 24 bits: every float is a multiple of 2^-24 */
    cr_rng_seed(&r, 8);
    int not_grid = 0;
    for (int i = 0; i < 1000; i++) {
        float f = cr_rng_float(&r) * 16777216.0f;
        not_grid += f != floorf(f);
    }
    CHECK(not_grid == 0);
}
