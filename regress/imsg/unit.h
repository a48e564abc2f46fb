/*
 * What the message layer's unit tests share (unit.c): one line a check,
 * and socketpairs.
 */
#ifndef CFJL_UNIT_H
#define CFJL_UNIT_H

void	check(int ok, const char *what);
void	pair(int sv[2], int nonblock);
int	unit_done(void);	/* prints the count; the exit status */

#endif
