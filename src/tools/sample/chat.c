/* sample/chat.c: sample --chat, a conversation with the bot: each line typed is fed to the model
 * and answered until a newline, the hidden state carrying across turns. */
#include "interact.h"

#include "../cli.h"
#include "../common/term.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --transcript: the conversation as it was shown, saved after every turn. A regular file is
 * replaced whole each time (atomically, so a kill at any moment leaves every finished turn);
 * anything else (a pipe, a FIFO, /dev/stdout) is written in place as the turns come. */
typedef struct transcript {
    const char *path;  /* or NULL */
    cli_buf t;
    cr_save *live;     /* a target written in place, or NULL */
    size_t written;    /* bytes of t already written to live */
} transcript;

static void transcript_open(transcript *tr, const char *path)
{
    cr_error err;
    tr->path = path;
    if (!path) return;
    if (cr_save_check(path, &err) != CR_OK) cli_die_err(path, &err);
    if (!cr_save_is_regular(path) && cr_save_begin(path, &tr->live, &err) != CR_OK)
        cli_die_err(path, &err);
}

/* Saves what was said so far; a failure is a warning (the conversation goes on, and the next
 * turn tries again), unless it is the last save. */
static void transcript_save(transcript *tr, int last)
{
    if (!tr->path) return;
    cr_error err;
    int rc;
    if (tr->live) {
        rc = cr_save_write(tr->live, tr->t.p + tr->written, tr->t.n - tr->written, &err);
        if (rc == CR_OK) tr->written = tr->t.n;
        if (last) {
            int rc2 = cr_save_commit(tr->live, rc == CR_OK ? &err : &(cr_error){0});
            tr->live = NULL;
            if (rc == CR_OK) rc = rc2;
        }
    } else {
        rc = cr_save_file(tr->path, tr->t.p ? tr->t.p : "", tr->t.n, &err);
    }
    if (rc == CR_OK) return;
    if (last) cli_die(tr->path, "the transcript could not be saved (%s)", err.message);
    cli_warn("%s: the transcript could not be saved (%s); it will be tried again after the next "
             "answer", tr->path, err.message);
}

typedef struct chat {
    const sample_interact *ia;
    cr_sampler *s;
    const cr_vocab *v;
    feeder *f;
    int32_t nl;         /* the id of '\n', or -1 */
    int term_in;        /* a person types at a terminal: prompts on stderr */
    int term_out;       /* stdout is a terminal: the answer streamed character by character */
    int styled;
    transcript tr;
    uint64_t blocked;   /* answers cut short by --novel */
} chat;

/* Feeds id to the model, and to --novel's filter, which follows all the text. */
static void feed_id(chat *c, uint32_t id)
{
    cr_sampler_feed(c->s, id);
    if (c->f->novel) cr_novel_feed(c->f->novel, id);
}

/* --novel's word at the end of a conversation, as sample's after a text. */
static void novel_report(const chat *c)
{
    const cr_novel *g = c->f->novel;
    if (!g) return;
    size_t longest = cr_novel_longest(g);
    unsigned long long r = (unsigned long long)cr_novel_refused(g);
    cli_warn("--novel %zu: drew again %llu %s so that no answer copies more than %zu %s of the "
             "corpus in a row%s; the longest copy, counting what was typed, is %zu %s",
             c->ia->novel,
             r, r == 1 ? "time" : "times", c->ia->novel, c->ia->novel == 1 ? "character" :
             "characters", c->blocked ? " (some answers stopped where every character would)" :
             "", longest, longest == 1 ? "character" : "characters");
}

static void show(const chat *c, const char *label)
{
    if (c->styled) fprintf(stderr, "\033[1m%s\033[0m", label);
    else fputs(label, stderr);
    fflush(stderr);
}

/* Line ends a bot may draw before its answer's first character, as a pause (a corpus of
 * paragraphs puts a blank line after each), before the answer counts as empty. */
enum { PAUSES_MAX = 3 };

/* Generates the bot's answer: until its newline, --stop, -n characters, or Ctrl-C; the
 * model is then fed a newline if it did not write one, so each turn ends as a line. */
