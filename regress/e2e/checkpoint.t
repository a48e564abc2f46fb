#!/bin/sh
# Checkpoints in the running suite (checkpoint every 1s): an idle vault
# keeps sealing them, chained, append-only in the database;
# GET /v1/checkpoint returns the newest to depositors and readers; an
# export carries it and cfjl-verify checks the bundle against it and
# against one kept from before; the checkpoint anchors the journal, so
# that cfjl-verify journal -c refuses a journal rolled back or rewritten
# from the file it names, which a plain check of the chain accepts.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_need curl openssl psql xmlsec1
t_tmpdir
. "$TOP/regress/lib/suite.sh"
SUITE_CHECKPOINT_EVERY=1s
suite_setup || exit 2
suite_start || exit 2

CTL="$TOP/cfjlctl/cfjlctl"
VERIFY="$TOP/cfjl-verify/cfjl-verify"
J=$SUITE/journal
ctl() { "$CTL" -s "$SUITE/run" "$@"; }
count() { suite_psql "SELECT count(*) FROM checkpoints"; }
# wait_for SQL-CONDITION: until a checkpoint satisfies it (10 s at most)
wait_for()
{
	_n=100
	while [ "$(suite_psql "SELECT count(*) FROM checkpoints WHERE $1")" = 0 ]; do
		_n=$((_n - 1)); [ $_n -gt 0 ] || return 1; sleep 0.1
	done
}

# --- idle: checkpoints keep coming ----------------------------------------------
t_ok "a first checkpoint" wait_for "numero >= 1"
c1=$(count)
sleep 3
c2=$(count)
t_ok "an idle vault keeps making checkpoints ($c1, then $c2)" \
    test "$c2" -ge $((c1 + 2))
t_eq "numbered without a gap" \
    "$(suite_psql "SELECT max(numero) - min(numero) + 1 - count(*) FROM checkpoints")" 0
t_eq "idle: no lot named" \
    "$(suite_psql "SELECT count(*) FROM checkpoints WHERE last_lot <> 0")" 0
t_eq "chained: each Precedent is the digest before it" \
    "$(suite_psql "SELECT count(*) FROM checkpoints c JOIN checkpoints p
        ON p.numero = c.numero - 1 WHERE position(
        ('<Precedent>' || encode(p.sigvalue_sha256, 'base64') ||
        '</Precedent>')::bytea IN c.xml) = 0")" 0
out=$(suite_psql "UPDATE checkpoints SET last_lot = 7 WHERE numero = 1" 2>&1)
t_match "the checkpoints are append-only" "$out" \
    "CFJL: UPDATE on checkpoints refused: the vault is append-only"
out=$(suite_psql "INSERT INTO checkpoints SELECT numero + 5, xml,
    sigvalue_sha256, last_lot, last_idevt, journal_file, journal_meta, made
    FROM checkpoints ORDER BY numero DESC LIMIT 1" 2>&1)
t_match "a checkpoint that does not follow is refused" "$out" \
    "CFJL: checkpoint [0-9]+ does not follow [0-9]+"

# --- GET /v1/checkpoint -------------------------------------------------------------
code=$(read_curl -o "$T/idle.xml" -w '%{http_code} %{content_type}' \
    "$CFJL_URL/v1/checkpoint")
t_eq "a reader gets the checkpoint" "$code" "200 application/xml"
t_match "it is a checkpoint of this vault" "$(cat "$T/idle.xml")" \
    '<Checkpoint xmlns="urn:cfjl:checkpoint:1" Id="checkpoint-[0-9]{12}" Numero="[0-9]+" Operateur="48" Coffre="1"'
t_eq "a depositor gets it too" \
    "$(dep_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/checkpoint")" 200
t_eq "nobody does not" \
    "$(nobody_curl -o /dev/null -w '%{http_code}' "$CFJL_URL/v1/checkpoint")" 403
t_eq "it is read, not written" \
    "$(read_curl -o /dev/null -w '%{http_code}' -d '' "$CFJL_URL/v1/checkpoint")" 405
t_ok "xmlsec1 --verify accepts its seal" xmlsec1 --verify \
    --trusted-pem "$P/ca.pem" --enabled-reference-uris empty,same-doc \
    --id-attr:Id "http://uri.etsi.org/01903/v1.3.2#:SignedProperties" \
    "$T/idle.xml"

