/*
 * The regulator's certificate, checked at start: every event is
 * encrypted for it.
 */
#ifndef STORED_REGCERT_H
#define STORED_REGCERT_H

#include "config.h"

void		 regcert_check(const struct cfjl_conf *, const char *certfile);

#endif
