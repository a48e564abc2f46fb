#!/bin/sh
# frontd answers stored's refusals from the catalogue: stored sends only
# a code and what is particular to the refusal, frontd gives the client
# the code's HTTP status and CFJL_ status.  A code that is not in the
# catalogue breaks the protocol: frontd drops the link, the deposit gets
# 503 and frontd carries on.  stored is played by fakestored.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl ss
[ -d "$ARJEL/xsd" ] || t_skip "no ARJEL schemas in $ARJEL"
t_tmpdir
[ -x "$TOP/regress/frontd/fakestored" ] || t_skip "fakestored not built"
. "$TOP/regress/frontd/alone.sh"
# One worker: one link to the stand-in, whose every drop is counted.
alone_start "	workers 1"

sample0 PASPMISE > "$T/ok.xml"
json() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$T/body"; }

FAKE_PID=
fake_stop()
{
	[ -n "$FAKE_PID" ] || return 0
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
	FAKE_PID=
	rm -f "$T/run/stored.sock"
}
t_cleanup_add fake_stop

# fake_start CODE: the stand-in, and frontd linked to it.
fake_start()
{
	fake_stop
	: > "$T/fake.log"
	"$TOP/regress/frontd/fakestored" "$T/run" "$1" > "$T/fake.log" 2>&1 &
	FAKE_PID=$!
	n=100
	until grep -q '^listening' "$T/fake.log"; do
		n=$((n - 1))
		[ $n -gt 0 ] || { cat "$T/fake.log"; return 1; }
		sleep 0.1
	done
	# frontd redials with backoff: wait for the link.
	n=100
	until [ "$(grep -c 'stored is up' "$T/frontd.log")" -gt "$ups" ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || { echo "frontd did not link"; return 1; }
		sleep 0.1
	done
	ups=$((ups + 1))
}
ups=0

# A refusal of the catalogue: its status and code, stored's error and detail.
t_ok "stand-in refusing with 409's code is up" fake_start http:409
deposit depositor "$T/ok.xml"
t_eq "code of 409 from stored: HTTP 409" "$CODE" 409
t_eq "code of 409 from stored: CFJL_CLIENT_ID_REUSED" "$(json status)" \
    CFJL_CLIENT_ID_REUSED
t_eq "code of 409 from stored: stored's error" "$(json error)" \
    "refused by the stand-in"
t_eq "code of 409 from stored: stored's detail" "$(json detail)" \
    "its own detail"
t_match "the stand-in saw the deposit" "$(cat "$T/fake.log")" \
    "^deposit [0-9]+ refused with code"

t_ok "stand-in refusing with 503's code is up" fake_start http:503
deposit depositor "$T/ok.xml"
t_eq "code of 503 from stored: HTTP 503" "$CODE" 503
t_eq "code of 503 from stored: CFJL_UNAVAILABLE" "$(json status)" \
    CFJL_UNAVAILABLE
t_match "code of 503 from stored: Retry-After" "$(cat "$T/headers")" \
    "Retry-After: [0-9]+"

# Codes outside the catalogue: 0 (no refusal) and one past the end.
breaks=0
for bad in 0 999; do
	t_ok "stand-in refusing with code $bad is up" fake_start "$bad"
	deposit depositor "$T/ok.xml"
	t_eq "unknown code $bad: the client gets 503" "$CODE" 503
	t_eq "unknown code $bad: CFJL_UNAVAILABLE" "$(json status)" \
	    CFJL_UNAVAILABLE
	t_eq "unknown code $bad: the store went away" "$(json detail)" \
	    "the store went away before answering: resend with the same Client-Id"
	breaks=$((breaks + 1))
	t_eq "unknown code $bad: frontd drops the link" \
	    "$(grep -c 'broke the protocol: .*refusal code [0-9]* outside the catalogue' \
	    "$T/frontd.log")" "$breaks"
	t_ok "unknown code $bad: frontd is still running" \
	    kill -0 "$FRONTD_PID"
done
t_done
