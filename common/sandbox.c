/*
 * Confinement of a daemon once it has opened what it needs: no core
 * dumps, resource limits, chroot and user switch when started as root,
 * no_new_privs, then a seccomp allow-list whose default kills the process.
 *
 * Debugging a missing system call: run with CFJL_SANDBOX_LOG=1 in the
 * environment.  The filter then logs forbidden calls to the kernel audit
 * log (dmesg, journalctl -k: "type=1326 ... syscall=N") instead of
 * killing the process; never set it in production.
 */
#define _GNU_SOURCE		/* setresuid, getresuid */

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/*
 * Sanitizer builds (make SAN=1).  The shadow memory alone exceeds any
 * sensible RLIMIT_AS, so none is set.  The leak check at exit needs
 * ptrace and threads, which neither a non-dumpable process nor the
 * filter allow: it is off in every program that confines itself.  An
 * error report would run llvm-symbolizer (execve) and die unprinted:
 * reports give raw addresses instead (asan_symbolize or addr2line read
 * them); they may ask whether stderr is a terminal (ioctl) and run on
 * an alternate signal stack (sigaltstack).
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN
#endif
#endif

#ifdef SANDBOX_ASAN
const char	*__asan_default_options(void);
const char	*__lsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0:symbolize=0";
}

const char *
__lsan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static void	sandbox_nocore(void);
static void	sandbox_limit(int, const char *, unsigned long);
static void	sandbox_user(const struct sandbox_policy *);
static void	sandbox_lookup(const struct sandbox_policy *);
static void	sandbox_seccomp(const struct sandbox_policy *);
static void	sandbox_allow(scmp_filter_ctx, int);
static void	sandbox_allow_args(scmp_filter_ctx);

static int	sandbox_root;	/* started as root, user switched */
/* The user, looked up before the chroot hides the password file. */
static struct {
	uid_t	 uid;
	gid_t	 gid;
	int	 found;
} sandbox_pw;

/*
 * What every daemon needs once confined.  Calls allowed only with
 * restricted arguments (socket, mmap, mprotect, tgkill) are added by
 * sandbox_allow_args() below; a policy that lists them in its own list
 * lifts the restriction for itself.
 *
 * Syslog must be opened before the chroot, with LOG_NDELAY (log_init()
 * does, and daemon_detach() calls it): /dev/log is out of reach inside.
 */
const int sandbox_base_syscalls[] = {
	/* imsg: framing over Unix sockets, descriptor passing. */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(close),
	/* recv()/send() are recvfrom/sendto; syslog(3) sends with sendto. */
	SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	/*
	 * Reconnecting to a restarted peer (common/sock.c) and syslog(3)
	 * reconnecting to /dev/log: connect, the SO_PEERCRED and SO_ERROR
	 * checks.  socket() itself is allowed for AF_UNIX only, below.
	 */
	SCMP_SYS(connect), SCMP_SYS(getsockopt),
	/* libevent: the epoll backend (poll/select as fallbacks), timers. */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
	SCMP_SYS(pselect6),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	/* libevent: non-blocking and close-on-exec flags on new sockets. */
	SCMP_SYS(fcntl),
	/* malloc: the heap and large blocks (mmap itself is below). */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	/*
	 * glibc's qsort, the first time it sorts 1 KiB or more, asks the
	 * size of memory: a batch's Client-Ids in stored, a CRL's entries
	 * in OpenSSL.  sysinfo tells memory, load and uptime, nothing of
	 * the vault's.
	 */
	SCMP_SYS(sysinfo),
	/* OpenSSL and libc locks (pthread_once, stdio): futex. */
	SCMP_SYS(futex),
	/* arc4random (libbsd, libevent) and OpenSSL's RAND: getrandom. */
	SCMP_SYS(getrandom),
	/* stdio on stderr with -d: fstat on the first write. */
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	/* log.c and syslog(3) stamp lines with the pid; abort() needs both. */
	SCMP_SYS(getpid), SCMP_SYS(gettid),
	/* Signals delivered by libevent, exit paths, interrupted sleeps. */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	-1
};

