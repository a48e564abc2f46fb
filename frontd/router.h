/*
 * Routes: a parsed request to its handler, by path, method and role.
 */
#ifndef FRONTD_ROUTER_H
#define FRONTD_ROUTER_H

struct conn;
struct http_request;

void	 router_request(struct conn *, const struct http_request *);
/* A refusal before any route: the parser's, or a timeout. */
void	 router_http_error(struct conn *, int status, const char *error,
	    const char *detail, int close);

#endif
