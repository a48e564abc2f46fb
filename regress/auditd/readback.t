#!/bin/sh
# A file closed by auditd is read back after its metadata is written:
# one changed while open (a byte overwritten in place) stops auditd
# with the journal declared damaged; an untouched one is found as
# written, and records go on being acknowledged meanwhile.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
ad_setup || exit 2
ad_start || exit 2

t_match "records acknowledged" "$(ad_send -n 5)" "^acked 5 "
ad_ctl journal close >/dev/null
t_match "records acknowledged after a close" "$(ad_send -n 5)" "^acked 5 "
wait_log()
{
	n=50
	while ! grep -q "$1" "$T/auditd.log" && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	grep -q "$1" "$T/auditd.log"
}
t_ok "the closed file is read back as written" \
    wait_log "00000001.log read back as written"
t_eq "its metadata gives its digest" \
    "$(ad_meta "$J/00000001.xml" SHA256)" "$(ad_sha256 "$J/00000001.log")"

# One byte of the open file overwritten where auditd cannot see it.
off=$(grep -b -o 'record 2 of 5' "$J/00000002.log" | head -n 1 |
    cut -d: -f1)
t_ok "a record to change" [ -n "$off" ]
printf 'X' | dd of="$J/00000002.log" bs=1 seek=$((off + 7)) conv=notrunc \
    2>/dev/null
ad_ctl journal close >/dev/null 2>&1
n=50
while kill -0 "$AD_PID" 2>/dev/null && [ $n -gt 0 ]; do
	sleep 0.1; n=$((n - 1))
done
t_not "auditd stopped" kill -0 "$AD_PID" 2>/dev/null
t_ok "it says why" grep -q \
    "00000002.log changed behind our back.*the journal is damaged" \
    "$T/auditd.log"
t_eq "the metadata gives the digest of what was written" \
    "$(ad_meta "$J/00000002.xml" SHA256)" \
    "$(sed 's/record X of 5/record 2 of 5/' "$J/00000002.log" |
    sha256sum | cut -d' ' -f1)"
AD_PID=
t_done
