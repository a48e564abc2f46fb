# Shared by the sealerd tests: a throwaway PKI, a SoftHSM token with the
# keys made by cfjl-keys and certified by the test CA, and a cfjl.conf.
#
#	. "$(dirname "$0")/setup.sh"	# after common.sh, t_unprivileged, t_tmpdir
#	sealer_setup			# $T/pki $T/hsm $T/state $T/cfjl.conf
#	sealer_conf [extra sealerd lines]	# rewrite $T/cfjl.conf
#
# SEAL_TEST and SEALER_CLIENT are the unit-test programs, KEYS cfjl-keys.

. "$TOP/regress/lib/pki.sh"
. "$TOP/regress/lib/hsm.sh"

SEAL_PIN=24681357
SEAL_TEST=$TOP/regress/sealerd/seal_test
SEALER_CLIENT=$TOP/regress/sealerd/sealer_client
KEYS=$TOP/cfjl-keys/cfjl-keys
SEALERD=$TOP/sealerd/sealerd

sealer_need()
{
	t_need openssl xmlsec1 softhsm2-util
	hsm_module >/dev/null || t_skip "SoftHSM2 module not installed"
	for b in "$SEAL_TEST" "$KEYS"; do
		[ -x "$b" ] || t_skip "$b not built (make -C regress all)"
	done
}

# sealer_conf [line...]: the sealerd block gets the lines given, else
# "clock relaxed".
sealer_conf()
{
	{
		cat <<CONF
operator 48
vault 1
runtime-dir "$T/run"
sealerd {
	pkcs11 module "${SEAL_MODULE:-$HSM_MODULE}"
	pkcs11 token "${SEAL_TOKEN:-cfjl}"
	pkcs11 pin-file "$T/hsm/pin"
	seal key "cfjl-seal" certificate "$T/pki/seal.pem"
	tsa key "cfjl-tsa" certificate "$T/pki/tsa.pem"
	tsa policy "1.3.6.1.4.1.99999.1.1"
	tsa accuracy 500ms
	state-dir "$T/state"
CONF
		if [ $# -eq 0 ]; then
			printf '\tclock relaxed\n'
		else
			for l; do printf '\t%s\n' "$l"; done
		fi
		echo "}"
	} > "$T/cfjl.conf"
}

sealer_setup()
{
	mkdir -p "$T/state" "$T/run" "$T/out" || return 1
	chmod 0700 "$T/state"
	pki_make "$T/pki" || { echo "PKI failed"; return 1; }
	hsm_init "$T/hsm" cfjl "$SEAL_PIN" || return 1
	printf '%s\n' "$SEAL_PIN" > "$T/hsm/pin"
	chmod 0600 "$T/hsm/pin"
	sealer_conf
	"$KEYS" -f "$T/cfjl.conf" generate -o "$T/hsm" || return 1
	pki_sign_csr "$T/pki" "$T/hsm/seal.csr" "$T/hsm/seal.crt" seal || return 1
	pki_sign_csr "$T/pki" "$T/hsm/tsa.csr" "$T/hsm/tsa.crt" tsa || return 1
	"$KEYS" -f "$T/cfjl.conf" install seal "$T/hsm/seal.crt" || return 1
	"$KEYS" -f "$T/cfjl.conf" install tsa "$T/hsm/tsa.crt" || return 1
}

# The canonical ds:SignatureValue of a lot (exclusive c14n), rebuilt
# from the text: what the time-stamp imprint covers.
sealer_sigvalue_c14n()
{
	sed -n 's|.*<ds:SignatureValue Id="\([^"]*\)">\([^<]*\)</ds:SignatureValue>.*|\1 \2|p' "$1" |
	    { read -r id v; printf '<ds:SignatureValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="%s">%s</ds:SignatureValue>' "$id" "$v"; }
}

sealer_token()
{
	sed -n 's|.*<xades:EncapsulatedTimeStamp>\([^<]*\)</xades:EncapsulatedTimeStamp>.*|\1|p' "$1" | base64 -d
}

# base64 SHA-256 of the decoded SignatureValue: the next Precedent.
sealer_next_precedent()
{
	sed -n 's|.*<ds:SignatureValue Id="[^"]*">\([^<]*\)</ds:SignatureValue>.*|\1|p' "$1" |
	    base64 -d | openssl dgst -sha256 -binary | base64
}

sealer_verify_xml()
{
	xmlsec1 --verify --trusted-pem "$T/pki/ca.pem" \
	    --id-attr:Id urn:cfjl:lot:1:Lot "$1" >/dev/null 2>&1
}

sealer_verify_ts()
{
	sealer_token "$1" > "$1.tst" || return 1
	sealer_sigvalue_c14n "$1" > "$1.sv" || return 1
	openssl ts -verify -digest "$(openssl dgst -sha256 -r "$1.sv" | cut -d' ' -f1)" \
	    -in "$1.tst" -token_in -CAfile "$T/pki/ca.pem" \
	    -untrusted "$T/pki/tsa.pem" >/dev/null 2>&1
}
