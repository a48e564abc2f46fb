/*
 * cfjlctl: administration of a running vault over the daemons' control
 * sockets.  It parses the command line, routes each command to the
 * daemon that owns it (role and lot: stored; journal: auditd; status,
 * reload, stop: every daemon present), and prints the answers for
 * people, or as JSON for scripts (-j).  A command that changes the vault
 * is signed for the daemon it goes to (ctlsig.h) with the key of -K or
 * -P, else the administrator's PKCS#12 file named by the environment
 * for its kind (CFJL_TECH_ADMIN_P12, CFJL_FUNC_ADMIN_P12).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfjlctl.h"
#include "config.h"
#include "control.h"
#include "ctlsig.h"
#include "log.h"

#define CFJLCTL_RUNTIME_DEFAULT	"/run/cfjl"

/* Status and stop go to every daemon; auditd last so it journals all. */
static const char *daemons[] = { "frontd", "stored", "sealerd", "auditd" };
#define NDAEMONS	(sizeof(daemons) / sizeof(daemons[0]))

static int	 json;
static const char *keyfile, *keyuri, *passfile;
static struct signer *signers[3];	/* by CTLSIG_ kind; 0: -K or -P */

static __attribute__((__noreturn__)) void usage(void);
static const char *runtime_dir(const char *, const char *);
static int	 one(const char *, const char *, const char *, const char *,
		    const char *);
static int	 all(const char *, const char *);
static void	 sign(const char *, const char *, const char *, const char *,
		    uint8_t **, size_t *);
static int	 role_add(const char *, int, char *[]);
static int	 role_remove(const char *, int, char *[]);
static void	 json_string(FILE *, const char *);
static void	 json_answer(FILE *, const struct ctl_answer *, int);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cfjlctl [-j] [-K admin.p12 | -P pkcs11:URI] [-p passfile]\n"
	    "\t[-s runtime-dir | -f cfjl.conf] command\n"
	    "commands:\n"
	    "\tstatus\n"
	    "\trole add depositor|reader SUBJECT\n"
	    "\trole add depositor|reader ca operator|regulator SUBJECT\n"
	    "\trole add depositor|reader fingerprint SHA256\n"
	    "\trole remove SUBJECT\n"
	    "\trole remove ca operator|regulator SUBJECT\n"
	    "\trole remove fingerprint SHA256\n"
	    "\trole list\n"
	    "\tjournal close|list|verify\n"
	    "\tlot seal-now\n"
	    "\treload\n"
	    "\tstop\n");
	exit(2);
}

/* -s, else -f's runtime-dir, else $CFJL_CTL, else $CFJL_CONF's, else ... */
static const char *
runtime_dir(const char *sflag, const char *fflag)
{
	static char		 dir[PATH_MAX];
	struct cfjl_conf	*conf;
	const char		*file = fflag, *env;

	if (sflag != NULL)
		return sflag;
	if (file == NULL && (env = getenv("CFJL_CTL")) != NULL &&
	    env[0] != '\0')
		return env;
	if (file == NULL && (env = getenv("CFJL_CONF")) != NULL &&
	    env[0] != '\0')
		file = env;
	if (file == NULL && access(CFJL_CONF_FILE, R_OK) == 0)
		file = CFJL_CONF_FILE;
	if (file == NULL)
		return CFJLCTL_RUNTIME_DEFAULT;
	if ((conf = parse_config(file)) == NULL) {
		fprintf(stderr, "cfjlctl: %s could not be read; use -s to "
		    "name the runtime directory\n", file);
		exit(2);
	}
	strlcpy(dir, conf->runtime_dir, sizeof(dir));
	config_free(conf);
	return dir;
}

/*
 * The signature of a command for one daemon, or none (*der NULL) when it
 * needs none or no key is at hand: the daemon then says what it needs.
 */
