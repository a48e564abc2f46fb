/*
 * Realistic traces for the benchmark, made from the ARJEL sample events
 * read at start: the IDEvt becomes 0 (numbering belongs to the vault),
 * and each trace gets its own DateEvt, IDJoueur, IDSession and, where
 * the event has one, Mise, so that no two traces are alike.  IDSession
 * (string-256) is sized so that traces spread over 400 to 800 bytes;
 * every value keeps to its schema type.
 */
#include <sys/types.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen.h"
#include "log.h"

#define GEN_TYPES_MAX	64
#define GEN_DECL	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

enum gen_field {
	F_DATEEVT = 0,
	F_IDEVT,
	F_IDJOUEUR,
	F_IDSESSION,
	F_MISE,
	F_IDOPER,
	F_IDCOFFRE,
	F_COUNT
};

static const char *gen_names[F_COUNT] = {
	"DateEvt", "IDEvt", "IDJoueur", "IDSession", "Mise", "IDOper",
	"IDCoffre"
};

/* A sample without its XML declaration, and where each field's text is. */
struct gen_tmpl {
	char	 name[64];
	char	*text;
	size_t	 len;
	size_t	 start[F_COUNT];	/* content, 0 if absent */
	size_t	 end[F_COUNT];
	int	 order[F_COUNT];	/* present fields by position */
	int	 nfields;
};

static struct gen_tmpl	 gen_tmpls[GEN_TYPES_MAX];
static size_t		 gen_n;
static uint64_t		 gen_rng = 0x9e3779b97f4a7c15ULL;
static char		 gen_oper[16], gen_vault[16];
static time_t		 gen_base;

static int	 gen_filter(const struct dirent *);
static void	 gen_parse(struct gen_tmpl *, const char *, char *, size_t);
static uint64_t	 gen_rand(void);

static uint64_t
gen_rand(void)
{
	gen_rng ^= gen_rng >> 12;
	gen_rng ^= gen_rng << 25;
	gen_rng ^= gen_rng >> 27;
	return gen_rng * 0x2545f4914f6cdd1dULL;
}

/* Event samples; placeholder-* only show an IDEvt form and are partial. */
static int
gen_filter(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".xml") == 0 &&
	    strncmp(d->d_name, "placeholder", 11) != 0;
}

