/*
 * One journal record a line, as a JSON object with its keys in a fixed
 * order (auditd(8)); written here, and read back here for recovery at
 * start, for closing a file and for verification.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "auditd.h"
#include "control.h"
#include "proto.h"

static int	rec_ws(const char **, const char *);
static int	rec_string(const char **, const char *, char *, size_t);
static int	rec_uint(const char **, const char *, uint64_t *);
static void	rec_utf8(uint32_t, char *, size_t *, size_t);

void
record_time(int64_t ms, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* The inverse of record_time(); -1 if s is not in that form. */
int
record_time_parse(const char *s, int64_t *ms)
{
	struct tm	 tm;
	int		 msec, n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &msec, &n) != 7 || n != JOURNAL_TIME_LEN - 1 || s[n] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = (int64_t)timegm(&tm) * 1000 + msec;
	return 0;
}

int64_t
record_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
record_hex(const uint8_t *p, size_t n, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
record_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t	 i;
	int	 hi, lo;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' :
		    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' :
		    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
record_journal_name(uint32_t n, const char *ext, char *buf)
{
	snprintf(buf, JOURNAL_NAME_LEN, "%08u.%s", n, ext);
}

/* "00000012.log" -> 12; anything else (a stray file) -> -1. */
int
record_journal_number(const char *name, const char *ext, uint32_t *n)
{
	size_t	 i;

	if (strlen(name) != 9 + strlen(ext) || name[8] != '.' ||
	    strcmp(name + 9, ext) != 0)
		return -1;
	for (i = 0; i < 8; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	*n = (uint32_t)strtoul(name, NULL, 10);
	return *n == 0 ? -1 : 0;
}

int
record_format(struct ctl_text *t, uint64_t seq, int64_t now_ms,
    const struct audit_record *r, uid_t uid, const struct journal_chain *c)
{
	char	 now[JOURNAL_TIME_LEN + 8], then[JOURNAL_TIME_LEN + 8];
	char	 hex[JOURNAL_HEX_LEN];

	record_time(now_ms, now, sizeof(now));
	record_time(r->time_ms, then, sizeof(then));
	control_text_printf(t, "{\"seq\":%" PRIu64 ",\"time\":\"%s\","
	    "\"event_time\":\"%s\",\"process\":", seq, now, then);
	control_text_json(t, r->process);
	control_text_printf(t, ",\"uid\":%u,\"event\":", (unsigned int)uid);
	control_text_json(t, r->event);
	control_text_printf(t, ",\"subject\":");
	control_text_json(t, r->subject);
	control_text_printf(t, ",\"outcome\":");
	control_text_json(t, r->outcome);
	control_text_printf(t, ",\"details\":");
	control_text_json(t, r->details);
	if (c != NULL) {
		control_text_printf(t, ",\"prev_file\":");
		control_text_json(t, c->prev_file);
		record_hex(c->prev_sha256, SHA256_LEN, hex);
		control_text_printf(t, ",\"prev_sha256\":\"%s\"", hex);
		record_hex(c->prev_meta_sha256, SHA256_LEN, hex);
		control_text_printf(t, ",\"prev_meta_sha256\":\"%s\"", hex);
	}
	control_text_printf(t, "}\n");
	return t->error ? -1 : 0;
}

static int
rec_ws(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t'))
		(*pp)++;
	return *pp < end ? 0 : -1;
}

static void
rec_utf8(uint32_t cp, char *out, size_t *o, size_t outlen)
{
	char	 b[4];
	size_t	 n, i;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (i = 0; i < n; i++)
		if (out != NULL && *o + 1 < outlen)
			out[(*o)++] = b[i];
}

/* A JSON string, decoded into out (cut to outlen; out may be NULL). */
static int
rec_string(const char **pp, const char *end, char *out, size_t outlen)
{
	const char	*p = *pp;
	size_t		 o = 0;
	uint32_t	 cp, lo;
	int		 i;

	if (p >= end || *p != '"')
		return -1;
	for (p++; p < end && *p != '"'; ) {
		if ((unsigned char)*p < 0x20)
			return -1;
		if (*p != '\\') {
			if (out != NULL && o + 1 < outlen)
				out[o++] = *p;
			p++;
			continue;
		}
		if (++p >= end)
			return -1;
		switch (*p) {
		case '"': case '\\': case '/':
			cp = (unsigned char)*p;
			break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'u':
			if (end - p < 5)
				return -1;
			for (cp = 0, i = 1; i <= 4; i++) {
				char	 h = p[i];

				cp <<= 4;
				if (h >= '0' && h <= '9')
					cp |= (uint32_t)(h - '0');
				else if (h >= 'a' && h <= 'f')
					cp |= (uint32_t)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F')
					cp |= (uint32_t)(h - 'A' + 10);
				else
					return -1;
			}
			p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 7 &&
			    p[1] == '\\' && p[2] == 'u') {
				lo = (uint32_t)strtoul((char []){ p[3], p[4],
				    p[5], p[6], '\0' }, NULL, 16);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
			}
			break;
		default:
			return -1;
		}
		rec_utf8(cp, out, &o, outlen);
		p++;
	}
	if (p >= end)
		return -1;
	if (out != NULL && outlen > 0)
		out[o] = '\0';
	*pp = p + 1;
	return 0;
}

static int
rec_uint(const char **pp, const char *end, uint64_t *v)
{
	const char	*p = *pp;
	uint64_t	 n = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*v = n;
	*pp = p;
	return 0;
}

/*
 * A line without its newline.  Every key we write must be there; keys
 * we do not know are skipped, so that later versions can add some.
 */
int
record_parse(const char *line, size_t len, struct journal_line *jl,
    char *err, size_t errlen)
{
	const char	*p = line, *end = line + len;
	char		 key[32], hex[JOURNAL_HEX_LEN + 1];
	uint64_t	 v;
	int		 seen = 0, chain = 0;

#define SEEN_SEQ	0x01
#define SEEN_TIME	0x02
#define SEEN_PROCESS	0x04
#define SEEN_EVENT	0x08
#define SEEN_SUBJECT	0x10
#define SEEN_OUTCOME	0x20
#define SEEN_ALL	0x3f

	memset(jl, 0, sizeof(*jl));
	if (rec_ws(&p, end) == -1 || *p++ != '{')
		goto bad;
	for (;;) {
		if (rec_ws(&p, end) == -1)
			goto bad;
		if (rec_string(&p, end, key, sizeof(key)) == -1 ||
		    rec_ws(&p, end) == -1 || *p++ != ':' ||
		    rec_ws(&p, end) == -1)
			goto bad;
		if (strcmp(key, "seq") == 0 || strcmp(key, "uid") == 0) {
			if (rec_uint(&p, end, &v) == -1)
				goto bad;
			if (key[0] == 's') {
				jl->seq = v;
				seen |= SEEN_SEQ;
			}
		} else {
			char	*out = NULL;
			size_t	 outlen = 0;

			if (strcmp(key, "time") == 0) {
				out = jl->time;
				outlen = sizeof(jl->time);
				seen |= SEEN_TIME;
			} else if (strcmp(key, "process") == 0) {
				out = jl->process;
				outlen = sizeof(jl->process);
				seen |= SEEN_PROCESS;
			} else if (strcmp(key, "event") == 0) {
				out = jl->event;
				outlen = sizeof(jl->event);
				seen |= SEEN_EVENT;
			} else if (strcmp(key, "subject") == 0) {
				out = jl->subject;
				outlen = sizeof(jl->subject);
				seen |= SEEN_SUBJECT;
			} else if (strcmp(key, "details") == 0) {
				out = jl->details;
				outlen = sizeof(jl->details);
			} else if (strcmp(key, "outcome") == 0) {
				out = jl->outcome;
				outlen = sizeof(jl->outcome);
				seen |= SEEN_OUTCOME;
			} else if (strcmp(key, "prev_file") == 0) {
				out = jl->chain.prev_file;
				outlen = sizeof(jl->chain.prev_file);
				chain |= 1;
			} else if (strcmp(key, "prev_sha256") == 0 ||
			    strcmp(key, "prev_meta_sha256") == 0) {
				out = hex;
				outlen = sizeof(hex);
			}
			if (rec_string(&p, end, out, outlen) == -1)
				goto bad;
			if (out == hex) {
				if (record_unhex(hex, key[5] == 's' ?
				    jl->chain.prev_sha256 :
				    jl->chain.prev_meta_sha256,
				    SHA256_LEN) == -1)
					goto bad;
				chain |= key[5] == 's' ? 2 : 4;
			}
		}
		if (rec_ws(&p, end) == -1)
			goto bad;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			goto bad;
		break;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (p != end)
		goto bad;
	if ((seen & SEEN_ALL) != SEEN_ALL) {
		snprintf(err, errlen, "a key is missing");
		return -1;
	}
	if (chain != 0 && chain != 7) {
		snprintf(err, errlen, "incomplete chain fields");
		return -1;
	}
	jl->has_chain = chain == 7;
	return 0;
 bad:
	snprintf(err, errlen, "not a journal record (byte %td)", p - line);
	return -1;
}

/*
 * Read a .log a piece at a time: count and check its lines, hash its
 * complete ones, note a torn end (bytes after the last newline: a write
 * cut short).  auditd reads a file it just closed this way, between
 * acknowledgements; the other readers take it whole (record_scan).
 */
int
record_scan_begin(struct record_scanner *sc, int dirfd, const char *name,
    struct journal_stats *st)
{
	memset(sc, 0, sizeof(*sc));
	memset(st, 0, sizeof(*st));
	sc->st = st;
	sc->cap = JOURNAL_LINE_MAX;
	strlcpy(sc->name, name, sizeof(sc->name));
	if ((sc->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(st->error, sizeof(st->error), "%s: %s", name,
		    strerror(errno));
		return -1;
	}
	if ((sc->buf = malloc(sc->cap)) == NULL ||
	    (sc->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(sc->md, EVP_sha256(), NULL) != 1) {
		snprintf(st->error, sizeof(st->error), "out of memory");
		record_scan_end(sc);
		return -1;
	}
	return 0;
}

/* One line, complete: checked, counted, hashed. */
static int
record_scan_line(struct record_scanner *sc, const char *line, size_t len)
{
	struct journal_stats	*st = sc->st;
	struct journal_line	 jl;
	char			 err[128];

	sc->lineno++;
	if (record_parse(line, len, &jl, err, sizeof(err)) == -1) {
		snprintf(st->error, sizeof(st->error), "%s line %" PRIu64
		    ": %s", sc->name, sc->lineno, err);
		return -1;
	}
	if (st->records > 0 && jl.seq != st->last_seq + 1) {
		snprintf(st->error, sizeof(st->error), "%s line %" PRIu64
		    ": sequence %" PRIu64 " follows %" PRIu64, sc->name,
		    sc->lineno, jl.seq, st->last_seq);
		return -1;
	}
	if (st->records == 0) {
		st->first_seq = jl.seq;
		strlcpy(st->first_time, jl.time, sizeof(st->first_time));
		if (jl.has_chain && strcmp(jl.event, "journal-open") == 0) {
			st->has_chain = 1;
			st->chain = jl.chain;
		}
	}
	st->records++;
	st->last_seq = jl.seq;
	strlcpy(st->last_time, jl.time, sizeof(st->last_time));
	strlcpy(st->last_event, jl.event, sizeof(st->last_event));
	strlcpy(st->last_details, jl.details, sizeof(st->last_details));
	EVP_DigestUpdate(sc->md, line, len + 1);
	st->size += (off_t)len + 1;
	return 0;
}

/*
 * Read up to max bytes more: -1 on an error (st->error), 0 with more to
 * read, 1 at the end of the file, st then complete.
 */
int
record_scan_step(struct record_scanner *sc, size_t max)
{
	struct journal_stats	*st = sc->st;
	char			*nl;
	size_t			 used, done = 0;
	ssize_t			 n;
	unsigned int		 mdlen;

	while (done < max) {
		if ((n = read(sc->fd, sc->buf + sc->have, sc->cap -
		    sc->have)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(st->error, sizeof(st->error), "%s: %s",
			    sc->name, strerror(errno));
			return -1;
		}
		done += (size_t)n;
		sc->have += (size_t)n;
		used = 0;
		while ((nl = memchr(sc->buf + used, '\n', sc->have - used)) !=
		    NULL) {
			if (record_scan_line(sc, sc->buf + used,
			    (size_t)(nl - (sc->buf + used))) == -1)
				return -1;
			used = (size_t)(nl - sc->buf) + 1;
		}
		memmove(sc->buf, sc->buf + used, sc->have - used);
		sc->have -= used;
		if (n == 0) {
			st->torn = (off_t)sc->have;
			if (sc->keep != NULL &&
			    EVP_MD_CTX_copy_ex(sc->keep, sc->md) != 1) {
				snprintf(st->error, sizeof(st->error),
				    "out of memory");
				return -1;
			}
			EVP_DigestFinal_ex(sc->md, st->sha256, &mdlen);
			return 1;
		}
		if (sc->have == sc->cap) {
			snprintf(st->error, sizeof(st->error), "%s line %"
			    PRIu64 ": longer than %d bytes", sc->name,
			    sc->lineno + 1, JOURNAL_LINE_MAX);
			return -1;
		}
	}
	return 0;
}

void
record_scan_end(struct record_scanner *sc)
{
	EVP_MD_CTX_free(sc->md);
	free(sc->buf);
	if (sc->fd != -1)
		close(sc->fd);
	sc->md = NULL;
	sc->buf = NULL;
	sc->fd = -1;
}

/* Read a whole .log (record_scan_step). */
int
record_scan(int dirfd, const char *name, struct journal_stats *st)
{
	return record_scan_keep(dirfd, name, st, NULL);
}

/*
 * The same, and keep the digest open in keep: the SHA-256 of the
 * complete lines, to which a file continued goes on adding.
 */
int
record_scan_keep(int dirfd, const char *name, struct journal_stats *st,
    EVP_MD_CTX *keep)
{
	struct record_scanner	 sc;
	int			 rc;

	if (record_scan_begin(&sc, dirfd, name, st) == -1)
		return -1;
	sc.keep = keep;
	while ((rc = record_scan_step(&sc, SIZE_MAX)) == 0)
		;
	record_scan_end(&sc);
	return rc == 1 ? 0 : -1;
}
