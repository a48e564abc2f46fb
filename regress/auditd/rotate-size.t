#!/bin/sh
# The journal closes a file once the next record would take it past
# "rotate size"; every closed file gets metadata that matches it, and
# every file's first record chains to the file and metadata before it.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
AD_ROTATE_SIZE=4K
ad_setup || exit 2
ad_start || exit 2

out=$(ad_send -n 60)
t_match "60 records acknowledged" "$out" "^acked 60 "
ad_stop

nlog=$(ls "$J"/*.log | wc -l)
nxml=$(ls "$J"/*.xml | wc -l)
t_ok "several files ($nlog)" [ "$nlog" -ge 4 ]
t_eq "every file but the last is closed" "$nxml" "$((nlog - 1))"
t_ok "sequence numbers 1, 2, 3... across files" sh -c ". '$TOP/regress/auditd/auditd.sh'; J='$J'; ad_seqs | ad_consecutive"
t_eq "60 test records, each once" "$(cat "$J"/*.log | grep -c '"event":"test"')" 60

prev_log=""; prev_meta=""
for x in "$J"/*.xml; do
	l=${x%.xml}.log
	b=$(basename "$l")
	size=$(stat -c %s "$l")
	# A file closes before the record that would overflow it; only the
	# closing record itself may go past the bound.
	last=$(tail -n 1 "$l" | wc -c)
	t_ok "$b: within 4K but for its closing record" [ $((size - last)) -le 4096 ]
	t_eq "$b: Size" "$(ad_meta "$x" Size)" "$size"
	t_eq "$b: SHA256" "$(ad_meta "$x" SHA256)" "$(ad_sha256 "$l")"
	t_eq "$b: Records" "$(ad_meta "$x" Records)" "$(wc -l < "$l")"
	t_eq "$b: File" "$(ad_meta "$x" File)" "$b"
	t_eq "$b: FirstSequence" "$(ad_meta "$x" FirstSequence)" \
	    "$(head -n 1 "$l" | sed 's/^{"seq":\([0-9]*\),.*/\1/')"
	t_eq "$b: LastSequence" "$(ad_meta "$x" LastSequence)" \
	    "$(tail -n 1 "$l" | sed 's/^{"seq":\([0-9]*\),.*/\1/')"
	t_eq "$b: FirstTime" "$(ad_meta "$x" FirstTime)" \
	    "$(head -n 1 "$l" | sed 's/.*"time":"\([^"]*\)".*/\1/')"
	t_eq "$b: CloseReason" "$(ad_meta "$x" CloseReason)" "size"
	t_match "$b: ends with journal-close" "$(tail -n 1 "$l")" '"event":"journal-close"'
	if [ -z "$prev_log" ]; then
		zero=0000000000000000000000000000000000000000000000000000000000000000
		t_match "$b: first file chains to nothing" "$(head -n 1 "$l")" \
		    "\"prev_file\":\"\",\"prev_sha256\":\"$zero\",\"prev_meta_sha256\":\"$zero\""
		t_eq "$b: no previous metadata" "$(ad_meta "$x" PreviousMetadataSHA256)" "$zero"
	else
		t_match "$b: chains to $(basename "$prev_log")" "$(head -n 1 "$l")" \
		    "\"prev_file\":\"$(basename "$prev_log")\",\"prev_sha256\":\"$(ad_sha256 "$prev_log")\",\"prev_meta_sha256\":\"$(ad_meta_digest "$prev_meta")\""
		t_eq "$b: metadata chains to the previous metadata" \
		    "$(ad_meta "$x" PreviousMetadataSHA256)" "$(ad_meta_digest "$prev_meta")"
	fi
	t_eq "$b: mode 0640" "$(stat -c %a "$l") $(stat -c %a "$x")" "640 640"
	prev_log=$l; prev_meta=$x
done
# The open file chains to the last closed one.
cur=$(ls "$J"/*.log | tail -n 1)
t_match "open file chains to the last closed one" "$(head -n 1 "$cur")" \
    "\"prev_file\":\"$(basename "$prev_log")\",\"prev_sha256\":\"$(ad_sha256 "$prev_log")\",\"prev_meta_sha256\":\"$(ad_meta_digest "$prev_meta")\""
t_eq "journal directory mode" "$(stat -c %a "$J" | sed 's/^2//')" "750"
# Every line is JSON with its fields escaped.
if command -v python3 >/dev/null 2>&1; then
	t_ok "every line is a JSON object" python3 -c '
import json, sys, glob
for f in sorted(glob.glob(sys.argv[1] + "/*.log")):
    for line in open(f, encoding="utf-8"):
        r = json.loads(line)
        assert set(["seq","time","event_time","process","uid","event","subject","outcome","details"]) <= set(r)
        if r["event"] == "test":
            assert r["subject"] == "CN=client \"\u00e9\"\t1", r["subject"]
            assert r["details"].endswith(" \\ \x01"), r["details"]
' "$J"
fi
t_done