static void answer(chat *c)
{
    const sample_interact *ia = c->ia;
    size_t stop_len = ia->stop ? strlen(ia->stop) : 0, have = 0;
    char *tail = stop_len ? calloc(stop_len + 4, 1) : NULL; /* the last bytes generated */
    int ended = 0, pauses = 0;
    for (long i = 0; i < ia->length && !term_interrupted && !term_stop_signal; i++) {
        uint32_t id;
        if (!c->f->novel) {
            id = cr_sampler_next(c->s);
        } else if (!cr_novel_next(c->f->novel, c->s, &id, NULL)) {
            c->blocked++; /* every character would copy more than --novel: the answer ends */
            break;
        }
        if ((int32_t)id == c->nl && i == pauses && pauses < PAUSES_MAX) {
            pauses++; /* fed, not written: the answer has not begun */
            continue;
        }
        if ((int32_t)id == c->nl) {
            ended = 1;
            break;
        }
        char buf[4];
        const char *text;
        size_t k = cr_vocab_text(c->v, id, buf, &text);
        cli_write(text, k);
        if (c->term_out) cli_flush_stdout();
        else if (c->term_in) fwrite(text, 1, k, stderr); /* stdout is a file: shown here too */
        cli_buf_add(&c->tr.t, text, k);
        if (tail) {
            for (size_t j = 0; j < k; j++) {
                if (have == stop_len) memmove(tail, tail + 1, --have);
                tail[have++] = text[j];
            }
            if (have == stop_len && memcmp(tail, ia->stop, stop_len) == 0) break;
        }
    }
    free(tail);
    if (!ended && c->nl >= 0) feed_id(c, (uint32_t)c->nl);
    cli_write("\n", 1);
    cli_flush_stdout();
    if (c->term_in && !c->term_out) fputs("\n", stderr);
    cli_buf_add(&c->tr.t, "\n", 1);
}

/* One turn: the person's line (without its line end) fed in the dialogue's format, answered. */
static void turn(chat *c, const char *line, size_t len)
{
    const sample_interact *ia = c->ia;
    const char *you = ia->you && *ia->you ? ia->you : "> ", *bot = ia->bot ? ia->bot : "";
    if (ia->you) feed_text(c->f, "--you", ia->you, strlen(ia->you));
    feed_text(c->f, "standard input", line, len);
    if (c->nl >= 0) feed_id(c, (uint32_t)c->nl);
    if (ia->bot) feed_text(c->f, "--bot", ia->bot, strlen(ia->bot));
    cli_buf_add(&c->tr.t, you, strlen(you));
    cli_buf_add(&c->tr.t, line, len);
    cli_buf_add(&c->tr.t, "\n", 1);
    cli_buf_add(&c->tr.t, bot, strlen(bot));
    if (c->term_in && *bot) show(c, bot);
    answer(c);
    term_interrupted = 0; /* a Ctrl-C stopped this answer, not the conversation */
    transcript_save(&c->tr, 0);
}

int sample_chat(const sample_interact *ia, cr_sampler *s, const cr_vocab *v, feeder *f)
{
    chat c = {.ia = ia, .s = s, .v = v, .f = f, .nl = cr_vocab_id(v, '\n')};
    c.term_in = isatty(0);
    c.term_out = isatty(1);
    c.styled = c.term_in && term_styled();
    transcript_open(&c.tr, ia->transcript);
    if (c.nl < 0)
        cli_warn("this model never saw a line break, so its answers do not end by themselves: "
                 "each runs to -n characters (or --stop)");
    const char *prompt = ia->you && *ia->you ? ia->you : "> ";
    if (c.term_in)
        cli_warn("type a line and press Enter; Ctrl-C stops an answer, Ctrl-D ends");
    term_lines in = {0};
    for (;;) {
        if (c.term_in) show(&c, prompt);
        char *line;
        long n = term_read_line(&in, 0, &line);
        if (term_stop_signal) break;
        if (n == -2) { /* Ctrl-C at the prompt: the terminal dropped the line; a new prompt */
            term_interrupted = 0;
            if (c.term_in) fputs("\n", stderr);
            continue;
        }
        if (n == -3) cli_die("standard input", "read failed: %s", strerror(errno));
        if (n < 0) break; /* Ctrl-D, or the end of the input */
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\r') len--; /* a line typed on Windows */
        turn(&c, line, len);
    }
    if (c.term_in && !term_stop_signal) fputs("\n", stderr);
    term_lines_free(&in);
    novel_report(&c);
    transcript_save(&c.tr, 1);
    free(c.tr.t.p);
    cli_close_stdout();
    return term_stop_signal ? 128 + term_stop_signal : 0;
}
