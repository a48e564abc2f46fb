/*
 * Text for control replies built in pieces: a growing buffer bounded by
 * CTL_REPLY_MAX, and JSON strings that stay valid whatever the bytes.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

void
control_text_printf(struct ctl_text *t, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 nsize;
	char	*nbuf;
	int	 n;

	if (t->error)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf != NULL ? t->buf + t->len : NULL,
		    t->buf != NULL ? t->size - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->error = 1;
			return;
		}
		if (t->buf != NULL && (size_t)n < t->size - t->len) {
			t->len += (size_t)n;
			return;
		}
		nsize = t->size == 0 ? 1024 : t->size;
		while (nsize <= t->len + (size_t)n)
			nsize *= 2;
		if (nsize > CTL_REPLY_MAX ||
		    (nbuf = realloc(t->buf, nsize)) == NULL) {
			t->error = 1;
			return;
		}
		t->buf = nbuf;
		t->size = nsize;
	}
}

/* Valid UTF-8 passes; a stray byte becomes U+FFFD. */
void
control_text_json(struct ctl_text *t, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i;

	control_text_printf(t, "\"");
	while (*p != '\0' && !t->error) {
		if (*p == '"' || *p == '\\') {
			control_text_printf(t, "\\%c", *p);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			switch (*p) {
			case '\n': control_text_printf(t, "\\n"); break;
			case '\r': control_text_printf(t, "\\r"); break;
			case '\t': control_text_printf(t, "\\t"); break;
			default: control_text_printf(t, "\\u%04x", *p); break;
			}
			p++;
			continue;
		}
		if (*p < 0x80) {
			control_text_printf(t, "%c", *p);
			p++;
			continue;
		}
		/* Length of the sequence, rejecting overlongs and surrogates. */
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 4;
		else
			n = 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0)))
			n = 0;
		if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90)))
			n = 0;
		if (n == 0) {
			control_text_printf(t, "\\ufffd");
			p++;
			continue;
		}
		control_text_printf(t, "%.*s", (int)n, (const char *)p);
		p += n;
	}
	control_text_printf(t, "\"");
}

void
control_text_free(struct ctl_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}
