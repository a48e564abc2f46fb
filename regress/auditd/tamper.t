#!/bin/sh
# An edited, removed or reordered journal file, or edited metadata, is
# found by "cfjlctl journal verify" (exit 1, the file named), and the
# untouched journal verifies (exit 0).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/auditd.sh"
t_tmpdir
ad_setup || exit 2
ad_start || exit 2
for i in 1 2 3 4; do
	t_match "batch $i acknowledged" "$(ad_send -n 5 -c)" "^acked 5 "
done
sleep 0.3
t_ok "four closed files" [ -f "$J/00000004.xml" ]
out=$(ad_ctl journal verify); rc=$?
t_eq "untouched journal verifies" "$rc" 0
t_match "summary" "$out" "journal verified: 5 files"
out=$(ad_ctl -j journal verify)
t_match "JSON verdict" "$out" '"ok":true,"problems":0}$'

# verify DESCRIPTION EXPECTED-PATTERN: the journal must fail, naming why.
expect_fail()
{
	out=$(ad_ctl journal verify 2>&1); rc=$?
	t_eq "$1: verify fails" "$rc" 1
	t_match "$1: says why" "$out" "$2"
	t_match "$1: summary" "$out" "journal verification FAILED"
}

# One byte of a closed file changed.
cp "$J/00000002.log" "$T/saved.log"
sed -i '0,/record 3 of 5/s//record 8 of 5/' "$J/00000002.log"
t_not "file edited" cmp -s "$J/00000002.log" "$T/saved.log"
expect_fail "edited file" "00000002.log
.*its SHA-256 is not the one in 00000002.xml"
out=$(ad_ctl journal verify 2>&1)
t_match "edited file: the next file's chain breaks too" "$out" "the digest of 00000002.log it records does not match"
cat "$T/saved.log" > "$J/00000002.log"
ad_ctl journal verify >/dev/null; t_eq "restored: verifies again" $? 0

# A closed file removed.
mv "$J/00000003.log" "$T/saved3.log"
expect_fail "removed file" "00000003.log
    the file is missing"
mv "$T/saved3.log" "$J/00000003.log"

# Two files swapped.
mv "$J/00000002.log" "$T/two"; mv "$J/00000003.log" "$J/00000002.log"; mv "$T/two" "$J/00000003.log"
expect_fail "reordered files" "names \"00000001.log\" as the previous file, not \"00000002.log\""
out=$(ad_ctl journal verify 2>&1)
t_match "reordered files: sequence break" "$out" "begins at sequence [0-9]+, the previous file ended at"
mv "$J/00000002.log" "$T/two"; mv "$J/00000003.log" "$J/00000002.log"; mv "$T/two" "$J/00000003.log"
ad_ctl journal verify >/dev/null; t_eq "put back: verifies again" $? 0

# Metadata edited (a record count).
cp "$J/00000001.xml" "$T/saved.xml"
sed -i 's|<Records>[0-9]*</Records>|<Records>99</Records>|' "$J/00000001.xml"
expect_fail "edited metadata" "does not match 00000001.xml"
out=$(ad_ctl journal verify 2>&1)
t_match "edited metadata: the next file's chain breaks" "$out" "00000002.log
.*digest of the previous metadata it records does not match"
cp "$T/saved.xml" "$J/00000001.xml"

# A line removed from the middle of a closed file (sequence gap).
cp "$J/00000003.log" "$T/saved.log"
sed -i '2d' "$J/00000003.log"
expect_fail "record removed" "00000003.log line 2: sequence [0-9]+ follows"
cat "$T/saved.log" > "$J/00000003.log"

# The newest closed file and the open one removed: auditd knows better.
mv "$J/00000005.log" "$T/saved5.log"
expect_fail "open file removed" "00000005.log
    the file is missing"
mv "$T/saved5.log" "$J/00000005.log"
ad_ctl journal verify >/dev/null; t_eq "all restored: verifies" $? 0
t_done