static void
sign(const char *daemon, const char *command, const char *arg1,
    const char *arg2, uint8_t **der, size_t *len)
{
	struct signer	**s;
	const char	 *p12 = keyfile;
	char		  err[1024];
	int		  kind;

	*der = NULL;
	*len = 0;
	if ((kind = ctlsig_kind(command)) == CTLSIG_NONE)
		return;
	s = keyfile != NULL || keyuri != NULL ? &signers[0] : &signers[kind];
	if (*s == NULL && keyuri != NULL)
		*s = signer_pkcs11(keyuri, passfile, err, sizeof(err));
	else if (*s == NULL) {
		if (p12 == NULL)
			p12 = kind == CTLSIG_FUNCTIONAL ?
			    getenv("CFJL_FUNC_ADMIN_P12") :
			    getenv("CFJL_TECH_ADMIN_P12");
		if (p12 == NULL || p12[0] == '\0')
			return;
		*s = signer_p12(p12, passfile, err, sizeof(err));
	}
	if (*s == NULL) {
		fprintf(stderr, "cfjlctl: %s\n", err);
		exit(2);
	}
	if (signer_sign(*s, daemon, command, arg1, arg2, der, len, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "cfjlctl: %s\n", err);
		exit(2);
	}
}

static void
json_string(FILE *f, const char *s)
{
	struct ctl_text	 t = { 0 };

	control_text_json(&t, s);
	fprintf(f, "%s", t.error ? "\"\"" : t.buf);
	control_text_free(&t);
}

/* A daemon's JSON answer as it is; anything else wrapped. */
static void
json_answer(FILE *f, const struct ctl_answer *a, int asked)
{
	if (!asked) {
		fprintf(f, "{\"ok\":false,\"error\":");
		json_string(f, a->error);
		fprintf(f, "}");
	} else if (a->ok && a->len > 0 && a->text[0] == '{')
		fprintf(f, "%.*s", (int)a->len, a->text);
	else {
		fprintf(f, "{\"ok\":%s,\"%s\":", a->ok ? "true" : "false",
		    a->ok ? "message" : "error");
		json_string(f, a->text);
		fprintf(f, "}");
	}
}

/*
 * role add ROLE [ca CA | fingerprint] KEY: to stored as arg1 "ROLE" or
 * "ROLE CA" or "ROLE fingerprint", arg2 the subject or fingerprint.
 */
static int
role_add(const char *dir, int argc, char *argv[])
{
	char	 arg1[64];

	if (argc == 2)
		return one(dir, "stored", CTL_ROLE_ADD, argv[0], argv[1]);
	if (argc == 3 && strcmp(argv[1], "fingerprint") == 0) {
		snprintf(arg1, sizeof(arg1), "%s fingerprint", argv[0]);
		return one(dir, "stored", CTL_ROLE_ADD, arg1, argv[2]);
	}
	if (argc == 4 && strcmp(argv[1], "ca") == 0 &&
	    (strcmp(argv[2], "operator") == 0 ||
	    strcmp(argv[2], "regulator") == 0)) {
		snprintf(arg1, sizeof(arg1), "%s %s", argv[0], argv[2]);
		return one(dir, "stored", CTL_ROLE_ADD, arg1, argv[3]);
	}
	usage();
}

/* role remove [ca CA | fingerprint] KEY: arg1 the key, arg2 the binding. */
static int
role_remove(const char *dir, int argc, char *argv[])
{
	if (argc == 1)
		return one(dir, "stored", CTL_ROLE_REMOVE, argv[0], NULL);
	if (argc == 2 && strcmp(argv[0], "fingerprint") == 0)
		return one(dir, "stored", CTL_ROLE_REMOVE, argv[1],
		    "fingerprint");
	if (argc == 3 && strcmp(argv[0], "ca") == 0 &&
	    (strcmp(argv[1], "operator") == 0 ||
	    strcmp(argv[1], "regulator") == 0))
		return one(dir, "stored", CTL_ROLE_REMOVE, argv[2], argv[1]);
	usage();
}

/* A command for one daemon: 0 done, 1 refused or failed, 2 no answer. */
static int
one(const char *dir, const char *daemon, const char *command,
    const char *arg1, const char *arg2)
{
	struct ctl_answer	 a;
	uint8_t			*sig;
	size_t			 siglen;
	int			 asked, ret;

	sign(daemon, command, arg1, arg2, &sig, &siglen);
	asked = client_ask(dir, daemon, command, arg1, arg2, json, sig,
	    siglen, &a) == 0;
	free(sig);
	ret = !asked ? 2 : a.ok ? 0 : 1;
	if (json) {
		json_answer(stdout, &a, asked);
		printf("\n");
	} else if (!asked)
		fprintf(stderr, "cfjlctl: %s\n", a.error);
	else if (!a.ok)
		fprintf(stderr, "cfjlctl: %s: %s%s", daemon, a.text,
		    a.len > 0 && a.text[a.len - 1] == '\n' ? "" : "\n");
	else
		printf("%s%s", a.text, a.len > 0 && a.text[a.len - 1] != '\n' ?
		    "\n" : "");
	free(a.text);
	return ret;
}

