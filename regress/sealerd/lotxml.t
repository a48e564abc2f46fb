#!/bin/sh
# The lot as sealerd writes it directly (text, digest made on the way)
# equals libxml2's: the serialisation of the tree, the SHA-256 of its
# exclusive canonical form, the whole seal byte for byte; times as
# strftime writes them; contradictory lots refused.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
LOTXML_TEST=$TOP/regress/sealerd/lotxml_test
[ -x "$LOTXML_TEST" ] || t_skip "$LOTXML_TEST not built (make -C regress all)"
t_tmpdir

t_ok "lotxml_test: every check equal" sh -c "'$LOTXML_TEST' > '$T/out' 2> '$T/err'"
t_match "checks counted, none failed" "$(tail -n 1 "$T/out")" '^[0-9]{6,} checks, 0 failed$'
t_eq "no difference reported" "$(grep -c '^not ok' "$T/out")" 0
t_done
