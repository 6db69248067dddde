/* show.h: how the tools show a character to a person: as itself, as \n \t \r, or as U+XXXX. */
#ifndef CR_SHOW_H
#define CR_SHOW_H

#include "charrnn.h"

#include <stdint.h>

/* Whether cp would be unseen or misleading on a terminal, so is shown as U+XXXX: the Unicode
 * 14.0 categories Cc Cf Mn Me Zs (but the space) Zl Zp Co, and the Hangul fillers. */
int cli_char_invisible(uint32_t cp);
/* How a lone character is shown, in tables and vocabularies: itself, \n \t \r, ' ' for a
 * space, or U+XXXX when invisible. out gets up to 15 bytes and a NUL; returns its width in
 * terminal columns (2 for East Asian wide characters). */
int cli_char_show(uint32_t cp, char out[16]);

#endif
