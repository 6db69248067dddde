/* test_chunks.c: the checkpoint's chunk table against the files the writer writes, and the
 * format version as tools read it. */
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static size_t table_rows(void)
{
    size_t n = 0;
    while (cr_ckpt_chunk_at(n))
        n++;
    return n;
}

TEST(chunks_table_lookup)
{
    size_t n = table_rows();
    CHECK(n == 12);
    for (size_t i = 0; i < n; i++) {
        const cr_chunk_kind *k = cr_ckpt_chunk_at(i);
        CHECK(strlen(k->tag) == 4 && k->meaning && k->meaning[0]);
        CHECK(cr_ckpt_chunk_find(k->tag) == k);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(cr_ckpt_chunk_at(j)->tag, k->tag) != 0);
    }
    CHECK(strcmp(cr_ckpt_chunk_at(n - 1)->tag, "IEND") == 0); /* the last the writer writes */
    CHECK(cr_ckpt_chunk_find("XXXX") == NULL);
    CHECK(cr_ckpt_chunk_find("head") == NULL); /* tags are case-sensitive */
    CHECK(cr_ckpt_chunk_find("HEAD")->required && cr_ckpt_chunk_find("WLST")->required);
    CHECK(!cr_ckpt_chunk_find("WBST")->required && !cr_ckpt_chunk_find("VSTR")->required);
}

/* Every chunk a full model's checkpoint holds is in the table, in the table's order. */
TEST(chunks_written_in_table_order)
{
    cr_model *m = tiny_model(CR_LSTM, 1, 3, 0, "ab\n", 2);
    REQUIRE(m);
    m->best = calloc(m->nparams, sizeof(float));
    m->m1 = calloc(m->nparams, sizeof(float));
    m->m2 = calloc(m->nparams, sizeof(float));
    m->carry = calloc(cr_carry_floats(&m->cfg), sizeof(float));
    REQUIRE(m->best && m->m1 && m->m2 && m->carry);
    unsigned char *buf;
    size_t len, n;
    cr_error e;
    cr_chunk_info *c;
    REQUIRE(cr_ckpt_encode(m, &buf, &len, &e) == CR_OK);
    REQUIRE(cr_ckpt_list_chunks(buf, len, &c, &n, &e) == CR_OK);
    CHECK(n == table_rows() - 1); /* all but VSTR */
    size_t row = 0;
    for (size_t i = 0; i < n; i++) {
        while (row < table_rows() && strcmp(cr_ckpt_chunk_at(row)->tag, c[i].tag) != 0)
            row++;
        CHECK(row < table_rows());
    }
    CHECK(cr_ckpt_version(buf, len) == 1);
    CHECK(cr_ckpt_version(buf, 11) == 0);
    CHECK(cr_ckpt_version(NULL, 0) == 0);
    buf[9] = 2; /* version 0x201: read as it is, whether or not a reader accepts it */
    CHECK(cr_ckpt_version(buf, len) == 0x201);
    buf[4] = 0x0A; /* text-mode damage: no signature, no version */
    CHECK(cr_ckpt_version(buf, len) == 0);
    free(c);
    free(buf);
    cr_model_free(m);
}
