/* test_chunks.c: the checkpoint's chunk table against the format document and the files the
 * writer writes; the facts tools read from the library: format version, steps per epoch. */
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
    CHECK(n == 13);
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
    cr_plan plan = {0, 10, 0, 0, 0, 0.3};
    REQUIRE(cr_model_set_plan(m, &plan, NULL) == CR_OK);
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

/* ---- the table in docs/checkpoint-format.md ---- */
typedef struct doc_row {
    char tag[5];
    char meaning[160];
    int required;
} doc_row;

/* The next cell of a Markdown table row at *p, trimmed, into out; 0 at the end of the row. */
static int next_cell(const char **p, char *out, size_t cap)
{
    const char *s = *p, *bar = strchr(s, '|');
    if (!bar) return 0;
    const char *a = s, *b = bar;
    while (a < b && *a == ' ')
        a++;
    while (b > a && b[-1] == ' ')
        b--;
    size_t n = (size_t)(b - a) < cap - 1 ? (size_t)(b - a) : cap - 1;
    memcpy(out, a, n);
    out[n] = 0;
    *p = bar + 1;
    return 1;
}

/* Reads the rows of the table whose header is "| Chunk | Meaning | Present | Required ... |";
 * returns the row count, or -1 if the document or the table cannot be read. */
static int read_doc_table(const char *text, doc_row *rows, int cap)
{
    const char *t = strstr(text, "\n| Chunk ");
    if (!t) return -1;
    char cell[4][160];
    const char *p = t + 2;
    for (int i = 0; i < 4; i++)
        if (!next_cell(&p, cell[i], sizeof cell[i])) return -1;
    if (strcmp(cell[1], "Meaning") || strcmp(cell[3], "Required for a reader")) return -1;
    p = strchr(p, '\n'); /* the header's end, then the |---| line */
    if (!p || !(p = strchr(p + 1, '\n'))) return -1;
    int n = 0;
    while (p[0] == '\n' && p[1] == '|' && n < cap) {
        p += 2;
        for (int i = 0; i < 4; i++)
            if (!next_cell(&p, cell[i], sizeof cell[i])) return -1;
        size_t tl = strlen(cell[0]);
        if (tl != 6 || cell[0][0] != '`' || cell[0][5] != '`') return -1;
        memcpy(rows[n].tag, cell[0] + 1, 4);
        rows[n].tag[4] = 0;
        snprintf(rows[n].meaning, sizeof rows[n].meaning, "%s", cell[1]);
        rows[n].required = strcmp(cell[3], "yes") == 0 ? 1 : strcmp(cell[3], "no") == 0 ? 0 : -1;
        n++;
        p = strchr(p, '\n');
        if (!p) break;
    }
    return n;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    size_t n = 0, cap = 0, k;
    char buf[4096];
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        if (n + k + 1 > cap) {
            char *q = realloc(s, cap = 2 * (n + k + 1));
            if (!q) break;
            s = q;
        }
        memcpy(s + n, buf, k);
        n += k;
    }
    fclose(f);
    if (s) s[n] = 0;
    return s;
}

/* Compares the document's rows with the code's, by position; returns the mismatches, and
 * names them on stderr when say is set. */
static int compare_with_code(const doc_row *rows, int n, int say)
{
    int bad = n != (int)table_rows();
    for (int i = 0; i < n; i++) {
        const cr_chunk_kind *k = cr_ckpt_chunk_at((size_t)i);
        if (!k || strcmp(rows[i].tag, k->tag) || strcmp(rows[i].meaning, k->meaning) ||
            rows[i].required != k->required) {
            if (say)
                fprintf(stderr, "  docs/checkpoint-format.md row %d: `%s` \"%s\" %s; the code: %s\n",
                        i + 1, rows[i].tag, rows[i].meaning, rows[i].required ? "yes" : "no",
                        k ? k->tag : "(no row)");
            bad++;
        }
    }
    return bad;
}

TEST(chunks_format_document_matches_the_table)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/../../docs/checkpoint-format.md", test_fixtures_dir);
    char *text = read_text(path);
    REQUIRE(text);
    doc_row rows[32];
    int n = read_doc_table(text, rows, 32);
    CHECK(n == (int)table_rows());
    int bad = compare_with_code(rows, n, 1);
    CHECK(bad == 0);
    /* and the comparison can fail: a row required in the document, two rows swapped */
    if (bad == 0 && n >= 3) {
        rows[2].required = !rows[2].required;
        CHECK(compare_with_code(rows, n, 0) == 1);
        rows[2].required = !rows[2].required;
        doc_row tmp = rows[0];
        rows[0] = rows[1];
        rows[1] = tmp;
        CHECK(compare_with_code(rows, n, 0) == 2);
        CHECK(compare_with_code(rows, n - 1, 0) == 3);
    }
    free(text);
}

/* ---- steps per epoch: the library's number without a trainer equals the trainer's ---- */
TEST(chunks_steps_per_epoch_as_the_trainer)
{
    static const struct {
        size_t n;
        int batch, seq_len;
        double val_frac;
    } cases[] = {{3000, 4, 16, 0.1}, {3001, 7, 17, 0.0}, {2500, 1, 64, 0.05}, {977, 3, 5, 0.33},
                 {4096, 16, 31, 0.1}, {200, 2, 8, 0.0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = toy_corpus(cases[i].n, 11 + i);
        REQUIRE(text);
        cr_config cfg;
        cr_config_default(&cfg);
        cfg.hidden = 4;
        cfg.batch = cases[i].batch;
        cfg.seq_len = cases[i].seq_len;
        cfg.val_frac = cases[i].val_frac;
        cr_model *m = NULL;
        cr_trainer *t = NULL;
        cr_error e;
        size_t len = strlen(text);
        if (cr_model_new_from_text(&cfg, (unsigned char *)text, len, &m, &e) == CR_OK &&
            cr_trainer_new(m, (unsigned char *)text, len, 1, &t, &e) == CR_OK) {
            uint64_t chars = cr_utf8_count((unsigned char *)text, len);
            CHECK(cr_trainer_steps_per_epoch(t) > 0);
            CHECK(cr_steps_per_epoch(&cfg, chars) == cr_trainer_steps_per_epoch(t));
            CHECK(cr_model_steps_per_epoch(m) == cr_trainer_steps_per_epoch(t));
        } else {
            CHECK(!"a case the trainer refused");
        }
        cr_trainer_free(t);
        cr_model_free(m);
        free(text);
    }
    cr_config c;
    cr_config_default(&c);
    c.batch = 2;
    c.seq_len = 10;
    c.val_frac = 0;
    CHECK(cr_steps_per_epoch(&c, 0) == 0 && cr_steps_per_epoch(&c, 21) == 0);
    CHECK(cr_steps_per_epoch(&c, 22) == 1 && cr_steps_per_epoch(&c, 42) == 2);
}
