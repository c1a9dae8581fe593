/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "core/text.h"
#include "core/util.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned c = s[0], min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		len = 2, min = 0x80, c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, min = 0x800, c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

char *vb_text_cleann(const char *s, size_t n)
{
	if (!s)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	/* At worst a byte becomes four ("\xff"); "\u009b" is three per byte. */
	size_t cap = n * 4 + 1;
	char *out = xmalloc(cap), *o = out;
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_len(p + i, n - i, &cp);
		if (len == 0) {
			o += snprintf(o, cap - (size_t)(o - out), "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (cp == '\n') {
			*o++ = '\\', *o++ = 'n';
		} else if ((cp < 0x20 && cp != '\t') || cp == 0x7F) {
			o += snprintf(o, cap - (size_t)(o - out), "\\x%02x", cp);
		} else if (cp >= 0x80 && cp <= 0x9F) {
			o += snprintf(o, cap - (size_t)(o - out), "\\u%04x", cp);
		} else {
			memcpy(o, p + i, len);
			o += len;
		}
		i += len;
	}
	*o = '\0';
	return out;
}

char *vb_text_clean(const char *s)
{
	return s ? vb_text_cleann(s, strlen(s)) : NULL;
}

char *vb_printable(const char *s)
{
	/* One cleaner for all: vb_text_clean's escapes leave a backslash alone. */
	return s ? vb_text_clean(s) : xstrdup("(null)");
}
