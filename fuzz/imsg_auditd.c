/*
 * auditd's two tables, driven with typed messages (lib/drive.h): table
 * 0 is audit.sock (records and close requests from frontd, stored and
 * sealerd: auditd/auditsock.c), table 1 what sealerd answers about the
 * signature of a closed file (auditd/filesign.c).  auditd is linked
 * whole and each input gets a journal of its own, in a new directory:
 * records are written and synced at every turn of the loop, a close
 * request closes the file and asks sealerd to sign it (the request is
 * numbered by the file: 1 for the first), and a signature that comes
 * back is checked against the file and kept.
 */
#define _GNU_SOURCE	/* nftw */
#include <ftw.h>

#include "../auditd/journal.c"
#include "../auditd/auditsock.c"
#include "../auditd/filesign.c"

#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct peer	 cpeer;		/* a client of audit.sock */
static char		 base[PATH_MAX], dir[PATH_MAX];

static void
auditd_turn(void *arg)
{
	journal_commit();
}

static void
auditd_client_dropped(void *arg)
{
	server_on_down(&cpeer);
}

/* auditd's own records go straight in, as auditd.c wires them. */
static void
auditd_local_ack(void *ctx, uint64_t id, uint64_t seq)
{
	audit_local_ack(id, seq);
}

static void
auditd_sink(const struct audit_record *r)
{
	journal_append(r, getuid(), auditd_local_ack, NULL);
}

static int
auditd_rm(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			    "/tmp";

	drive_init("auditd");
	snprintf(base, sizeof(base), "%s/cfjl-fuzz-auditd.XXXXXX", tmp);
	if (mkdtemp(base) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/journal", base);
	audit_init_local("auditd", auditd_sink);
	filesign_init();
	drive_peer(&cpeer, "stored");
	drive_peer(&seal.peer, "sealerd");
	seal.dialing = 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct drive_target	 t[] = {
		{ &server_table, MSG_STORED, &cpeer, auditd_turn,
		    auditd_client_dropped },
		{ &seal_table, MSG_SEALERD, &seal.peer, auditd_turn, NULL },
	};
	struct auditd_ctl_journal_conf	 jc;
	struct seal_item		*it;

	memset(&jc, 0, sizeof(jc));
	jc.operator_id = 48;
	jc.vault_id = 1;
	jc.rotate_size = 64 * 1024;
	journal_open(dir, (uid_t)-1, (gid_t)-1, &jc);

	(void)drive(t, 2, data, size);
	journal_commit();

	/* Everything of this journal goes, for the next input's. */
	journal_forget(&cpeer);
	close(j.fd);
	close(j.dirfd);
	control_text_free(&j.wbuf);
	evtimer_del(&j.commit_ev);
	memset(&j, 0, sizeof(j));
	j.dirfd = j.fd = -1;
	j.nextseq = 1;
	while ((it = TAILQ_FIRST(&seal.pending)) != NULL) {
		TAILQ_REMOVE(&seal.pending, it, entry);
		free(it);
	}
	seal.npending = 0;
	seal.inflight = 0;
	evtimer_del(&seal.retry);
	evtimer_del(&seal.timeout);
	drive_peer_clear(&cpeer);
	drive_peer_clear(&seal.peer);
	if (nftw(dir, auditd_rm, 8, FTW_DEPTH | FTW_PHYS) == -1)
		abort();
	return 0;
}
