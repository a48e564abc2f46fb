#!/bin/sh
# Lots as sealerd sees them: closed by count and by age, sent in order
# with the previous lot's SignatureValue digest (zeros for lot 1), a
# failed seal retried, seals stored and served to frontd; an idle vault
# opens no lot.  A stand-in plays sealerd.
. "$(dirname "$0")/../lib/common.sh"
t_unprivileged "$@"
t_tmpdir
. "$TOP/regress/stored/stored.sh"
t_need openssl sha256sum
ST_LOT_MAX=3 ST_LOT_AGE=1s st_setup
"$CLIENT" -d "$T/run" sealer -n 3 -f 2 > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
st_start || { cat "$T/stored.log"; exit 1; }
f=$(st_sample PASPMISE)
for i in 1 2 3 4 5 6 7; do st_client deposit "$f" >/dev/null; done
t_eq "open lot answered as open" "$(st_client lot 3 | head -n 1)" "open"

# Lots 1 and 2 by count, lot 3 by age (1 s), each sealed.
i=0
while [ "$(st_sql "SELECT count(*) FROM lot_seals")" != 3 ] && [ $i -lt 60 ]; do
	sleep 0.1; i=$((i + 1))
done
wait "$spid"
cat "$T/sealer.out"
z=0000000000000000000000000000000000000000000000000000000000000000
s1=$(printf 'sig-1' | sha256sum | cut -d' ' -f1)
s2=$(printf 'sig-2' | sha256sum | cut -d' ' -f1)
t_eq "lot 1 sent first, chained to zeros" "$(sed -n 2p "$T/sealer.out")" "lot 1 first 1 last 3 nevents 3 precedent $z operator 48 vault 1"
t_eq "lot 2 chained to lot 1's signature" "$(sed -n 3p "$T/sealer.out")" "lot 2 first 4 last 6 nevents 3 precedent $s1 operator 48 vault 1"
t_eq "lot 2 sent again after its failure" "$(sed -n 4p "$T/sealer.out")" "lot 2 first 4 last 6 nevents 3 precedent $s1 operator 48 vault 1"
t_eq "lot 3 closed by age, chained to lot 2" "$(sed -n 5p "$T/sealer.out")" "lot 3 first 7 last 7 nevents 1 precedent $s2 operator 48 vault 1"
t_eq "three seals stored" "$(st_sql "SELECT string_agg(numero || ':' || encode(xml, 'escape'), ' ' ORDER BY numero) FROM lot_seals")" \
    '1:<Lot Numero="1"/> 2:<Lot Numero="2"/> 3:<Lot Numero="3"/>'
t_eq "the seal served to frontd" "$(st_client lot 2 | tr '\n' ' ')" 'sealed <Lot Numero="2"/>'
t_ok "the failure was logged" grep -q "lot 2 not sealed: token busy" "$T/stored.log"
s=$(st_client status)
t_match "status: last sealed lot" "$s" '"last_sealed_lot":3,'
t_match "status: no sealing lag" "$s" '"sealing_lag":\{"events":0,"lots":0,'

# Idle: no new lot opens.
sleep 1.2
t_eq "an idle vault opens no lot" "$(st_sql "SELECT count(*) FROM lots")" 3
t_eq "no next lot yet" "$(st_client lot 4 | head -n 1)" "unknown"

# Lots closed while sealerd is away wait, and are sent on its return.
for i in 1 2 3; do st_client deposit "$f" >/dev/null; done
t_match "lag while sealerd is away" "$(st_client status)" '"sealing_lag":\{"events":3,"lots":1,'
st_stop
"$CLIENT" -d "$T/run" sealer -n 1 > "$T/sealer.out" 2>&1 &
spid=$!
t_wait_path "$T/run/sealer.sock" 5
st_start || { cat "$T/stored.log"; exit 1; }
wait "$spid"
s3=$(printf 'sig-3' | sha256sum | cut -d' ' -f1)
t_eq "pending lot resumed after a restart" "$(sed -n 2p "$T/sealer.out")" "lot 4 first 8 last 10 nevents 3 precedent $s3 operator 48 vault 1"
t_done
