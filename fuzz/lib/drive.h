/*
 * Driving a daemon's message table from fuzz input, the way common/peer.c
 * does: each message is dispatched through msg_dispatch() with the
 * handlers' real argument, and the first protocol error drops the link
 * (what follows it in the input is never read, as on a real socket).
 *
 * The input is a run of messages, each a five-byte header and its
 * payload:
 *	byte 0	which of the receiver's tables (modulo their number)
 *	byte 1	bit 7 clear: the type of entry (byte % entries) of the
 *		table; bit 7 set: the type byte & 0x7f, whatever it is
 *	byte 2	bit 0: a descriptor comes with it (a memory file holding
 *		the payload); bit 1: the sender is bits 2-7, not the one
 *		the table hears from
 *	3, 4	payload length, little-endian, cut to what is left
 * fuzz/mkseeds writes inputs in this form from typed messages.
 */
#ifndef FUZZ_DRIVE_H
#define FUZZ_DRIVE_H

#include <stddef.h>
#include <stdint.h>

struct msg_table;
struct peer;

struct drive_target {
	const struct msg_table	*table;
	unsigned int		 from;	/* MSG_* bit it hears from */
	void			*arg;	/* handed to the handlers */
	/* After each message handled (the event loop's turn); may be NULL. */
	void			(*turn)(void *arg);
	/* The link was dropped on a protocol error; may be NULL. */
	void			(*dropped)(void *arg);
};

/* Messages handled without error (the link survived them all: -1). */
int	drive(const struct drive_target *, size_t, const uint8_t *, size_t);

/*
 * A peer that is up, named and with the sender bit of name, writing to
 * a socket nobody reads: what handlers answer is queued, and dropped by
 * drive_peer_clear().
 */
void	drive_peer(struct peer *, const char *name);
void	drive_peer_clear(struct peer *);

/* Once per process: the event base, logs to stderr at warning level. */
void	drive_init(const char *title);

#endif
