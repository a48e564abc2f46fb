#!/bin/sh
# A CFJL_ status is spelt only in the refusal catalogue: no C source
# outside common/refusal.[ch] holds a string beginning with "CFJL_ but
# the names of environment variables it reads with getenv().
. "$(dirname "$0")/../lib/common.sh"
t_tmpdir

cd "$TOP" || exit 2
find . -path ./regress/log -prune -o -type f \( -name '*.c' -o -name '*.h' \
    -o -name '*.y' \) -print | grep -v '^\./common/refusal\.[ch]$' |
    sort > "$T/files"
t_ok "C sources found" test "$(wc -l < "$T/files")" -gt 50
t_ok "the catalogue spells the statuses" grep -q '"CFJL_INVALID_MESSAGE"' \
    common/refusal.c

# Every "CFJL_ in a source, less those in getenv("CFJL_...").
xargs grep -n '"CFJL_' < "$T/files" | grep -v 'getenv("CFJL_[A-Z0-9_]*")' \
    > "$T/found"
if [ -s "$T/found" ]; then
	cat "$T/found"
	t_fail "CFJL_ strings outside common/refusal.[ch]: $(wc -l < "$T/found")"
else
	t_pass "no CFJL_ string outside common/refusal.[ch]"
fi
# The check sees what it must: a status spelt in a source is found.
printf 'const char *s = "CFJL_OK";\n' > "$T/probe.c"
t_ok "a spelt status is found" grep -q '"CFJL_' "$T/probe.c"
# ...and an environment variable, only if getenv() reads it.
printf 'e = getenv("CFJL_CONF");\nconst char *n = "CFJL_CONF";\n' \
    > "$T/probe.c"
t_eq "an environment variable is let through only in getenv()" \
    "$(grep -n '"CFJL_' "$T/probe.c" | grep -v 'getenv("CFJL_[A-Z0-9_]*")')" \
    '2:const char *n = "CFJL_CONF";'
t_done
