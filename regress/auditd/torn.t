#!/bin/sh
# A crash in the middle of a write leaves a torn last line.  At start,
# auditd removes it (it was never acknowledged: no sync covered it, and
# its sender still holds it), journals that it did, and goes on from
# the last whole record.  A whole last line that is not a record is
# damage: auditd refuses to start and says where.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
ad_setup || exit 2
ad_start || exit 2
t_match "records acknowledged" "$(ad_send -n 10)" "^acked 10 "
ad_kill9

f=$J/00000001.log
lastseq=$(tail -n 1 "$f" | sed 's/^{"seq":\([0-9]*\),.*/\1/')
good=$(stat -c %s "$f")
printf '{"seq":%d,"time":"2026-01-01T00:00:00.000Z","process":"sto' $((lastseq + 1)) >> "$f"
ad_start || exit 2
t_match "records acknowledged after recovery" "$(ad_send -n 3)" "^acked 3 "
ad_stop
t_eq "the torn bytes are gone, the whole lines kept" "$(head -c "$good" "$f" | sha256sum)" \
    "$(head -n "$(head -c "$good" "$f" | wc -l)" "$f" | sha256sum)"
t_ok "the recovery is journaled" grep -q '"event":"journal-recovered".*"details":"a torn last record was removed"' "$f"
t_eq "the record after the torn one has the torn one's number" \
    "$(sed -n "$((lastseq + 1))p" "$f" | sed 's/^{"seq":\([0-9]*\),.*/\1/')" "$((lastseq + 1))"
t_ok "sequence numbers consecutive" sh -c ". '$TOP/regress/auditd/auditd.sh'; J='$J'; ad_seqs | ad_consecutive"
t_ok "no line without its newline" [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]

# The same again gives the same result: deterministic.
cp "$f" "$T/before"
printf '{"seq":' >> "$f"
ad_start || exit 2
ad_stop
t_eq "a second torn line: the same lines kept" \
    "$(head -n "$(wc -l < "$T/before")" "$f" | sha256sum)" "$(sha256sum < "$T/before")"

# A whole line that is not a record: refuse to start, name the line.
printf 'garbage\n' >> "$f"
$AD_AS "$AUDITD" -d -f "$T/cfjl.conf" > "$T/refused.log" 2>&1
rc=$?
t_ok "auditd refuses a damaged journal" [ $rc -ne 0 ]
t_match "and says where" "$(cat "$T/refused.log")" "00000001.log line [0-9]+: not a journal record.*damaged"
t_done
