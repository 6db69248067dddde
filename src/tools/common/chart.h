/* chart.h: dump's pictures: the loss curves as terminal text or as SVG, and histograms. */
#ifndef CR_CHART_H
#define CR_CHART_H

#include "charrnn.h"

#include <stddef.h>

/* The training and validation loss against characters seen, 60 x 13 characters, with Unicode
 * lines when utf8, else ASCII; a one-line "loss  no history yet: ..." for an empty history. */
void chart_loss_text(const cr_model *m, int utf8);
/* The same as an 800 x 500 SVG image, titled after the base name of path ("-" is standard
 * input), with the best validation loss ringed and a legend where it hides least. */
void chart_loss_svg(const cr_model *m, const char *path);
/* count[0..bins) as one bar between '|'s, a character per bin, heights relative to the
 * largest: Unicode blocks when utf8, else the ASCII ramp .:-=+*#%@; empty bins blank. */
void chart_histogram(const size_t *count, int bins, int utf8);

#endif
