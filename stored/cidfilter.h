/*
 * The Client-Ids certainly never stored (cidfilter.c): a Bloom filter
 * that spares new ids their lookup.
 */
#ifndef CFJL_CIDFILTER_H
#define CFJL_CIDFILTER_H

void	 cidfilter_init(void);
int	 cidfilter_absent(const char *);
void	 cidfilter_add(const char *);
void	 cidfilter_db_up(void);
void	 cidfilter_db_down(void);
const char *cidfilter_state(size_t *, size_t *);

#endif
