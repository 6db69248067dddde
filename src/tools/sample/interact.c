/* sample/interact.c: what sample --chat and --choose share: their options, the model, the prime,
 * and the person's text fed to the model. */
#include "interact.h"

#include "../cli.h"
#include "../common/show.h"
#include "../common/term.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sample_interact_option(sample_interact *ia, int opt, const char *a)
{
    switch (opt) {
    case O_CHAT: ia->chat = 1; break;
    case O_CHOOSE: ia->choose = (int)cli_int("--choose", a, 1, 9); break;
    case O_YOU: ia->you = a; break;
    case O_BOT: ia->bot = a; break;
    case O_TRANSCRIPT:
        if (!*a) cli_usage("--transcript: the file name is empty");
        ia->transcript = a;
        break;
    }
}

void feed_text(feeder *f, const char *what, const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = cr_utf8_decode(u + i, len - i, &cp);
        if (!k) {
            if (!f->bad_utf8_reported++)
                cli_warn("%s: bytes that are not UTF-8 were skipped (is the terminal set to "
                         "UTF-8?)", what);
            i++;
            continue;
        }
        i += k;
        if (f->novel) cr_novel_feed_cp(f->novel, cp); /* known to the model or not */
        int32_t id = cr_vocab_id(f->v, cp);
        if (id >= 0) {
            cr_sampler_feed(f->s, (uint32_t)id);
            continue;
        }
        size_t j = 0;
        while (j < f->nreported && f->reported[j] != cp)
            j++;
        if (j < f->nreported) continue;
        if (f->nreported < sizeof f->reported / sizeof *f->reported)
            f->reported[f->nreported++] = cp;
        char name[32];
        cli_warn("%s: %s is not in the model's vocabulary; skipped", what, cli_char_name(cp, name));
    }
}

/* How the options go together, before anything is read. */
static void check_options(const sample_interact *ia, const char *ckpt)
{
    const char *mode = ia->chat ? "--chat" : "--choose";
    if (ia->chat && ia->choose) cli_usage("give --chat or --choose, not both");
    if (!ia->chat && (ia->you || ia->bot || ia->transcript))
        cli_usage("%s goes with --chat", ia->you ? "--you" : ia->bot ? "--bot" : "--transcript");
    if (ia->novel && ia->choose)
        cli_usage("--novel does not go with --choose yet; to see what a text copies, save it "
                  "and use trace");
    if (ia->list)
        cli_usage("%s takes one value of %s, not a list", mode, ia->list);
    if (ia->choose && ia->stop)
        cli_usage("--stop goes with plain sampling and --chat, not --choose (you decide where "
                  "the text stops: Ctrl-D)");
    if (cli_is_stdin(ckpt))
        cli_usage("%s reads what you type from standard input, so the checkpoint cannot come "
                  "from there: give it as a file (sample %s bot.ckpt)", mode,
                  ia->chat ? "--chat" : "--choose 3");
    if (ia->prime_file && cli_is_stdin(ia->prime_file))
        cli_usage("%s reads what you type from standard input: give --prime-file a file", mode);
}

/* --prime and --prime-file: fed before the conversation, or the start of the text. */
static void feed_prime(const sample_interact *ia, feeder *f, cli_buf *prime)
{
    if (ia->prime) {
        cli_require_utf8("--prime", (const unsigned char *)ia->prime, strlen(ia->prime));
        cli_buf_add(prime, ia->prime, strlen(ia->prime));
        feed_text(f, "--prime", ia->prime, strlen(ia->prime));
    }
    if (ia->prime_file) {
        size_t len, n;
        unsigned char *t = cli_read_all(ia->prime_file, &len);
        unsigned char *u = cli_decode_text(ia->prime_file, t, len, 0, &n); /* UTF-16 too */
        cli_buf_add(prime, u, n);
        feed_text(f, ia->prime_file, (const char *)u, n);
        if (u != t) free(u);
        free(t);
    }
}

int sample_interact_run(const sample_interact *ia, const cr_sample_options *so_in,
                        const char *ckpt)
{
    check_options(ia, ckpt);
    cli_quiet_on_closed_pipe();
    cr_sample_options so = *so_in;
    const char *name = cli_file_name(ckpt);
    cr_model *m = cli_read_model(ckpt, name, NULL);
    const cr_vocab *v = cr_model_vocab(m);
    if (so.top_k > (int)v->size) so.top_k = 0; /* larger than the vocabulary: no limit */
    cr_sampler *s;
    cr_error err;
    if (cr_sampler_new(m, &so, &s, &err)) cli_die_err(name, &err);
    feeder f = {.s = s, .v = v};
    if (ia->novel && cr_novel_new(ia->corpus, v, ia->novel, &f.novel, &err))
        cli_die_err(NULL, &err);
    cli_buf prime = {0};
    feed_prime(ia, &f, &prime);
    term_catch_signals();
    int rc;
    if (ia->chat) rc = sample_chat(ia, s, v, &f);
    else rc = sample_choose(ia, s, v, &f, prime.p ? prime.p : "", prime.n);
    free(prime.p);
    cr_novel_free(f.novel);
    cr_sampler_free(s);
    cr_model_free(m);
    return rc;
}
