/* sample/choose.c: sample --choose N, writing with the bot: at each step N candidate words
 * sampled ahead, and the person takes one, or writes their own; the state follows the choice. */
#include "interact.h"

#include "../cli.h"
#include "../common/term.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { WORD_MAX = 40 }; /* code points a candidate holds at most */

typedef struct candidate {
    uint32_t ids[WORD_MAX];
    size_t n;
    cli_buf text;      /* its UTF-8 */
} candidate;

typedef struct writer {
    const sample_interact *ia;
    cr_sampler *s;
    const cr_vocab *v;
    feeder *f;
    cr_sampler_state *at;  /* the state after the text so far */
    cli_buf text;         /* the text so far, the prime first */
    size_t written;        /* bytes of text already on stdout */
    int stream;            /* stdout is no terminal: the text goes out as it is chosen */
    int term;              /* keys from a terminal, in raw mode */
    int styled;
    candidate c[9];
    int nc;
} writer;

static int is_space(const char *t, size_t k)
{
    return k == 0 || (k == 1 && strchr(" \t\n\r\f\v", t[0]));
}

/* Draws one candidate from the state after the text: any spaces and line breaks, then one
 * word, up to (not including) the space or line break after it. */
static void draw_word(writer *w, candidate *c)
{
    c->n = 0;
    c->text.n = 0;
    int in_word = 0;
    while (c->n < WORD_MAX) {
        uint32_t id = cr_sampler_next(w->s);
        char buf[4];
        const char *t;
        size_t k = cr_vocab_text(w->v, id, buf, &t);
        int space = is_space(t, k);
        if (space && in_word) break;
        in_word |= !space;
        c->ids[c->n++] = id;
        cli_buf_add(&c->text, t, k);
    }
}

/* Up to N different candidates, each from the state after the text; the state is left there. */
static void draw_candidates(writer *w)
{
    int N = w->ia->choose;
    w->nc = 0;
    for (int tries = 0; w->nc < N && tries < 4 * N; tries++) {
        cr_sampler_restore(w->s, w->at);
        candidate *c = &w->c[w->nc];
        draw_word(w, c);
        int dup = 0;
        for (int i = 0; i < w->nc && !dup; i++)
            dup = w->c[i].n == c->n && memcmp(w->c[i].ids, c->ids, c->n * sizeof *c->ids) == 0;
        if (!dup) w->nc++;
    }
    cr_sampler_restore(w->s, w->at);
}

/* A piece of the text, already fed to the model: kept, written out when streaming, and the
 * state after it remembered. */
static void add_piece(writer *w, const char *p, size_t n)
{
    cli_buf_add(&w->text, p, n);
    if (w->stream) {
        cli_write(p, n);
        cli_flush_stdout();
        w->written = w->text.n;
    }
    cr_sampler_save(w->s, w->at);
}

static void take_candidate(writer *w, int i)
{
    for (size_t j = 0; j < w->c[i].n; j++)
        cr_sampler_feed(w->s, w->c[i].ids[j]);
    add_piece(w, w->c[i].text.p, w->c[i].text.n);
}

static void take_text(writer *w, const char *what, const char *p, size_t n)
{
    feed_text(w->f, what, p, n);
    add_piece(w, p, n);
}

/* A text for the screen (stderr): line breaks as ↵, tabs as →, other controls left out. */
static void put_shown(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\n') fputs("\xE2\x86\xB5", stderr);
        else if (ch == '\t') fputs("\xE2\x86\x92", stderr);
        else if (ch >= 0x20 && ch != 0x7F) fputc(ch, stderr);
    }
}

/* The end of the text so far, then the numbered candidates. */
static void show_step(const writer *w)
{
    enum { TAIL = 60 }; /* code points of the text shown */
    size_t start = w->text.n, cps = 0;
    while (start > 0 && cps < TAIL) {
        start--;
        if (((unsigned char)w->text.p[start] & 0xC0) != 0x80) cps++;
    }
    fputs(start > 0 ? "\n\xE2\x80\xA6" : "\n", stderr);
    put_shown(w->text.p + start, w->text.n - start);
    fputs("\n", stderr);
    for (int i = 0; i < w->nc; i++) {
        if (w->styled) fprintf(stderr, "  \033[1m%d\033[0m \"", i + 1);
        else fprintf(stderr, "  %d \"", i + 1);
        put_shown(w->c[i].text.p, w->c[i].text.n);
        fputs("\"", stderr);
    }
    fputs("\n", stderr);
    fflush(stderr);
}

/* What the person did at a step. */
enum { ACT_END, ACT_TOOK, ACT_AGAIN };

/* Their own words, typed at the terminal after a first key (first, n bytes): Enter adds them,
 * Ctrl-D adds them and ends, Esc or Ctrl-C gives up, Backspace takes back a character. */
