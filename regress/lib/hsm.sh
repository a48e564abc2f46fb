# A SoftHSM2 token in a private directory, for the key ceremony and
# sealerd tests:
#
#	hsm_init DIR LABEL PIN
#
# writes DIR/softhsm2.conf (token directory DIR/tokens), initialises a
# token LABEL in a free slot with user PIN PIN (the security officer PIN
# is the same, prefixed with "so"), exports SOFTHSM2_CONF and sets
# HSM_MODULE to the SoftHSM2 PKCS#11 module.  Returns 1 if SoftHSM2 is
# not installed.
#
#	hsm_module		prints the module path (or nothing)
#	hsm_add_token LABEL PIN	another token in the same configuration

hsm_module()
{
	for m in "${CFJL_PKCS11_MODULE:-}" \
	    /usr/lib/softhsm/libsofthsm2.so \
	    "/usr/lib/$(uname -m)-linux-gnu/softhsm/libsofthsm2.so" \
	    /usr/lib64/pkcs11/libsofthsm2.so \
	    /usr/lib/pkcs11/libsofthsm2.so \
	    /usr/local/lib/softhsm/libsofthsm2.so; do
		[ -n "$m" ] && [ -f "$m" ] && { echo "$m"; return 0; }
	done
	return 1
}

hsm_init()
{
	_hd=$1
	HSM_MODULE=$(hsm_module) || { echo "hsm: no SoftHSM2 module"; return 1; }
	command -v softhsm2-util >/dev/null 2>&1 ||
	    { echo "hsm: no softhsm2-util"; return 1; }
	mkdir -p "$_hd/tokens" || return 1
	chmod 0700 "$_hd" "$_hd/tokens"
	cat > "$_hd/softhsm2.conf" <<CONF
directories.tokendir = $_hd/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
	SOFTHSM2_CONF=$_hd/softhsm2.conf
	HSM_DIR=$_hd
	export SOFTHSM2_CONF HSM_MODULE HSM_DIR
	hsm_add_token "$2" "$3"
}

hsm_add_token()
{
	softhsm2-util --init-token --free --label "$1" --pin "$2" \
	    --so-pin "so$2" >/dev/null || { echo "hsm: cannot create token $1"; return 1; }
}
