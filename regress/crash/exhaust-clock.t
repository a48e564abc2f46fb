#!/bin/sh
# The clock is stepped under load.  After a step the kernel says the
# clock is unsynchronised until NTP holds it again, and a sealerd with
# a strict clock (clock max-error) stops time-stamping: it never seals
# with a time it cannot vouch for.  Deposits go on, a lot closed
# meanwhile is answered 202, pending; the status says so.  Once the
# clock is synchronised again the waiting lots are sealed by themselves
# and everything verifies.  sealerd is built with the test hook
# CFJL_TEST_CLOCK=steps (regress/crash/Makefile): the clock taken as
# synchronised, each SIGUSR2 a step, then synchronised again at the next.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl psql sha256sum join
HOOKED=$(cd "$(dirname "$0")" && pwd)/sealerd-hooks
[ -x "$HOOKED" ] || t_skip "regress/crash/sealerd-hooks is not built (make -C regress/crash)"
t_tmpdir
. "$TOP/regress/crash/crash.sh"
# This test's sealerd is the one with the test hook.
suite_bin()
{
	case $1 in
	sealerd) echo "$HOOKED" ;;
	*) echo "${CFJL_BIN:-$TOP}/$1/$1" ;;
	esac
}
export CFJL_TEST_CLOCK=steps
SUITE_CLOCK="clock max-error 1s"
CRASH_RATE=40 crash_setup || exit 2
t_match "sealerd runs with the clock hook" "$(cat "$SUITE/log/sealerd.log")" \
    'CFJL_TEST_CLOCK=steps'
n=0
until read_curl "$CFJL_URL/v1/status" | grep -q '"last_sealed_lot":[1-9]' || [ $n -ge 50 ]; do
	sleep 0.1; n=$((n + 1))
done
t_match "before the step: lots sealed" "$(read_curl "$CFJL_URL/v1/status")" \
    '"last_sealed_lot":[1-9]'

kill -USR2 "$(suite_pid sealerd)"
ACKS_ALLOWED=1 crash_outage "clock stepped" 4
lot=$(sed -n 's/.*"lot":\([0-9]*\).*/\1/p' "$T/try.body")
sleep 1.5	# that lot closes by age
t_eq "clock stepped: lot $lot pending (202)" \
    "$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")" 202
st=$(read_curl "$CFJL_URL/v1/status")
t_match "clock stepped: the status shows the sealing lag" "$st" \
    '"sealing_lag":\{"events":[1-9][0-9]*,"lots":[1-9]'
t_match "clock stepped: sealerd says why" "$(cat "$SUITE/log/sealerd.log")" \
    'time-stamping stopped: the system clock is not synchronised'
t_match "clock stepped: journaled" "$(cat "$SUITE"/journal/*.log)" \
    '"process":"sealerd",.*"event":"clock","subject":"sealerd","outcome":"refused"'
t_eq "clock stepped: no seal made meanwhile" \
    "$(suite_psql "SELECT count(*) FROM lot_seals WHERE numero >= $lot")" 0

kill -USR2 "$(suite_pid sealerd)"
n=0
while [ "$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")" != 200 ] &&
    [ $n -lt 150 ]; do
	sleep 0.2; n=$((n + 1))
done
t_eq "clock synchronised again: lot $lot sealed by itself" \
    "$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/lots/$lot")" 200
t_match "clock synchronised again: sealerd says so" \
    "$(cat "$SUITE/log/sealerd.log")" 'time-stamping resumed: the clock is trustworthy again'
crash_recovers "clock synchronised again"
crash_finish
t_done