/*
 * The steps below, in the order common/proc.c takes them one by one; a
 * program with no start-up routine of its own (the sandbox test) takes
 * them all at once.
 */
void
sandbox_enter(const struct sandbox_policy *p)
{
	sandbox_chroot(p);
	sandbox_drop(p);
	sandbox_limits(p);
	sandbox_filter(p);
}

/* Only root may chroot: an ordinary user keeps the whole tree. */
void
sandbox_chroot(const struct sandbox_policy *p)
{
	/*
	 * The time zone is read now: once chrooted, localtime_r() in the
	 * logs would find no /etc/localtime and the filter forbids open.
	 */
	tzset();
	if (geteuid() != 0)
		return;
	sandbox_lookup(p);
	if (p->chroot == NULL || p->chroot[0] == '\0')
		return;
	if (chroot(p->chroot) == -1)
		fatal("%s: chroot %s", p->name, p->chroot);
	if (chdir("/") == -1)
		fatal("%s: chdir /", p->name);
}

void
sandbox_drop(const struct sandbox_policy *p)
{
	struct passwd	*pw;

	if (geteuid() == 0) {
		sandbox_user(p);
		sandbox_root = 1;
		return;
	}
	pw = getpwuid(getuid());
	log_info("%s: running as ordinary user %s: no user switch and no "
	    "chroot", p->name, pw != NULL ? pw->pw_name : "?");
}