# --- deposits, a journal file sealed, a checkpoint naming both ------------------------
for i in 1 2 3; do
	suite_sample CPTEALIM > "$T/in.xml"
	t_eq "deposit $i" "$(dep_curl -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/xml' --data-binary @"$T/in.xml" \
	    "$CFJL_URL/v1/events")" 201
done
ctl journal close >/dev/null 2>&1
ctl journal close >/dev/null 2>&1
t_ok "a checkpoint names lot 1 and journal file 2" \
    wait_for "last_lot = 1 AND journal_file = '00000002.log'"
sleep 1.2
read_curl -o "$T/ck.xml" "$CFJL_URL/v1/checkpoint"
t_match "it names the lot" "$(cat "$T/ck.xml")" \
    '<DernierLot Numero="1" IDEvt="3" Sceau="[A-Za-z0-9+/=]{44}"/>'
jf=$(sed -n 's/.*<Journal Fichier="\([0-9]*\.log\)".*/\1/p' "$T/ck.xml")
t_match "it names a sealed journal file" "$jf" '^0000000[2-9]\.log$'

# --- the export carries it --------------------------------------------------------------
code=$(read_curl -o "$T/b.tar" -w '%{http_code}' "$CFJL_URL/v1/export?from=1&to=3")
t_eq "export" "$code" 200
t_ok "the bundle carries checkpoint.xml" sh -c "tar -tf '$T/b.tar' | grep -qx checkpoint.xml"
out=$("$VERIFY" -t "$P/trust.pem" --since-checkpoint "$T/idle.xml" "$T/b.tar" 2>&1); rc=$?
t_eq "the bundle verifies against its checkpoint and the one kept" "$rc" 0
t_match "its checkpoint holds" "$out" \
    "checkpoint [0-9]+: the bundle holds every lot it proves, up to lot 1 \\(IDEvt 3\\)"
t_match "it follows the one kept" "$out" \
    "follows checkpoint [0-9]+ kept, made before any lot was sealed"

# --- journal anchoring -------------------------------------------------------------------
suite_stop
out=$("$VERIFY" journal -t "$P/trust.pem" -c "$T/ck.xml" "$J" 2>&1); rc=$?
t_eq "the journal holds what the checkpoint names" "$rc" 0
t_match "the named file is there" "$out" \
    "names $jf: it is there, with the same metadata"

# a rollback: the files from the named one on are gone
mkdir "$T/rolled" && cp "$J"/* "$T/rolled/"
n=${jf%.log}
for f in "$T"/rolled/*.log; do
	b=$(basename "$f" .log)
	[ "$b" -ge "$n" ] && rm -f "$T/rolled/$b.log" "$T/rolled/$b.xml"
done
out=$("$VERIFY" journal -t "$P/trust.pem" "$T/rolled" 2>&1); rc=$?
t_eq "rolled back: the chain alone holds" "$rc" 0
out=$("$VERIFY" journal -t "$P/trust.pem" -c "$T/ck.xml" "$T/rolled" 2>&1); rc=$?
t_eq "rolled back: refused with the checkpoint" "$rc" 1
t_match "rolled back: message" "$out" \
    "FAIL .*checkpoint .* names $jf, which is missing: the journal was rolled back"

# the named file's metadata rewritten
mkdir "$T/rewritten" && cp "$J"/* "$T/rewritten/"
sed -i 's|<CloseReason>[^<]*</CloseReason>|<CloseReason>tampered</CloseReason>|' \
    "$T/rewritten/$n.xml"
out=$("$VERIFY" journal -t "$P/trust.pem" -c "$T/ck.xml" "$T/rewritten" 2>&1); rc=$?
t_eq "rewritten: refused" "$rc" 1
t_match "rewritten: message" "$out" \
    "FAIL .*names $jf with other metadata: the journal was rewritten from that file on"

# a checkpoint altered after sealing anchors nothing
sed 's/Coffre="1"/Coffre="2"/' "$T/ck.xml" > "$T/bad.xml"
out=$("$VERIFY" journal -t "$P/trust.pem" -c "$T/bad.xml" "$J" 2>&1); rc=$?
t_eq "an altered checkpoint: refused" "$rc" 1
t_match "an altered checkpoint: message" "$out" \
    "checkpoint [0-9]+: signed reference \"\" does not match: the checkpoint changed after sealing"

t_done