/* Find each field's first simple element; strip the XML declaration. */
static void
gen_parse(struct gen_tmpl *t, const char *name, char *buf, size_t len)
{
	char	 open[48], close[48], *p, *q, *s;
	int	 f, i, j;

	s = buf;
	if (strncmp(s, "<?xml", 5) == 0 && (p = strstr(s, "?>")) != NULL) {
		s = p + 2;
		while (*s == '\n' || *s == '\r' || *s == ' ')
			s++;
	}
	t->len = len - (s - buf);
	if ((t->text = malloc(t->len + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(t->text, s, t->len);
	t->text[t->len] = '\0';
	while (t->len > 0 && (t->text[t->len - 1] == '\n' ||
	    t->text[t->len - 1] == '\r'))
		t->text[--t->len] = '\0';
	strlcpy(t->name, name, sizeof(t->name));

	for (f = 0; f < F_COUNT; f++) {
		snprintf(open, sizeof(open), "<%s>", gen_names[f]);
		snprintf(close, sizeof(close), "</%s>", gen_names[f]);
		if ((p = strstr(t->text, open)) == NULL)
			continue;
		p += strlen(open);
		if ((q = strstr(p, close)) == NULL || memchr(p, '<', q - p) !=
		    NULL) {
			/* <IDEvt><!--SAFE_ID--></IDEvt>: the comment goes too. */
			if (f != F_IDEVT || q == NULL)
				continue;
		}
		t->start[f] = p - t->text;
		t->end[f] = q - t->text;
		t->order[t->nfields++] = f;
	}
	if (t->start[F_IDEVT] == 0)
		fatalx("sample %s: no IDEvt element", name);
	/* Fields by position, for one pass when writing. */
	for (i = 1; i < t->nfields; i++)
		for (j = i; j > 0 && t->start[t->order[j]] <
		    t->start[t->order[j - 1]]; j--) {
			f = t->order[j];
			t->order[j] = t->order[j - 1];
			t->order[j - 1] = f;
		}
}

void
gen_load(const char *dir, unsigned int oper, unsigned int vault)
{
	struct dirent	**list;
	char		  path[1024], *buf;
	FILE		 *fp;
	size_t		  len;
	int		  i, n;

	if ((n = scandir(dir, &list, gen_filter, alphasort)) == -1)
		fatal("samples %s", dir);
	for (i = 0; i < n; i++) {
		if (gen_n < GEN_TYPES_MAX) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    list[i]->d_name);
			if ((fp = fopen(path, "r")) == NULL)
				fatal("%s", path);
			if ((buf = malloc(GEN_TRACE_MAX)) == NULL)
				fatal("%s", __func__);
			len = fread(buf, 1, GEN_TRACE_MAX - 1, fp);
			fclose(fp);
			buf[len] = '\0';
			if (len > 0 && len < GEN_TRACE_MAX / 2) {
				gen_parse(&gen_tmpls[gen_n], list[i]->d_name,
				    buf, len);
				gen_n++;
			}
			free(buf);
		}
		free(list[i]);
	}
	free(list);
	if (gen_n == 0)
		fatalx("no sample traces in %s", dir);
	snprintf(gen_oper, sizeof(gen_oper), "%u", oper);
	snprintf(gen_vault, sizeof(gen_vault), "%u", vault);
	gen_base = time(NULL);
	gen_rng ^= (uint64_t)gen_base * 0x100000001b3ULL;
}

size_t
gen_ntypes(void)
{
	return gen_n;
}

/*
 * Write one trace.  The fixed parts and the varied fields are laid out
 * first with a short IDSession, which is then lengthened towards a
 * target size drawn between 400 and 800 bytes.
 */
size_t
gen_trace(char *out, int decl, size_t *idoff)
{
	static uint64_t		 seq;
	const struct gen_tmpl	*t;
	char			 val[F_COUNT][320];
	size_t			 vlen[F_COUNT], fixed, pos, o, target;
	struct tm		 tm;
	time_t			 when;
	uint64_t		 r;
	int			 f, i, pad;

	t = &gen_tmpls[gen_rand() % gen_n];
	seq++;
	r = gen_rand();
	when = gen_base - (time_t)(r % 86400);
	gmtime_r(&when, &tm);
	snprintf(val[F_DATEEVT], sizeof(val[0]), "%02d%02d%02d%02d%02d%02d",
	    tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	strlcpy(val[F_IDEVT], "0", sizeof(val[0]));
	snprintf(val[F_IDJOUEUR], sizeof(val[0]), "joueur%06u@exemple.fr",
	    (unsigned int)((r >> 20) % 1000000));
	snprintf(val[F_MISE], sizeof(val[0]), "%u.%02u",
	    (unsigned int)((r >> 40) % 500 + 1),
	    (unsigned int)((r >> 50) % 100));
	strlcpy(val[F_IDOPER], gen_oper, sizeof(val[0]));
	strlcpy(val[F_IDCOFFRE], gen_vault, sizeof(val[0]));
	snprintf(val[F_IDSESSION], sizeof(val[0]), "S%016llx",
	    (unsigned long long)(gen_rand() ^ seq));

	/* Size without padding: fixed text plus every value. */
	fixed = t->len + (decl ? sizeof(GEN_DECL) - 1 : 0);
	for (i = 0; i < t->nfields; i++) {
		f = t->order[i];
		vlen[f] = strlen(val[f]);
		fixed = fixed - (t->end[f] - t->start[f]) + vlen[f];
	}
	target = 400 + gen_rand() % 401;
	if (t->start[F_IDSESSION] != 0 && target > fixed) {
		pad = target - fixed;
		if (pad > 230)
			pad = 230;
		for (o = vlen[F_IDSESSION]; pad > 0; pad--, o++)
			val[F_IDSESSION][o] =
			    "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[gen_rand() & 31];
		val[F_IDSESSION][o] = '\0';
		vlen[F_IDSESSION] = o;
	}

	o = 0;
	if (decl) {
		memcpy(out, GEN_DECL, sizeof(GEN_DECL) - 1);
		o = sizeof(GEN_DECL) - 1;
	}
	pos = 0;
	for (i = 0; i < t->nfields; i++) {
		f = t->order[i];
		memcpy(out + o, t->text + pos, t->start[f] - pos);
		o += t->start[f] - pos;
		if (f == F_IDEVT)
			*idoff = o;
		memcpy(out + o, val[f], vlen[f]);
		o += vlen[f];
		pos = t->end[f];
	}
	memcpy(out + o, t->text + pos, t->len - pos);
	o += t->len - pos;
	if (o >= GEN_TRACE_MAX)
		fatalx("%s: trace too long", __func__);
	out[o] = '\0';
	return o;
}
