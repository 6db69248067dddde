/* sample/interact.h: sample's interactive modes, --chat (chat.c) and --choose N
 * (choose.c), with what they share (interact.c). */
#ifndef CR_SAMPLE_INTERACT_H
#define CR_SAMPLE_INTERACT_H

#include "charrnn.h"
#include "../cli.h"

#include <stddef.h>
#include <stdint.h>

/* sample's options for these modes (its own enum starts at 256) */
enum { O_CHAT = 1024, O_CHOOSE, O_YOU, O_BOT, O_TRANSCRIPT };

typedef struct sample_interact {
    int chat;                /* --chat */
    int choose;              /* --choose N: candidates at each step, 1 to 9; 0 = off */
    const char *you, *bot;   /* --you, --bot: fed before each of the person's and bot's turns */
    const char *transcript;  /* --transcript FILE */
    /* sample's own options, set by sample_interact_run's caller */
    const char *prime, *prime_file, *stop;
    long length;
    size_t novel;            /* --novel N (--chat only), or 0 */
    const cr_corpus_index *corpus; /* --novel's corpus, indexed by sample.c */
    const char *list;        /* the option given a list of values, or NULL */
} sample_interact;

/* One of the options above, with its value a (NULL for --chat); exits 2 for a bad one. */
void sample_interact_option(sample_interact *ia, int opt, const char *a);
/* Runs --chat or --choose on the checkpoint ckpt with the sampling options so: checks how the
 * options go together (exit 2), reads the model, feeds the prime. Returns the exit status. */
int sample_interact_run(const sample_interact *ia, const cr_sample_options *so, const char *ckpt);

/* ---- shared by chat.c and choose.c ---- */
/* The person's text fed to the model: characters it does not know are skipped with a warning
 * (once each per run), bytes that are not UTF-8 too (once per run); what names the text's
 * source in those warnings. */
typedef struct feeder {
    cr_sampler *s;
    cr_novel *novel;         /* --novel's filter, which follows all the text, or NULL */
    const cr_vocab *v;
    uint32_t reported[64];   /* the characters already reported */
    size_t nreported;
    int bad_utf8_reported;
} feeder;
void feed_text(feeder *f, const char *what, const char *text, size_t len);

int sample_chat(const sample_interact *ia, cr_sampler *s, const cr_vocab *v, feeder *f);
/* start (len bytes): the prime, the beginning of the text written together */
int sample_choose(const sample_interact *ia, cr_sampler *s, const cr_vocab *v, feeder *f,
                  const char *start, size_t len);

#endif
