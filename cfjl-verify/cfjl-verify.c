/*
 * cfjl-verify: the regulator's offline verifier.  It checks export
 * bundles (a conformant copy of a range of events, with every seal and
 * time-stamp) and journal directories, with nothing but the trust
 * anchors it is given.  Exit 0: everything holds; 1: something was
 * tampered with or is missing; 2: it could not check.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verify.h"

static __attribute__((__noreturn__)) void	usage(void);
static const char	*pass_arg(const char *);

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: cfjl-verify [-j] -t trust.pem [-C crl.pem] "
	    "[-k regulator-key [-p pass]]\n"
	    "                   [-x xsd-dir] [-o out-dir] "
	    "[--since-checkpoint file] bundle ...\n"
	    "       cfjl-verify journal [-j] -t trust.pem [-C crl.pem] "
	    "[-c checkpoint] dir\n"
	    "       cfjl-verify prove [-j] -t trust.pem [-C crl.pem] idevt "
	    "bundle > proof\n"
	    "       cfjl-verify proof [-j] -t trust.pem [-C crl.pem] file\n");
	exit(2);
}

/* -p: "pass:TEXT", "env:VAR", "file:PATH" (first line), or the text. */
static const char *
pass_arg(const char *arg)
{
	static char	 buf[1024];
	const char	*v;
	FILE		*fp;

	if (strncmp(arg, "pass:", 5) == 0)
		return (arg + 5);
	if (strncmp(arg, "env:", 4) == 0) {
		if ((v = getenv(arg + 4)) == NULL)
			errx(2, "-p: %s is not set", arg + 4);
		return (v);
	}
	if (strncmp(arg, "file:", 5) == 0) {
		if ((fp = fopen(arg + 5, "r")) == NULL)
			err(2, "-p: %s", arg + 5);
		if (fgets(buf, sizeof(buf), fp) == NULL)
			buf[0] = '\0';
		fclose(fp);
		buf[strcspn(buf, "\r\n")] = '\0';
		return (buf);
	}
	return (arg);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "since-checkpoint", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct vctx	 ctx;
	struct vcheckpoint anchor, kept;
	const char	*anchor_path = NULL, *kept_path = NULL;
	struct bundle	*bs;
	struct stat	 st;
	FILE		*fp, *proof = NULL;
	uint64_t	 idevt = 0;
	size_t		 j;
	const char	*crl_paths[V_CRL_FILES_MAX];
	int		 ch, journal = 0, prove = 0, check = 0, i, rc;
	int		 nread = 0, fd, ncrl = 0;

	memset(&ctx, 0, sizeof(ctx));
	if (argc > 1 && strcmp(argv[1], "journal") == 0)
		journal = 1;
	else if (argc > 1 && strcmp(argv[1], "prove") == 0)
		prove = 1;
	else if (argc > 1 && strcmp(argv[1], "proof") == 0)
		check = 1;
	if (journal || prove || check) {
		argv++;
		argc--;
	}
	while ((ch = getopt_long(argc, argv, journal ? "jt:C:c:" :
	    prove || check ? "jt:C:" : "jt:C:k:p:x:o:",
	    journal || prove || check ? NULL : longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			if (ncrl == V_CRL_FILES_MAX)
				usage();
			crl_paths[ncrl++] = optarg;
			break;
		case 'c':
			anchor_path = optarg;
			break;
		case 'S':
			kept_path = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 't':
			ctx.trust_path = optarg;
			break;
		case 'k':
			ctx.key_path = optarg;
			break;
		case 'p':
			ctx.pass = pass_arg(optarg);
			break;
		case 'x':
			ctx.xsd_dir = optarg;
			break;
		case 'o':
			ctx.out_dir = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (ctx.trust_path == NULL || argc < 1 || (journal && argc != 1) ||
	    (check && argc != 1) || (prove && (argc != 2 ||
	    util_parse_u64(argv[0], &idevt) == -1 || idevt == 0)))
		usage();
	if (prove) {
		/* The proof goes to standard output, the report to errors. */
		if ((fd = dup(STDOUT_FILENO)) == -1 ||
		    (proof = fdopen(fd, "wb")) == NULL ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			err(2, "standard output");
	}
	if ((ctx.xsd_dir != NULL || ctx.out_dir != NULL) &&
	    ctx.key_path == NULL) {
		fprintf(stderr, "cfjl-verify: -x and -o need the regulator "
		    "key (-k) to read the traces\n");
		usage();
	}

	report_init(ctx.json);
	if (xadescheck_init() == -1)
		errx(2, "cannot initialise xmlsec");
	bs = xcalloc(argc, sizeof(*bs));
	if (certs_trust_load(&ctx) == -1)
		goto done;
	for (i = 0; i < ncrl; i++)
		if (revoke_load(&ctx, crl_paths[i]) == -1)
			goto done;
	if (journal) {
		if (anchor_path != NULL) {
			report_scope(anchor_path);
			if (checkpointcheck_file(&ctx, anchor_path,
			    &anchor) == -1)
				goto done;
			ctx.anchor = &anchor;
		}
		report_scope(argv[0]);
		journalcheck_run(&ctx, argv[0]);
		goto done;
	}
	if (prove) {
		report_scope(argv[1]);
		prove_run(&ctx, idevt, argv[1], proof);
		goto done;
	}
	if (check) {
		report_scope(argv[0]);
		if ((fp = fopen(argv[0], "rb")) == NULL) {
			report_error("cannot open %s: %s", argv[0],
			    strerror(errno));
			goto done;
		}
		proof_check(&ctx, fp, argv[0]);
		fclose(fp);
		goto done;
	}
	if (kept_path != NULL) {
		report_scope(kept_path);
		if (checkpointcheck_file(&ctx, kept_path, &kept) == -1)
			goto done;
	}
	if (ctx.key_path != NULL && event_key_load(&ctx) == -1)
		goto done;
	if (ctx.xsd_dir != NULL && event_xsd_load(&ctx) == -1)
		goto done;
	if (ctx.out_dir != NULL) {
		if (stat(ctx.out_dir, &st) == -1 && errno == ENOENT &&
		    mkdir(ctx.out_dir, 0755) == -1) {
			report_error("cannot create %s: %s", ctx.out_dir,
			    strerror(errno));
			goto done;
		}
		if (stat(ctx.out_dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
			report_error("%s is not a directory", ctx.out_dir);
			goto done;
		}
	}
	for (i = 0; i < argc; i++) {
		report_scope(argv[i]);
		if (bundle_read(&ctx, &bs[i], argv[i]) == 0) {
			chain_bundle(&ctx, &bs[i]);
			checkpointcheck_bundle(&ctx, &bs[i]);
			sealers_report(&bs[i]);
			if (kept_path != NULL)
				checkpointcheck_since(&ctx, &bs[i], &kept);
		} else {
			/* no verdict on its traces: none is kept (-o) */
			for (j = 0; j < bs[i].nevents; j++)
				event_publish(&ctx, &bs[i].events[j], 0);
		}
		nread = i + 1;
	}
	if (argc > 1)
		chain_bundles(&ctx, bs, argc);
done:
	report_scope(NULL);
	rc = report_finish();
	for (i = 0; i < nread; i++)
		bundle_free(&bs[i]);
	free(bs);
	event_xsd_free(&ctx);
	event_cleanup(&ctx);
	EVP_PKEY_free(ctx.regkey);
	X509_free(ctx.regcert);
	if (ctx.trust_certs != NULL)
		sk_X509_pop_free(ctx.trust_certs, X509_free);
	if (ctx.crls != NULL)
		sk_X509_CRL_pop_free(ctx.crls, X509_CRL_free);
	X509_STORE_free(ctx.trust);
	xadescheck_cleanup();
	if (proof != NULL && fclose(proof) != 0 && rc == 0)
		rc = 2;
	return (rc);
}
