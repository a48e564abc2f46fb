/*
 * A lexical walk over the raw bytes of a document that libxml2 has
 * already found well-formed: where each tag starts and ends, so that
 * frontd can cut and splice the deposited bytes without re-serializing;
 * and, before libxml2 sees a document, its attributes counted.
 */
#ifndef FRONTD_XMLSCAN_H
#define FRONTD_XMLSCAN_H

#include <stddef.h>

enum xmlscan_kind {
	XS_START = 1,		/* <name ...> */
	XS_EMPTY,		/* <name .../> */
	XS_END			/* </name> */
};

struct xmlscan_tok {
	enum xmlscan_kind kind;
	size_t		 start;		/* offset of '<' */
	size_t		 end;		/* offset after '>' */
	size_t		 name;		/* offset of the name */
	size_t		 namelen;
	unsigned int	 depth;		/* elements open around this tag */
	unsigned int	 nattrs;	/* quoted values in the tag */
	unsigned int	 nns;		/* of them, xmlns(:p) */
};

struct xmlscan {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	unsigned int	 depth;
	int		 strict;	/* no '<' in a PI (xmlscan_bound) */
};

void	xmlscan_init(struct xmlscan *, const char *, size_t);
/* 1: a tag in *tok; 0: end of input; -1: not well-formed. */
int	xmlscan_next(struct xmlscan *, struct xmlscan_tok *);
/*
 * Before libxml2, the bounds that keep its work linear: 0 if every tag
 * has at most maxattrs attributes (libxml2 2.9 compares them pairwise),
 * the document at most maxns namespace declarations and elements nested
 * at most maxdepth deep (libxml2 looks a prefix up through every
 * declaration in scope); else -1 (attributes), -4 (depth), -5
 * (namespaces), -2 if the bytes are not what the count can be sure of,
 * -3 if an encoding other than UTF-8 is declared (its name at *off);
 * *off and *why say where and what.
 */
int	xmlscan_bound(const char *, size_t, unsigned int, unsigned int,
	    unsigned int, size_t *, const char **);
int	xmlscan_name_is(const struct xmlscan *, const struct xmlscan_tok *,
	    const char *);

#endif
