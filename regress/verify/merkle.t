#!/bin/sh
# The vault's Merkle tree (common/merkle.c) and the verifier's
# (cfjl-verify/merkleproof.c) give the roots and audit paths of the
# RFC 6962 test vectors of Certificate Transparency, and agree on every
# path of trees of 1 to 200 leaves and a few large ones; a path with a
# bit changed, a hash more or less, another index or size is refused.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
MERKLE_TEST=$TOP/regress/verify/merkle_test
[ -x "$MERKLE_TEST" ] || t_skip "$MERKLE_TEST not built (make -C regress all)"
t_tmpdir

t_ok "merkle_test: every check holds" sh -c "'$MERKLE_TEST' > '$T/out' 2> '$T/err'"
t_match "checks counted, none failed" "$(tail -n 1 "$T/out")" '^[0-9]{6,} checks, 0 failed$'
t_eq "no failure reported" "$(grep -c '^not ok' "$T/out")" 0
t_done
