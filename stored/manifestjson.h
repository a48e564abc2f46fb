/*
 * The manifest.json of an export bundle.
 */
#ifndef STORED_MANIFESTJSON_H
#define STORED_MANIFESTJSON_H

#include <stddef.h>

struct export_manifest;

/* The manifest's JSON text; its length, or -1 if it does not fit. */
int	 manifestjson_write(const struct export_manifest *, char *, size_t);

#endif