static int type_text(writer *w, const unsigned char *first, int n)
{
    cli_buf t = {0};
    cli_buf_add(&t, first, (size_t)n);
    fputs("your words: ", stderr);
    put_shown((const char *)first, (size_t)n);
    fflush(stderr);
    int act = ACT_AGAIN;
    for (;;) {
        unsigned char k[16];
        int r = term_read_key(0, k, sizeof k);
        if (r <= 0) {
            act = ACT_END;
            break;
        }
        if (k[0] == '\r' || k[0] == '\n' || k[0] == 4) { /* Enter; Ctrl-D: these, then done */
            if (t.n) take_text(w, "your words", t.p, t.n);
            act = k[0] == 4 ? ACT_END : t.n ? ACT_TOOK : ACT_AGAIN;
            break;
        }
        if (k[0] == 3 || (k[0] == 0x1B && r == 1)) break; /* Ctrl-C, Esc: never mind */
        if (k[0] == 0x7F || k[0] == 8) {
            if (!t.n) continue;
            do
                t.n--;
            while (t.n && ((unsigned char)t.p[t.n] & 0xC0) == 0x80);
            fputs("\b \b", stderr);
        } else if (k[0] >= 0x20) {
            cli_buf_add(&t, k, (size_t)r);
            put_shown((const char *)k, (size_t)r);
        }
        fflush(stderr);
    }
    fputs("\n", stderr);
    free(t.p);
    return act;
}

/* A step at the terminal: one key. */
static int step_key(writer *w)
{
    for (;;) {
        unsigned char k[16];
        int r = term_read_key(0, k, sizeof k);
        if (r <= 0 || k[0] == 3 || k[0] == 4) return ACT_END; /* Ctrl-C, Ctrl-D: done */
        if (k[0] >= '1' && k[0] <= '9') { /* a digit that is no candidate does nothing */
            if (k[0] >= '1' + w->nc) continue;
            take_candidate(w, k[0] - '1');
            return ACT_TOOK;
        }
        if (k[0] == '\r' || k[0] == '\n') {
            take_text(w, "Enter", "\n", 1);
            return ACT_TOOK;
        }
        if (k[0] == '\t') return ACT_AGAIN;
        if (k[0] >= 0x20 && k[0] != 0x7F) return type_text(w, k, r);
        /* other keys (arrows, Esc, Backspace) mean nothing here */
    }
}

/* A step from a pipe: one line, a candidate's number, or text; an empty line is a line
 * break. */
static int step_line(writer *w, term_lines *in, long *lineno)
{
    char *line;
    long n = term_read_line(in, 0, &line);
    if (n == -3) cli_die("standard input", "read failed: %s", strerror(errno));
    if (n < 0) return ACT_END; /* the end of the input, or a signal */
    ++*lineno;
    size_t len = (size_t)n;
    if (len && line[len - 1] == '\r') len--;
    if (len == 0) {
        take_text(w, "standard input", "\n", 1);
        return ACT_TOOK;
    }
    line[len] = 0;
    int digits = strspn(line, "0123456789") == len;
    long k;
    if (digits && cli_parse_int(line, 1, w->nc, &k) == CLI_NUM_OK) {
        take_candidate(w, (int)k - 1);
        return ACT_TOOK;
    }
    if (digits && len <= 2)
        cli_warn("standard input, line %ld: there is no candidate %s (1 to %d); taken as your "
                 "own text", *lineno, line, w->nc);
    take_text(w, "standard input", line, len);
    return ACT_TOOK;
}

int sample_choose(const sample_interact *ia, cr_sampler *s, const cr_vocab *v, feeder *f,
                  const char *start, size_t len)
{
    writer w = {.ia = ia, .s = s, .v = v, .f = f};
    cr_error err;
    if (cr_sampler_state_new(s, &w.at, &err) != CR_OK) cli_die(NULL, "%s", err.message);
    w.stream = !isatty(1);
    w.term = term_raw(0) == 0;
    w.styled = w.term && term_styled();
    /* With nothing fed yet, the sampler starts after a newline (cr_sampler_next): asking for
     * the probabilities makes it so now, so the state saved, and every word taken, follow it. */
    cr_sampler_probs(s);
    add_piece(&w, start, len); /* already fed */
    if (w.term)
        cli_warn("keys: 1 to %d take a word, Enter a new line, Tab other words, or type your "
                 "own; Ctrl-D done", ia->choose);
    term_lines in = {0};
    long lineno = 0;
    int act = ACT_TOOK;
    while (act != ACT_END && !term_stop_signal) {
        if (act == ACT_TOOK || act == ACT_AGAIN) draw_candidates(&w);
        show_step(&w);
        act = w.term ? step_key(&w) : step_line(&w, &in, &lineno);
        if (term_interrupted && !w.term) act = ACT_END; /* Ctrl-C while a pipe feeds us */
    }
    term_restore();
    term_lines_free(&in);
    const char *rest = w.text.p ? w.text.p + w.written : "";
    cli_write(rest, w.text.n - w.written);
    if (w.text.n && w.text.p[w.text.n - 1] != '\n') cli_write("\n", 1);
    for (int i = 0; i < 9; i++)
        free(w.c[i].text.p);
    free(w.text.p);
    cr_sampler_state_free(w.at);
    cli_close_stdout();
    return term_stop_signal ? 128 + term_stop_signal : 0;
}
