/*
 * A Bloom filter that grows without being rebuilt (bloomset.c).
 */
#ifndef CFJL_BLOOMSET_H
#define CFJL_BLOOMSET_H

#include <stddef.h>
#include <stdint.h>

struct bloomset;

struct bloomset	*bloomset_new(size_t, uint64_t, uint64_t);
void		 bloomset_free(struct bloomset *);
void		 bloomset_add(struct bloomset *, const char *);
int		 bloomset_has(const struct bloomset *, const char *);
size_t		 bloomset_ids(const struct bloomset *);
size_t		 bloomset_kib(const struct bloomset *);
int		 bloomset_layers(const struct bloomset *);

#endif
