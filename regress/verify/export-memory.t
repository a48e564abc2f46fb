#!/bin/sh
# stored's export writer keeps memory flat whatever the range: pages of
# rows are read only when the output has room, at most EXPORT_WINDOW
# chunks wait for frontd.  Measured on the generator, which drives
# export.c with frontd's flow control over an in-memory database.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/regress/lib/pki.sh"
MK=$TOP/regress/verify/mkvault
V=$TOP/cfjl-verify/cfjl-verify
[ -x "$MK" ] || t_skip "mkvault not built (make -C regress all)"
[ -x "$V" ] || t_skip "cfjl-verify not built"
[ -r /proc/self/status ] || t_skip "no /proc to measure memory"
t_need openssl
t_tmpdir
cd "$T" || exit 2
pki_make pki || exit 2
for r in seal tsa; do
	openssl req -new -newkey rsa:2048 -nodes -keyout pki/$r.key \
	    -subj "/C=FR/O=Operateur 48/CN=CFJL $r" -out pki/$r.csr 2>/dev/null
	pki_sign_csr pki pki/$r.csr pki/$r.pem $r || exit 2
done
mkdir state
$MK make -p pki -a "$ARJEL/samples" -s state -n 12000 -l 1000 -o vault \
    2>/dev/null || exit 2
mkdir vault/certs && cp pki/seal.pem pki/tsa.pem vault/certs/

# Under the sanitizers (make SAN=1) freed memory is held back in a
# quarantine (256 MB) that would count as growth: it is kept to 1 MB,
# and the redzones and shadow of what is live are allowed for.
slack=4096
if t_sanitized "$MK"; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
	export ASAN_OPTIONS
	slack=8192
fi
peak() { sed -n 's/.*peak memory \([0-9]*\) kB.*/\1/p' "$1"; }
$MK export -v vault -f 1 -t 1000 -o small.tar 2> small.log
t_eq "a small export" "$?" 0
$MK export -v vault -f 1 -t 12000 -o large.tar 2> large.log
t_eq "a large export" "$?" 0
t_match "the large one took many chunks, never more than 4 ahead" \
    "$(cat large.log)" "chunks [0-9]{2,}, at most [1-4] in flight"
small=$(peak small.log)
large=$(peak large.log)
grow=$(( $(wc -c < large.tar) - $(wc -c < small.tar) ))
t_log "peak memory: ${small} kB for $(wc -c < small.tar) bytes, ${large} kB for $(wc -c < large.tar) bytes"
t_ok "the bundle grew by more than 15 MB" test "$grow" -gt 15000000
t_ok "memory did not grow with it (less than $((slack / 1024)) MB more)" \
    test $((large - small)) -lt "$slack"
out=$("$V" -t pki/trust.pem large.tar 2>&1)
t_eq "the large bundle verifies" "$?" 0
t_match "all of it" "$out" "12000 files present"
t_done
