#!/bin/sh
# The PKCS#11 token goes away under load (its SoftHSM storage moved
# off): sealing stops, deposits go on (sealing never holds deposits
# back) and a lot closed meanwhile is answered 202, pending; the status
# says the token is missing.  When the token comes back sealerd opens it
# by itself and seals every lot that waited: the export verifies.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl psql sha256sum join
t_tmpdir
. "$TOP/regress/crash/crash.sh"
CRASH_RATE=40 crash_setup || exit 2

mv "$SUITE/hsm/tokens" "$SUITE/hsm/tokens.away"
ACKS_ALLOWED=1 crash_outage "token removed" 4
lot=$(sed -n 's/.*"lot":\([0-9]*\).*/\1/p' "$T/try.body")
sleep 1.5	# that lot closes by age
t_eq "token removed: lot $lot pending (202)" \
    "$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")" 202
st=$(read_curl "$CFJL_URL/v1/status")
t_match "token removed: the status says the token is missing" "$st" \
    '"token":\{"label":"cfjl","present":false'
t_match "token removed: the status shows the sealing lag" "$st" \
    '"sealing_lag":\{"events":[1-9][0-9]*,"lots":[1-9]'
mv "$SUITE/hsm/tokens.away" "$SUITE/hsm/tokens"
n=0
while [ "$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")" != 200 ] &&
    [ $n -lt 150 ]; do
	sleep 0.2; n=$((n + 1))
done
t_eq "token back: lot $lot sealed by itself" \
    "$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")" 200
crash_recovers "token back"
crash_finish
t_done
