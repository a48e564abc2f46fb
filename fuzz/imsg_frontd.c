/*
 * frontd's table for what stored sends (frontd/links.c), driven with
 * typed messages (lib/drive.h).  frontd is linked whole; before each
 * input, one client connection waits for an answer of every kind (a
 * single and a batch deposit, a lot, the status, the requests, an export
 * over HTTP/1.1 and one over 1.0), and a deposit and an export wait
 * whose client has left.  Their reqids are 1 to 9 in that order.  After
 * each message the connection's answers are moved to its output as the
 * event loop would; at the end the link to stored goes down, which
 * answers whatever still waits.
 */
#include "../frontd/conn.c"
#include "../frontd/links.c"

#include "drive.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct conn	*fc;
static struct client	 fclient;

static const struct {
	int	 kind;
	int	 batch;
	uint32_t ntraces;
	int	 streaming;
	int	 chunked;
	int	 gone;		/* the client left */
} waits[] = {
	{ RESP_DEPOSIT, 0, 1, 0, 0, 0 },
	{ RESP_DEPOSIT, 1, 3, 0, 0, 0 },
	{ RESP_LOT, 0, 0, 0, 0, 0 },
	{ RESP_STATUS, 0, 0, 0, 0, 0 },
	{ RESP_REQUESTS, 0, 0, 0, 0, 0 },
	{ RESP_EXPORT, 0, 0, 1, 1, 0 },
	{ RESP_EXPORT, 0, 0, 1, 0, 0 },
	{ RESP_DEPOSIT, 0, 1, 0, 0, 1 },
	{ RESP_EXPORT, 0, 0, 1, 1, 1 },
};

/* The event loop's turn: ready answers go to the output, then out. */
static void
front_turn(void *arg)
{
	conn_flush(fc);
	fc->outlen = fc->outoff = 0;
}

static void
front_dropped(void *arg)
{
	links_down(&links_stored);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	drive_init("frontd");
	if ((env->conf = calloc(1, sizeof(*env->conf))) == NULL)
		abort();
	config_defaults(env->conf);
	env->limits.max_headers = 32;
	env->limits.max_header_size = 8192;
	env->limits.max_body = 1 << 20;
	env->started = time(NULL);
	drive_peer(&links_stored, "stored");
	strlcpy(fclient.addr, "192.0.2.1", sizeof(fclient.addr));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct drive_target	 t = { &links_table, MSG_STORED,
					    &links_stored, front_turn,
					    front_dropped };
	struct resp			*r;
	size_t				 i;

	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		abort();
	fc->fd = -1;
	fc->state = CONN_ACTIVE;
	fc->client = &fclient;
	strlcpy(fc->subject, "CN=capture 48", sizeof(fc->subject));
	TAILQ_INIT(&fc->resps);
	evtimer_set(&fc->kick, conn_kick, fc);
	links_nextreqid = 0;
	env->stored_up = 1;
	for (i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		r = conn_resp_new(fc, waits[i].kind);
		r->batch = waits[i].batch;
		r->ntraces = waits[i].ntraces;
		r->streaming = waits[i].streaming;
		r->chunked = waits[i].chunked;
		r->close = waits[i].streaming && !waits[i].chunked;
		r->lot = 7;
		strlcpy(r->client_id, "c-1", sizeof(r->client_id));
		links_wait(r);
		if (waits[i].gone) {
			TAILQ_REMOVE(&fc->resps, r, entry);
			fc->nresps--;
			r->conn = NULL;
		}
	}

	if (drive(&t, 1, data, size) == -1)
		links_down(&links_stored);
	front_turn(NULL);

	/* The connection closes: what is left of it goes. */
	while ((r = TAILQ_FIRST(&fc->resps)) != NULL) {
		TAILQ_REMOVE(&fc->resps, r, entry);
		resp_free(r);
	}
	event_del(&fc->kick);
	free(fc->out);
	free(fc);
	fc = NULL;
	roles_reset();
	roles_commit();
	drive_peer_clear(&links_stored);
	if (!RB_EMPTY(&links_pending))
		abort();
	return 0;
}
