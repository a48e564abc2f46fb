/*
 * The group commit of deposits (commit.c).
 */
#ifndef CFJL_COMMIT_H
#define CFJL_COMMIT_H

struct dreq;

void		 commit_init(void);
void		 commit_queue(struct dreq *);
void		 commit_kick(void);
int		 commit_writing(void);
void		 commit_db_down(void);
void		 commit_looked_up(void);
void		 commit_duplicate(struct dreq *);

#endif