void
sandbox_filter(const struct sandbox_policy *p)
{
	/* Not even a setuid program may give back what was dropped. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("%s: prctl PR_SET_NO_NEW_PRIVS", p->name);
	sandbox_seccomp(p);
	log_debug("%s: sandbox entered", p->name);
}

/*
 * A filter stacks on the one in place and the kernel applies both: the
 * stricter wins, so this takes syscalls_more away for good.
 */
void
sandbox_tighten(const struct sandbox_policy *p)
{
	struct sandbox_policy	 strict = *p;

	strict.syscalls_more = NULL;
	sandbox_seccomp(&strict);
	log_debug("%s: sandbox tightened", p->name);
}

/* A core file would hold keys, PINs and traces: none, ever. */
static void
sandbox_nocore(void)
{
	struct rlimit	 rl;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl PR_SET_DUMPABLE");
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit RLIMIT_CORE");
}

void
sandbox_limits(const struct sandbox_policy *p)
{
	int	 root = sandbox_root;

	sandbox_nocore();
	if (p->max_files != 0)
		sandbox_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", p->max_files);
#ifndef SANDBOX_ASAN
	if (p->max_memory != 0)
		sandbox_limit(RLIMIT_AS, "RLIMIT_AS", p->max_memory);
#endif
	/*
	 * A daemon never forks once confined, but for a parent that
	 * replaces its children (common/proc.c); each child sets the
	 * limit for itself.  The limit counts processes
	 * of the real user, so it is set only for a daemon user of our own:
	 * an ordinary user keeps its shell and everything else it runs.
	 */
	if (root && !p->forks)
		sandbox_limit(RLIMIT_NPROC, "RLIMIT_NPROC", 0);
}

static void
sandbox_limit(int resource, const char *name, unsigned long value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("setrlimit %s %lu", name, value);
}

static void
sandbox_lookup(const struct sandbox_policy *p)
{
	struct passwd	*pw;

	if (sandbox_pw.found)
		return;
	if (p->user == NULL || p->user[0] == '\0')
		fatalx("%s: no user to run as", p->name);
	if ((pw = getpwnam(p->user)) == NULL)
		fatalx("%s: unknown user %s", p->name, p->user);
	if (pw->pw_uid == 0)
		fatalx("%s: user %s is root", p->name, p->user);
	sandbox_pw.uid = pw->pw_uid;
	sandbox_pw.gid = pw->pw_gid;
	sandbox_pw.found = 1;
}

static void
sandbox_user(const struct sandbox_policy *p)
{
	uid_t		 uid, ruid, euid, suid;
	gid_t		 gid, rgid, egid, sgid;

	sandbox_lookup(p);
	uid = sandbox_pw.uid;
	gid = sandbox_pw.gid;

	if (setgroups(1, &gid) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("%s: cannot drop privileges to %s", p->name, p->user);

	/* Check that the switch holds and that root cannot come back. */
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("%s: getresuid", p->name);
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid)
		fatalx("%s: user switch to %s did not hold", p->name, p->user);
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		fatalx("%s: could regain root after dropping to %s",
		    p->name, p->user);
	log_debug("%s: running as %s (uid %u gid %u)%s%s", p->name, p->user,
	    (unsigned int)uid, (unsigned int)gid,
	    p->chroot != NULL && p->chroot[0] != '\0' ? " in " : "",
	    p->chroot != NULL ? p->chroot : "");
}

static void
sandbox_seccomp(const struct sandbox_policy *p)
{
	scmp_filter_ctx	 ctx;
	uint32_t	 deny;
	const char	*e;
	size_t		 i;
	int		 rc;

	/* KILL_PROCESS and LOG need API level 3 (Linux 4.14). */
	deny = seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL;
	if ((e = getenv("CFJL_SANDBOX_LOG")) != NULL && strcmp(e, "1") == 0) {
		if (seccomp_api_get() < 3)
			fatalx("%s: CFJL_SANDBOX_LOG needs Linux 4.14",
			    p->name);
		deny = SCMP_ACT_LOG;
		log_warnx("%s: CFJL_SANDBOX_LOG set: forbidden system calls "
		    "are logged, not stopped", p->name);
	}

	if ((ctx = seccomp_init(deny)) == NULL)
		fatalx("%s: seccomp_init failed", p->name);
	for (i = 0; sandbox_base_syscalls[i] != -1; i++)
		sandbox_allow(ctx, sandbox_base_syscalls[i]);
	sandbox_allow_args(ctx);
#ifdef SANDBOX_ASAN
	sandbox_allow(ctx, SCMP_SYS(ioctl));
	sandbox_allow(ctx, SCMP_SYS(sigaltstack));
#endif
	if (p->syscalls != NULL)
		for (i = 0; p->syscalls[i] != -1; i++)
			sandbox_allow(ctx, p->syscalls[i]);
	if (p->syscalls_more != NULL)
		for (i = 0; p->syscalls_more[i] != -1; i++)
			sandbox_allow(ctx, p->syscalls_more[i]);

	if ((rc = seccomp_load(ctx)) != 0) {
		errno = -rc;
		fatal("%s: seccomp_load", p->name);
	}
	seccomp_release(ctx);
}

static void
sandbox_allow(scmp_filter_ctx ctx, int nr)
{
	char	*name;
	int	 rc;

	/*
	 * SCMP_SYS() gives a negative pseudo-number for a call this
	 * architecture lacks (open, poll, epoll_wait, time on aarch64):
	 * resolve it by name and skip it if there is no such call here.
	 */
	if (nr < 0) {
		if ((name = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, nr)) == NULL)
			return;
		nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name);
		free(name);
		if (nr < 0)
			return;
	}
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
		errno = -rc;
		fatal("seccomp_rule_add %d", nr);
	}
}

static void
sandbox_allow_args(scmp_filter_ctx ctx)
{
	const struct {
		int		 nr;
		const char	*why;
		struct scmp_arg_cmp cmp;
	} rules[] = {
		/* syslog(3) and peer reconnection: Unix sockets only. */
		{ SCMP_SYS(socket), "socket",
		    SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0) },
		/* malloc: memory that is never executable. */
		{ SCMP_SYS(mmap), "mmap",
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) },
		{ SCMP_SYS(mprotect), "mprotect",
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) },
		/*
		 * abort() (assert, stack protector): a signal to ourselves
		 * only; a child forked after this cannot abort cleanly and
		 * dies by SIGSYS instead, which is as final.
		 */
		{ SCMP_SYS(tgkill), "tgkill",
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0) },
	};
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].nr < 0)
			continue;	/* not on this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rules[i].nr,
		    1, rules[i].cmp)) != 0) {
			errno = -rc;
			fatal("seccomp_rule_add %s", rules[i].why);
		}
	}
}
