#!/bin/sh
# cfjl-verify stays within bounds on hostile bundles and journals: each
# is refused with its exact message, within 256 MiB of memory and 10
# seconds, measured by /usr/bin/time -v.  The hostile inputs are written
# by mkhostile as streams (nothing large on disk); among them, what an
# attacker who reads the scanner would try: attributes behind comments,
# CDATA and PIs, '>' in values, namespace declarations, other encodings,
# deep nesting, huge text, pax and GNU tar entries.
# CFJL_VERIFY=path runs another build (to measure it), killed after
# CFJL_BOUND_TIMEOUT seconds (300).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"

V=${CFJL_VERIFY:-$TOP/cfjl-verify/cfjl-verify}
H=$TOP/regress/verify/mkhostile
[ -x "$V" ] || t_skip "cfjl-verify not built (make -C cfjl-verify)"
[ -x /usr/bin/time ] || t_skip "no /usr/bin/time (scripts/install-deps)"
t_need openssl
t_tmpdir
cd "$T" || exit 2
pki_make pki || exit 2
for r in seal tsa; do
	openssl req -new -newkey rsa:2048 -nodes -keyout pki/$r.key \
	    -subj "/C=FR/O=Operateur 48/CN=CFJL $r" -out pki/$r.csr 2>/dev/null
	pki_sign_csr pki pki/$r.csr pki/$r.pem $r || exit 2
done

MAXKB=$((256 * 1024))
# Under the sanitizers (make SAN=1) freed memory is held back in a
# quarantine (256 MB) that is no memory of the verifier's: it is kept to
# 1 MB, and the time allowed is tripled (the sanitizers' own slowdown).
MAXS=10
if t_sanitized "$V"; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
	export ASAN_OPTIONS
	MAXS=30
fi
_k=0
# bounded NAME CMD...: CMD's output in $out, exit in $rc; memory and
# time checked.
bounded()
{
	_n=$1
	shift
	_k=$((_k + 1))
	out=$(timeout "${CFJL_BOUND_TIMEOUT:-300}" /usr/bin/time -v -o "$_k.time" "$@" 2>&1)
	rc=$?
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$_k.time")
	el=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' \
	    "$_k.time")
	t_log "# $_n: ${kb:-?} kB, ${el:-?}"
	t_ok "$_n: under 256 MiB" test "${kb:-999999999}" -lt "$MAXKB"
	_s=$(echo "$el" | sed -n 's/^0:\([0-9]*\)\..*/\1/p')
	if [ -n "$_s" ] && [ "$_s" -lt "$MAXS" ]; then
		t_pass "$_n: under $MAXS s"
	else
		t_fail "$_n: under $MAXS s ($el)"
	fi
}
# refused NAME PATTERN [EXIT]: the last bounded run ended so
refused()
{
	t_eq "$1: exit" "$rc" "${3:-1}"
	t_match "$1: message" "$out" "$2"
}
# feed ARGS...: mkhostile's stream, into the pipe "in" that the verifier
# reads; bundle ARGS...: the same after a manifest and the certificates
feed() { rm -f in; mkfifo in; "$H" "$@" > in 2>/dev/null & }
bundle() { feed manifest certs=pki "$@"; }
verify() { bounded "$1" "$V" -t pki/trust.pem in; wait; }

# --- quadratic attributes, and the ways around a scanner ----------------------
for k in attrs gtattrs nsdecl hidden; do
	bundle lot=1:$k:100000; verify "lot $k"
	refused "lot $k" "lot 1: lots/000000000001.xml refused before parsing: byte [0-9]+: an element with more than 16 attributes"
done
bundle lot=1:utf16:100000; verify "lot utf16"
refused "lot utf16" "refused before parsing: byte 0: not UTF-8"
bundle lot=1:ebcdic:100000; verify "lot ebcdic"
refused "lot ebcdic" "refused before parsing: byte 42: not UTF-8"
bundle lot=1:declared:100000; verify "lot declared IBM037"
refused "lot declared IBM037" "refused before parsing: byte [0-9]+: declared encoding \"IBM037\": only UTF-8 is read"
bundle lot=1:pitag:100000; verify "lot pitag"
refused "lot pitag" "refused before parsing: byte [0-9]+: '<' in a processing instruction"
bundle lot=1:badcomment:100000; verify "lot badcomment"
refused "lot badcomment" "refused before parsing: byte [0-9]+: not an XML character"
bundle lot=1:laughs:10; verify "lot laughs"
refused "lot laughs" "refused before parsing: byte [0-9]+: a DTD or declaration \\(refused\\)"
bundle lot=1:entities:1000000; verify "lot entities"
refused "lot entities" "lot 1: lots/000000000001.xml is not well-formed XML"
bundle lot=1:deep:100000; verify "lot deep"
refused "lot deep" "refused before parsing: byte [0-9]+: nested deeper than 64"

