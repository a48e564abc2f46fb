/*
 * A journal file just closed is read back from the disk and compared
 * with what auditd wrote into it, which its metadata already gives
 * (size, last sequence, SHA-256): a file changed behind auditd's back
 * is a damaged journal, and auditd stops.  The reading is done a piece
 * at a time, paced: read whole at the close, a 16 MiB file held every
 * acknowledgement back for 50 to 100 ms; read at 64 KiB every 10 ms it
 * takes 2.6 s and a few per cent of a core.  A file closes every 10 s at
 * the most under full load; a close that comes before the reading is
 * over finishes it first.
 */
#include <sys/types.h>
#include <sys/time.h>

#include <stdint.h>
#include <string.h>

#include <event.h>

#include "audit.h"
#include "auditd.h"
#include "log.h"

#define CLOSECHECK_STEP		(64 * 1024)	/* bytes read per turn */
#define CLOSECHECK_PAUSE_US	10000		/* between turns */

static void	closecheck_next(void);
static void	closecheck_turn(int, short, void *);
static void	closecheck_step(size_t);

static struct {
	struct record_scanner	 sc;
	struct journal_stats	 st;
	struct journal_meta	 m;		/* what was written */
	struct event		 ev;
	int			 running;
} cc;

void
closecheck_start(int dirfd, const struct journal_meta *m)
{
	closecheck_finish();
	cc.m = *m;
	if (record_scan_begin(&cc.sc, dirfd, m->file, &cc.st) == -1)
		fatalx("journal: %s: the journal is damaged", cc.st.error);
	cc.running = 1;
	evtimer_set(&cc.ev, closecheck_turn, NULL);
	closecheck_next();
}

/* The check still running, if any, is done now (another close). */
void
closecheck_finish(void)
{
	if (!cc.running)
		return;
	evtimer_del(&cc.ev);
	closecheck_step(SIZE_MAX);
}

static void
closecheck_next(void)
{
	struct timeval	 tv = { 0, CLOSECHECK_PAUSE_US };

	evtimer_add(&cc.ev, &tv);
}

static void
closecheck_turn(int fd, short ev, void *arg)
{
	closecheck_step(CLOSECHECK_STEP);
}

static void
closecheck_step(size_t max)
{
	struct journal_stats	*st = &cc.st;
	int			 rc;

	if ((rc = record_scan_step(&cc.sc, max)) == -1)
		fatalx("journal: %s: the journal is damaged", st->error);
	if (rc == 0) {
		closecheck_next();
		return;
	}
	record_scan_end(&cc.sc);
	cc.running = 0;
	if ((uint64_t)st->size != cc.m.size || st->torn != 0 ||
	    st->last_seq != cc.m.last_seq ||
	    memcmp(st->sha256, cc.m.sha256, SHA256_LEN) != 0)
		fatalx("journal: %s changed behind our back (%lld bytes, "
		    "expected %llu): the journal is damaged", cc.m.file,
		    (long long)(st->size + st->torn),
		    (unsigned long long)cc.m.size);
	log_debug("journal: %s read back as written", cc.m.file);
}
