#!/bin/sh
# sealerd seals checkpoints as it seals lots (xmlsec1 accepts them), with
# the newest sealed journal file auditd named (never going back to an
# older one); a checkpoint that contradicts itself is refused with its
# reason, a journal file name that is not one, or a checkpoint asked by
# auditd, drops the link.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
. "$(dirname "$0")/setup.sh"
sealer_need
[ -x "$SEALERD" ] || t_skip "sealerd not built"
[ -x "$SEALER_CLIENT" ] || t_skip "sealer_client not built"
t_need xmlsec1
t_tmpdir
sealer_setup > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
C=$T/cfjl.conf
R=$T/run
PID=

sd_stop()
{
	[ -n "$PID" ] || return 0
	kill "$PID" 2>/dev/null
	n=50; while kill -0 "$PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -9 "$PID" 2>/dev/null
	PID=
}
t_cleanup_add sd_stop
rm -f "$R/sealer.sock"
"$SEALERD" -d -v -f "$C" >> "$T/sealerd.log" 2>&1 &
PID=$!
t_ok "sealerd starts" t_wait_path "$R/sealer.sock" 10
cl() { "$SEALER_CLIENT" "$@" 2>&1; }
verify_xml()
{
	xmlsec1 --verify --trusted-pem "$T/pki/ca.pem" \
	    --enabled-reference-uris empty,same-doc \
	    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" \
	    "$1" >/dev/null 2>&1
}

# before any journal file is sealed
t_eq "checkpoint 1 sealed" "$(cl "$R" checkpoint 1 0 0 "$T/c1.xml")" \
    "sealed, journal none"
t_ok "xmlsec1 --verify accepts it" verify_xml "$T/c1.xml"
t_match "its fields" "$(cat "$T/c1.xml")" \
    '<Checkpoint xmlns="urn:cfjl:checkpoint:1" Id="checkpoint-000000000001" Numero="1" Operateur="48" Coffre="1" Heure="[0-9T:.-]{23}Z">'
t_match "no lot yet" "$(cat "$T/c1.xml")" \
    '<DernierLot Numero="0" IDEvt="0" Sceau="ERERERERERERERERERERERERERERERERERERERERERE="/>'
t_match "its Precedent" "$(cat "$T/c1.xml")" \
    '<Precedent>IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=</Precedent>'
t_not "no Journal element" grep -q '<Journal' "$T/c1.xml"

# auditd names its newest sealed file
d3=0303030303030303030303030303030303030303030303030303030303030303
d2=0202020202020202020202020202020202020202020202020202020202020202
t_eq "auditd names file 3" "$(cl -n auditd "$R" journal-sealed 00000003.log $d3)" told
t_eq "checkpoint 2 names it" "$(cl "$R" checkpoint 2 3 30 "$T/c2.xml")" \
    "sealed, journal 00000003.log"
t_ok "xmlsec1 --verify accepts it" verify_xml "$T/c2.xml"
t_match "the file and its metadata digest" "$(cat "$T/c2.xml")" \
    '<Journal Fichier="00000003.log" Metadonnees="AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="/>'
t_eq "an older file named later" "$(cl -n auditd "$R" journal-sealed 00000002.log $d2)" told
t_eq "is not taken" "$(cl "$R" checkpoint 3 3 30 "$T/c3.xml")" \
    "sealed, journal 00000003.log"

# refused: what contradicts itself
out=$(cl "$R" checkpoint 4 3 0 "$T/c4.xml"); rc=$?
t_eq "a lot without its IDEvt: refused" "$rc" 3
t_eq "a lot without its IDEvt: reason" "$out" \
    "fail 60 checkpoint 4: lot 3 ending at IDEvt 0 is not possible"
out=$(cl "$R" checkpoint 0 0 0 "$T/c0.xml")
t_eq "checkpoint 0: reason" "$out" \
    "fail 60 checkpoint 0: lot 0 ending at IDEvt 0 is not possible"
t_not "nothing written" test -e "$T/c4.xml"

# protocol errors: the link is dropped, sealerd goes on
bad()
{
	kind=$1 why=$2 name=$3
	out=$("$SEALER_CLIENT" -n "$name" "$R" malformed "$kind")
	t_eq "$kind: the link is dropped unanswered" "$out" "closed"
	sleep 0.2
	t_match "$kind: logged" "$(cat "$T/sealerd.log")" \
	    "sealer.sock: dropping $name \(uid [0-9]+, pid [0-9]+\): $why\$"
	t_ok "$kind: sealerd still running" kill -0 "$PID"
}
bad journal-sealed-name 'journal-sealed: journal file "../x.log"' auditd
bad checkpoint "checkpoint-make: not a message this sender may send" auditd
t_eq "and still sealing" "$(cl "$R" checkpoint 5 3 30 "$T/c5.xml")" \
    "sealed, journal 00000003.log"
t_done