# --- node counts, sizes, threads ------------------------------------------------
bundle lot=1:empties:10000000; verify "lot of 40 MB <a/>"
refused "lot of 40 MB <a/>" "refused before parsing: byte [0-9]+: more than 1004096 elements"
bundle lot=1:empties:15000000; verify "lot of 60 MB <a/>"
refused "lot of 60 MB <a/>" "ERROR in: lots/000000000001.xml: not checked: [0-9]+ bytes, more than the 128 MiB the verifier parses at once allow"
bundle lot=1:text:40000000; verify "lot of one 40 MB text"
refused "lot of one 40 MB text" "lot 1: Premier/Dernier missing or inconsistent"
bundle lot=1:evenements:20000; verify "lot too costly to parse"
refused "lot too costly to parse" "ERROR in: lots/000000000001.xml: not checked: 20001 elements and 320002 attributes, more than the 128 MiB the verifier parses at once allow"
bundle lot=1:evenements:12000 lot=2:evenements:12000 \
    lot=3:evenements:12000 lot=4:evenements:12000 \
    lot=5:evenements:12000 lot=6:evenements:12000; verify "six costly lots"
refused "six costly lots" "lot 6: Id attribute is \"\", expected \"lot-000000000006\""
# each costs about 75 MB to parse: two at once would pass the budget
t_ok "six costly lots: one parsed at a time (under 160 MiB)" \
    test "${kb:-999999999}" -lt $((160 * 1024))

# --- order, unlisted entries -----------------------------------------------------
feed manifest lot=1:text:30000000 lot=2:text:30000000 lot=3:text:30000000 \
    lot=4:text:30000000 lot=5:text:30000000 lot=6:text:30000000 \
    lot=7:text:30000000 lot=8:text:30000000 certs=pki
verify "lots before the certificates"
refused "lots before the certificates" "lots/000000000008.xml comes before certs/seal.pem and certs/tsa.pem \\(refused: the certificates come first\\)"
bundle lots=200000; verify "200000 empty lots"
refused "200000 empty lots" "lot 200000: lots/000000200000.xml refused before parsing: byte 0: does not begin with '<'"
bundle lots=3 lots=100000; verify "lots again"
refused "lots again" "lots/000000000001.xml comes after lots/000000000003.xml: out of lot order or twice \\(refused, the rest of the archive is not read\\)"
bundle unlisted=1000000; verify "a million unlisted entries"
refused "a million unlisted entries" "entry \"x/0\" is not part of the format \\(refused; the rest of the archive is not read\\)"
t_eq "only the first is reported" "$(printf '%s\n' "$out" | grep -c 'x/')" 1
bundle events=1000000; verify "a million empty event files"
refused "a million empty event files" "events/000000000001.p7m is not listed in any lot \\(extra file; refused, the rest of the archive is not read\\)"
bundle lot=1:lists:3 events=1000000; verify "event files past those a lot lists"
refused "event files past those a lot lists" "events/000000000004.p7m is not listed in any lot \\(extra file; refused, the rest of the archive is not read\\)"
bundle lot=1:lists:3 events=2 events=1000000; verify "event files again"
refused "event files again" "events/000000000001.p7m comes after events/000000000002.p7m: out of IDEvt order or twice \\(refused, the rest of the archive is not read\\)"

# --- tar: pax, long names, GNU and sparse entries --------------------------------
long=events/$(printf '%0200d' 1).p7m
bundle pax="$long"; verify "pax long name"
refused "pax long name" "entry \"$long\" is not part of the format"
bundle pax="lots/000000000001.xml/../x"; verify "pax path with dots"
refused "pax path with dots" "is not part of the format"
for ty in L K S 1 2 D; do
	bundle type=$ty; verify "tar type $ty"
	refused "tar type $ty" "bundle archive: entry at byte [0-9]+ has type '$ty': only files are allowed"
done

# --- a trace, with the regulator key ------------------------------------------
"$H" doc attrs 95000 > trace.xml
openssl cms -encrypt -binary -aes256 -recip pki/regulator.pem \
    -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 \
    -in trace.xml -outform DER -out trace.p7m || exit 2
bundle lot=1:lists:1 event=1:trace.p7m
bounded "trace of 95000 attributes" "$V" -t pki/trust.pem -k pki/regulator.key in
wait
refused "trace of 95000 attributes" "event 1: the trace is refused before parsing: byte [0-9]+: an element with more than 32 attributes"
"$H" doc nsdecl 95000 > trace.xml
openssl cms -encrypt -binary -aes256 -recip pki/regulator.pem \
    -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 \
    -in trace.xml -outform DER -out trace.p7m || exit 2
bundle lot=1:lists:1 event=1:trace.p7m
bounded "trace of 95000 namespaces" "$V" -t pki/trust.pem -k pki/regulator.key in
wait
refused "trace of 95000 namespaces" "event 1: the trace is refused before parsing: byte [0-9]+: an element with more than 32 attributes"

# --- journal metadata ----------------------------------------------------------
mkdir j
printf '%s\n' '{"seq":1,"time":"2026-12-03T00:00:00.000Z","event":"journal-open"}' \
    '{"seq":2,"time":"2026-12-03T00:00:01.000Z","event":"journal-close"}' \
    > j/00000001.log
"$H" doc meta 90000 > j/00000001.xml
bounded "journal metadata of 90000 attributes" "$V" journal -t pki/trust.pem j
refused "journal metadata of 90000 attributes" "00000001.xml: refused before parsing: byte [0-9]+: an element with more than 16 attributes"
t_done
