/*
 * The ARJEL schema set, loaded once at start before the sandbox: every
 * *.xsd at the top of the configured directory (CJ.xsd, PASP.xsd; the
 * include/ files come in through xs:include).  The event types are the
 * global elements each file itself declares, and each type is validated
 * against the file that declares it.
 */
#include <sys/types.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "log.h"
#include "trace.h"

#define XSD_NS	"http://www.w3.org/2001/XMLSchema"

struct trace_type {
	char		 name[TYPE_NAME_MAX];
	int		 file;
};

struct trace_schemas {
	xmlSchemaPtr	 schema[TRACE_SCHEMA_FILES];
	int		 nfiles;
	struct trace_type types[TRACE_TYPES_MAX];
	size_t		 ntypes;
};

static int	schema_xsd_filter(const struct dirent *);
static int	schema_types(struct trace_schemas *, const char *, int);
static int	schema_load_one(struct trace_schemas *, const char *);

static int
schema_xsd_filter(const struct dirent *d)
{
	size_t	 l = strlen(d->d_name);

	return d->d_name[0] != '.' && l > 4 &&
	    strcmp(d->d_name + l - 4, ".xsd") == 0;
}

/* The global xs:element names the file declares itself. */
static int
schema_types(struct trace_schemas *s, const char *path, int file)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, n;
	xmlChar		*name;
	int		 i, rc = 0;

	if ((doc = xmlReadFile(path, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) == NULL) {
		log_warnx("%s: not well-formed", path);
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || root->ns == NULL ||
	    !xmlStrEqual(root->ns->href, BAD_CAST XSD_NS) ||
	    !xmlStrEqual(root->name, BAD_CAST "schema")) {
		log_warnx("%s: not an XML schema", path);
		xmlFreeDoc(doc);
		return -1;
	}
	for (n = root->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || n->ns == NULL ||
		    !xmlStrEqual(n->ns->href, BAD_CAST XSD_NS) ||
		    !xmlStrEqual(n->name, BAD_CAST "element"))
			continue;
		if ((name = xmlGetProp(n, BAD_CAST "name")) == NULL)
			continue;
		for (i = 0; i < (int)s->ntypes; i++)
			if (strcmp(s->types[i].name, (char *)name) == 0)
				break;
		if (i < (int)s->ntypes) {
			log_warnx("%s: element %s is already declared by "
			    "another file", path, name);
			rc = -1;
		} else if (s->ntypes >= TRACE_TYPES_MAX) {
			log_warnx("%s: more than %d event types", path,
			    TRACE_TYPES_MAX);
			rc = -1;
		} else if (strlcpy(s->types[s->ntypes].name, (char *)name,
		    TYPE_NAME_MAX) >= TYPE_NAME_MAX) {
			log_warnx("%s: element name %s too long", path, name);
			rc = -1;
		} else
			s->types[s->ntypes++].file = file;
		xmlFree(name);
	}
	xmlFreeDoc(doc);
	return rc;
}

static int
schema_load_one(struct trace_schemas *s, const char *path)
{
	xmlSchemaParserCtxtPtr	 pctx;
	xmlSchemaPtr		 schema;

	if (s->nfiles >= TRACE_SCHEMA_FILES) {
		log_warnx("%s: more than %d schema files", path,
		    TRACE_SCHEMA_FILES);
		return -1;
	}
	if ((pctx = xmlSchemaNewParserCtxt(path)) == NULL)
		return -1;
	schema = xmlSchemaParse(pctx);
	xmlSchemaFreeParserCtxt(pctx);
	if (schema == NULL) {
		log_warnx("%s: not a valid XML schema", path);
		return -1;
	}
	s->schema[s->nfiles] = schema;
	if (schema_types(s, path, s->nfiles) == -1) {
		xmlSchemaFree(schema);
		return -1;
	}
	s->nfiles++;
	return 0;
}

struct trace_schemas *
trace_schemas_load(const char *dir)
{
	struct trace_schemas	*s;
	struct dirent		**names = NULL;
	xmlExternalEntityLoader	 loader;
	char			 path[PATH_MAX];
	int			 n, i, rc = 0;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((n = scandir(dir, &names, schema_xsd_filter, alphasort)) == -1) {
		log_warn("schemas %s", dir);
		free(s);
		return NULL;
	}
	/* xs:include reads local files; traces never may (trace_init). */
	loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    names[i]->d_name) >= sizeof(path))
				rc = -1;
			else
				rc = schema_load_one(s, path);
		}
		free(names[i]);
	}
	free(names);
	xmlSetExternalEntityLoader(loader);
	if (rc == 0 && s->ntypes == 0) {
		log_warnx("schemas %s: no event type declared", dir);
		rc = -1;
	}
	if (rc == -1) {
		trace_schemas_free(s);
		return NULL;
	}
	log_debug("schemas %s: %d files, %zu event types", dir, s->nfiles,
	    s->ntypes);
	return s;
}

void
trace_schemas_free(struct trace_schemas *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nfiles; i++)
		xmlSchemaFree(s->schema[i]);
	free(s);
}

int
trace_schemas_find(const struct trace_schemas *s, const char *root)
{
	size_t	 i;

	for (i = 0; i < s->ntypes; i++)
		if (strcmp(s->types[i].name, root) == 0)
			return s->types[i].file;
	return -1;
}

void *
trace_schemas_get(const struct trace_schemas *s, int file)
{
	if (file < 0 || file >= s->nfiles)
		return NULL;
	return s->schema[file];
}

size_t
trace_schemas_ntypes(const struct trace_schemas *s)
{
	return s->ntypes;
}