/* status, reload, stop: every daemon whose socket is there. */
static int
all(const char *dir, const char *command)
{
	struct ctl_answer	 a;
	uint8_t			*sig;
	size_t			 i, siglen;
	int			 asked, ret = 0, first = 1;

	if (json)
		printf("{");
	for (i = 0; i < NDAEMONS; i++) {
		if (!client_present(dir, daemons[i])) {
			memset(&a, 0, sizeof(a));
			snprintf(a.error, sizeof(a.error), "not running");
			asked = 0;
		} else {
			sign(daemons[i], command, NULL, NULL, &sig, &siglen);
			asked = client_ask(dir, daemons[i], command, NULL, NULL,
			    json, sig, siglen, &a) == 0;
			free(sig);
		}
		if (!asked || !a.ok)
			ret = 1;
		if (json) {
			printf("%s\"%s\":", first ? "" : ",", daemons[i]);
			json_answer(stdout, &a, asked);
		} else if (!asked)
			printf("%s: %s\n", daemons[i], a.error);
		else if (strcmp(command, CTL_STATUS) == 0 && a.ok)
			printf("%s%s", a.text, a.len > 0 &&
			    a.text[a.len - 1] != '\n' ? "\n" : "");
		else
			printf("%s: %s%s%s", daemons[i], a.ok ? "" :
			    "FAILED: ", a.text, a.len > 0 &&
			    a.text[a.len - 1] != '\n' ? "\n" : "");
		first = 0;
		free(a.text);
	}
	if (json)
		printf("}\n");
	return ret;
}

int
main(int argc, char *argv[])
{
	const char	*sflag = NULL, *fflag = NULL, *dir, *cmd, *sub;
	int		 ch;

	log_init(1, 0, 0);
	log_procinit("cfjlctl");
	while ((ch = getopt(argc, argv, "f:jK:P:p:s:")) != -1) {
		switch (ch) {
		case 'f':
			fflag = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'K':
			keyfile = optarg;
			break;
		case 'P':
			keyuri = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 's':
			sflag = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (sflag != NULL && fflag != NULL) ||
	    (keyfile != NULL && keyuri != NULL))
		usage();
	dir = runtime_dir(sflag, fflag);
	cmd = argv[0];
	sub = argc > 1 ? argv[1] : NULL;

	if (strcmp(cmd, "status") == 0 && argc == 1)
		return all(dir, CTL_STATUS);
	if (strcmp(cmd, "reload") == 0 && argc == 1)
		return all(dir, CTL_RELOAD);
	if (strcmp(cmd, "stop") == 0 && argc == 1)
		return all(dir, CTL_STOP);
	if (strcmp(cmd, "role") == 0 && sub != NULL) {
		if (strcmp(sub, "add") == 0 && argc >= 4 &&
		    (strcmp(argv[2], "depositor") == 0 ||
		    strcmp(argv[2], "reader") == 0))
			return role_add(dir, argc - 2, argv + 2);
		if (strcmp(sub, "remove") == 0 && argc >= 3)
			return role_remove(dir, argc - 2, argv + 2);
		if (strcmp(sub, "list") == 0 && argc == 2)
			return one(dir, "stored", CTL_ROLE_LIST, NULL, NULL);
	}
	if (strcmp(cmd, "journal") == 0 && argc == 2) {
		if (strcmp(sub, "close") == 0)
			return one(dir, "auditd", CTL_JOURNAL_CLOSE, NULL,
			    NULL);
		if (strcmp(sub, "list") == 0)
			return one(dir, "auditd", CTL_JOURNAL_LIST, NULL, NULL);
		if (strcmp(sub, "verify") == 0)
			return one(dir, "auditd", CTL_JOURNAL_VERIFY, NULL,
			    NULL);
	}
	if (strcmp(cmd, "lot") == 0 && argc == 2 &&
	    strcmp(sub, "seal-now") == 0)
		return one(dir, "stored", CTL_LOT_SEAL_NOW, NULL, NULL);
	usage();
}
