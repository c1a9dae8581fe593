/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_TEXT_H
#define VB_CORE_TEXT_H

#include <stddef.h>

/*
 * Text a guest wrote, made safe to print on a terminal and to store: every
 * control character (C0 but tab, DEL, and the C1 range U+0080..U+009F) and
 * every byte that is not part of valid UTF-8 becomes a visible escape
 * (\x1b, \n, \u009b, \xff); the rest is copied. The one helper for every
 * path that prints or stores guest text. Caller frees; NULL gives NULL.
 */
char *vb_text_clean(const char *s);

/* As vb_text_clean for the first len bytes of s (which may hold NULs). */
char *vb_text_cleann(const char *s, size_t len);

/*
 * A copy of s safe to print on a terminal: vb_text_clean, and
 * "(null)" for NULL. A backslash stays as it is, so that escaping twice (a
 * message built from escaped parts, escaped again when printed) changes
 * nothing. For every user or guest string echoed in a message. Caller frees.
 */
char *vb_printable(const char *s);

#endif
