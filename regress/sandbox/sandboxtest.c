/*
 * Exercise common/sandbox.c: enter a policy, then either report what the
 * process can see of its confinement, or try a forbidden call.  The
 * "killed ACTION" form forks, runs ACTION confined in the child, and
 * checks the child's wait status: only a death by SIGSYS passes.
 *
 * usage: sandboxtest [-sv] [-c dir] [-m bytes] [-n files] [-u user] ACTION
 *	report		print uid, gid, limits, prctl and /proc/self/status
 *	hold		print "ready", then wait for EOF on stdin
 *	execve		execve("/bin/true")
 *	socket-inet	socket(AF_INET): allowed only with -s
 *	socket-unix	socket(AF_UNIX), which syslog(3) needs
 *	mmap-exec	an executable mapping
 *	abort		abort(): must die by SIGABRT, not SIGSYS
 *	killed ACTION	run ACTION in a child that must die by SIGSYS
 */
#define _GNU_SOURCE

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

static __attribute__((__noreturn__)) void usage(void);
static int	run(const char *);
static int	killed(const char *);
static void	report(void);
static void	status_line(const char *, const char *);

/* make SAN=1: common/sandbox.c then sets no RLIMIT_AS. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN	1
#endif
#endif
#ifndef ASAN
#define ASAN	0
#endif

/* What the test itself needs on top of the daemons' base. */
static const int test_syscalls[] = {
	SCMP_SYS(prctl), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	SCMP_SYS(getuid), SCMP_SYS(getgid), SCMP_SYS(geteuid),
	SCMP_SYS(getegid), SCMP_SYS(getgroups),
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(pread64),
	-1
};
static const int test_syscalls_socket[] = {
	SCMP_SYS(prctl), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	SCMP_SYS(socket),
	-1
};

static struct sandbox_policy policy = {
	.name = "sandboxtest",
	.user = "cfjltest",
	.max_files = 64,
	.syscalls = test_syscalls,
};

static int	 status_fd = -1;	/* /proc/self/status, opened early */

static void
usage(void)
{
	fprintf(stderr, "usage: sandboxtest [-sv] [-c dir] [-m bytes] "
	    "[-n files] [-u user] action\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	int		 ch, verbose = 0;

	while ((ch = getopt(argc, argv, "c:m:n:su:v")) != -1) {
		switch (ch) {
		case 'c':
			policy.chroot = optarg;
			break;
		case 'm':
			policy.max_memory = strtonum(optarg, 0, LLONG_MAX,
			    &errstr);
			if (errstr != NULL)
				usage();
			break;
		case 'n':
			policy.max_files = strtonum(optarg, 0, 65536, &errstr);
			if (errstr != NULL)
				usage();
			break;
		case 's':
			policy.syscalls = test_syscalls_socket;
			break;
		case 'u':
			policy.user = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	log_init(1, verbose, LOG_DAEMON);
	log_procinit("sandboxtest");

	if (strcmp(argv[0], "killed") == 0) {
		if (argc != 2)
			usage();
		return (killed(argv[1]));
	}
	if (argc != 1)
		usage();
	return (run(argv[0]));
}

/* Enter the sandbox, then do one thing. */
static int
run(const char *action)
{
	char	 buf[64];
	void	*p;
	int	 fd;

	/* Like a daemon, open before confinement what is read after. */
	if ((status_fd = open("/proc/self/status", O_RDONLY)) == -1)
		fatal("open /proc/self/status");

	sandbox_enter(&policy);

	if (strcmp(action, "report") == 0) {
		report();
		return (0);
	} else if (strcmp(action, "hold") == 0) {
		printf("ready\n");
		fflush(stdout);
		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		return (0);
	} else if (strcmp(action, "execve") == 0) {
		char *const args[] = { "true", NULL };

		execve("/bin/true", args, NULL);
		printf("execve returned: %s\n", strerror(errno));
	} else if (strcmp(action, "socket-inet") == 0) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			printf("socket AF_INET failed: %s\n", strerror(errno));
		else
			printf("socket AF_INET ok\n");
		return (fd == -1);
	} else if (strcmp(action, "socket-unix") == 0) {
		if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
			printf("socket AF_UNIX failed: %s\n", strerror(errno));
		else
			printf("socket AF_UNIX ok\n");
		return (fd == -1);
	} else if (strcmp(action, "mmap-exec") == 0) {
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("mmap PROT_EXEC returned %s\n",
		    p == MAP_FAILED ? strerror(errno) : "a mapping");
	} else if (strcmp(action, "abort") == 0) {
		abort();
	} else
		usage();
	return (3);	/* still alive where it should not be */
}

/* The child must die of SIGSYS, and nothing else. */
static int
killed(const char *action)
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		_exit(run(action));
	if (waitpid(pid, &status, 0) == -1)
		fatal("waitpid");
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		printf("%s: killed by SIGSYS%s\n", action,
		    WCOREDUMP(status) ? " (core dumped!)" : "");
		return (WCOREDUMP(status) ? 1 : 0);
	}
	if (WIFSIGNALED(status))
		printf("%s: killed by signal %d, not SIGSYS\n", action,
		    WTERMSIG(status));
	else
		printf("%s: exited %d, not killed\n", action,
		    WEXITSTATUS(status));
	return (1);
}

static void
report(void)
{
	struct rlimit	 rl;
	gid_t		 groups[16];
	int		 fd, n;

	printf("asan %d\n", ASAN);
	printf("uid %u\neuid %u\ngid %u\negid %u\n", (unsigned)getuid(),
	    (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
	n = getgroups(16, groups);
	printf("groups %d", n);
	while (n-- > 0)
		printf(" %u", (unsigned)groups[n]);
	printf("\n");
	printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	if (getrlimit(RLIMIT_CORE, &rl) == 0)
		printf("core %llu %llu\n", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)rl.rlim_max);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		printf("nofile %llu\n", (unsigned long long)rl.rlim_cur);
	if (getrlimit(RLIMIT_AS, &rl) == 0)
		printf("as %lld\n", rl.rlim_cur == RLIM_INFINITY ? -1LL :
		    (long long)rl.rlim_cur);
	if (getrlimit(RLIMIT_NPROC, &rl) == 0)
		printf("nproc %lld\n", rl.rlim_cur == RLIM_INFINITY ? -1LL :
		    (long long)rl.rlim_cur);
	if ((fd = open("/etc/passwd", O_RDONLY)) == -1)
		printf("passwd %s\n", strerror(errno));
	else
		printf("passwd readable\n");
	status_line("NoNewPrivs:", "status_no_new_privs");
	status_line("Seccomp:", "status_seccomp");
	fflush(stdout);
}

/* Print the value of one /proc/self/status field, read now. */
static void
status_line(const char *field, const char *label)
{
	char		 buf[4096], *p, *e;
	ssize_t		 n;

	if ((n = pread(status_fd, buf, sizeof(buf) - 1, 0)) == -1)
		fatal("pread /proc/self/status");
	buf[n] = '\0';
	if ((p = strstr(buf, field)) == NULL) {
		printf("%s missing\n", label);
		return;
	}
	p += strlen(field);
	p += strspn(p, " \t");
	if ((e = strchr(p, '\n')) != NULL)
		*e = '\0';
	printf("%s %s\n", label, p);
}
