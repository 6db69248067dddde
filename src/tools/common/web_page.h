/* web_page.h: dump --html: the bot as one self-contained web page (docs/web-page.md). */
#ifndef CR_WEB_PAGE_H
#define CR_WEB_PAGE_H

#include "charrnn.h"

/* The page's parts, embedded at build time from src/tools/page/ (page_assets.c, made by
 * src/tools/page/embed.sh): the HTML with its four markers, the style sheet and the script. */
extern const unsigned char PAGE_HTML[], PAGE_CSS[], PAGE_JS[];
extern const unsigned long PAGE_HTML_LEN, PAGE_CSS_LEN, PAGE_JS_LEN;

/* Writes the page for model m with the weights w (cr_model_params of m) to path, atomically
 * (save.c): the template, a Content-Security-Policy that forbids the network, the model's
 * description and lineage as JSON, its weights as base64 little-endian floats of precision
 * 16 or 32 bits, and the loss curve of chart_loss_svg. name is the model's file name, shown
 * on the page; what says which weights these are ("best weights, from step 300"). Never
 * writes the corpus: a checkpoint does not hold it. */
int web_page_write(const cr_model *m, const float *w, int precision, const char *name,
                   const char *what, const char *path, cr_error *err);

#endif
