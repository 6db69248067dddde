/* show.h: how the tools show a character to a person: as itself, or escaped when invisible. */
#ifndef CR_SHOW_H
#define CR_SHOW_H

#include "charrnn.h"

#include <stddef.h>
#include <stdint.h>

/* One policy for every tool: a character is shown as itself unless it would be unseen or
 * misleading on a terminal: the Unicode 14.0 categories Cc Cf Mn Me Zs (but the space) Zl Zp
 * Co, and the Hangul fillers. Those are written as U+XXXX when alone (tables, messages) and
 * as \uXXXX inside a quoted text; \n \t \r are written so in both. */
int cli_char_invisible(uint32_t cp);
/* A lone character, for tables and vocabularies: itself, \n \t \r, ' ' for a space, or
 * U+XXXX. out gets up to 15 bytes and a NUL; returns its width in terminal columns (2 for
 * East Asian wide characters). */
int cli_char_show(uint32_t cp, char out[16]);
/* A character for a message: 'é' (U+00E9), or U+XXXX alone for a space or one shown so. */
const char *cli_char_name(uint32_t cp, char out[32]);
/* A text to stdout (names, commands, vocabulary strings): each character as itself, but \n
 * \t \r, other controls and bytes that are not UTF-8 as \xHH, invisible characters as
 * \uXXXX (\UXXXXXXXX above U+FFFF); with quoted, also \\ and \"; with ascii (a locale that is
 * not UTF-8), everything beyond ASCII as \uXXXX. */
void cli_show_text(const char *s, size_t len, int quoted, int ascii);

#endif
