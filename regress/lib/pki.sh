# A throwaway pair of PKIs, the operator's and the regulator's:
#
#	pki_make DIR
#
# DIR/ca.pem ca.key             the operator's CA: depositors, frontd, and
#                               (in tests) the vault's seal and TSA keys
# DIR/crl.pem                   its CRL
# DIR/regulator-ca.pem .key     the regulator's CA: readers, encryption
# DIR/regulator-crl.pem         its CRL (empty)
# DIR/server.pem server.key     frontd (localhost, 127.0.0.1)
# DIR/depositor.pem .key        CN=capteur-1,O=Operateur 48,C=FR
# DIR/reader.pem .key           CN=agent-anj,O=ANJ,C=FR (regulator's CA)
# DIR/impostor.pem .key         the reader's exact subject, operator's CA
# DIR/agent.pem agent-twin.pem  CN=agent-2,O=ANJ,C=FR twice (regulator's
#                               CA): for a role bound to one fingerprint
# DIR/nobody.pem .key           CN=inconnu,O=Operateur 48,C=FR (no role)
# DIR/revoked.pem .key          CN=revoque,O=Operateur 48,C=FR, in crl.pem
# DIR/other-ca.pem stranger.pem .key   a client of another CA
# DIR/regulator.pem .key        the regulator's encryption certificate
# DIR/trust.pem                 the CA certificates for cfjl-verify
# DIR/tech-admin.p12 .pem .key  the technical administrator (operator's CA)
# DIR/func-admin.p12 .pem .key  the functional administrator (regulator's
#                               CA); both PKCS#12 files under $PKI_P12_PASS
#
#	pki_admins DIR
#
# only the two CAs (if not there yet) and the two administrators, for
# tests that need no more; pki_admin_conf DIR prints the cfjl.conf lines
# that trust them, pki_admin_env DIR exports CFJL_TECH_ADMIN_P12,
# CFJL_FUNC_ADMIN_P12 and CFJL_P12_PASS for cfjlctl.
#
#	pki_p12 DIR NAME [CA]
#
# writes DIR/NAME.p12 from NAME.key and NAME.pem, with CA's certificate.
#
#	pki_revoke DIR NAME [regulator]
#
# revokes DIR/NAME.pem (of the operator's CA, or the regulator's) and
# writes crl.pem (regulator-crl.pem) anew.
#
#	pki_fingerprint FILE
#
# prints the SHA-256 fingerprint of a certificate, 64 lower-case digits.
#
#	pki_sign_csr DIR CSR OUT seal|tsa
#
# signs a certificate request from the key ceremony, as the regulator would:
# a seal certificate has the critical extended key usage documentSigning
# (1.3.6.1.5.5.7.3.36, RFC 9336) alone, a tsa one timeStamping alone.

PKI_DEPOSITOR_DN="CN=capteur-1,O=Operateur 48,C=FR"
PKI_READER_DN="CN=agent-anj,O=ANJ,C=FR"
PKI_NOBODY_DN="CN=inconnu,O=Operateur 48,C=FR"
PKI_REVOKED_DN="CN=revoque,O=Operateur 48,C=FR"
PKI_AGENT_DN="CN=agent-2,O=ANJ,C=FR"
PKI_TECH_ADMIN_DN="CN=admin-technique,O=Operateur 48,C=FR"
PKI_FUNC_ADMIN_DN="CN=admin-fonctionnel,O=ANJ,C=FR"
PKI_P12_PASS=${PKI_P12_PASS:-cfjl-admin-demo}

_pki_ext()
{
	case $1 in
	ca)	 printf '%s\n' "basicConstraints=critical,CA:true" \
		    "keyUsage=critical,keyCertSign,cRLSign" \
		    "subjectKeyIdentifier=hash" ;;
	server)	 printf '%s\n' "basicConstraints=critical,CA:false" \
		    "keyUsage=critical,digitalSignature,keyEncipherment" \
		    "extendedKeyUsage=serverAuth" \
		    "subjectAltName=DNS:localhost,IP:127.0.0.1" ;;
	client)	 printf '%s\n' "basicConstraints=critical,CA:false" \
		    "keyUsage=critical,digitalSignature" \
		    "extendedKeyUsage=clientAuth" ;;
	regulator) printf '%s\n' "basicConstraints=critical,CA:false" \
		    "keyUsage=critical,keyEncipherment,dataEncipherment" ;;
	seal)	 printf '%s\n' "basicConstraints=critical,CA:false" \
		    "keyUsage=critical,digitalSignature,nonRepudiation" \
		    "extendedKeyUsage=critical,1.3.6.1.5.5.7.3.36" \
		    "subjectKeyIdentifier=hash" \
		    "authorityKeyIdentifier=keyid" ;;
	tsa)	 printf '%s\n' "basicConstraints=critical,CA:false" \
		    "keyUsage=critical,digitalSignature,nonRepudiation" \
		    "extendedKeyUsage=critical,timeStamping" \
		    "subjectKeyIdentifier=hash" \
		    "authorityKeyIdentifier=keyid" ;;
	esac
}

# _pki_dn "CN=a,O=b,C=FR" -> "/C=FR/O=b/CN=a"
_pki_dn()
{
	printf '%s\n' "$1" | awk -F, '{ s = ""; for (i = NF; i > 0; i--) s = s "/" $i; print s }'
}

# _pki_issue DIR NAME DN PROFILE [CA]
_pki_issue()
{
	d=$1; n=$2; dn=$3; prof=$4; ca=${5:-ca}
	openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$n.key" \
	    -subj "$(_pki_dn "$dn")" -out "$d/$n.csr" 2>/dev/null || return 1
	_pki_ext "$prof" > "$d/$n.ext"
	openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
	    -CAcreateserial -days 730 -sha256 -extfile "$d/$n.ext" \
	    -out "$d/$n.pem" 2>/dev/null || return 1
	chmod 0644 "$d/$n.key"
}

_pki_ca()
{
	d=$1; n=$2; dn=$3
	_pki_ext ca > "$d/$n.ext"
	openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$d/$n.key" \
	    -subj "$(_pki_dn "$dn")" -days 3650 -sha256 \
	    -extensions v3 -config /dev/stdin -out "$d/$n.pem" 2>/dev/null <<CONF
[req]
distinguished_name = dn
[dn]
[v3]
$(cat "$d/$n.ext")
CONF
}

pki_make()
{
	d=$1
	mkdir -p "$d" || return 1
	_pki_ca "$d" ca "CN=CFJL Test Operator CA,O=Operateur 48,C=FR" || return 1
	_pki_ca "$d" regulator-ca "CN=CFJL Test Regulator CA,O=Regulateur,C=FR" || return 1
	_pki_ca "$d" other-ca "CN=Other CA,O=Ailleurs,C=FR" || return 1
	_pki_issue "$d" server "CN=localhost,O=Operateur 48,C=FR" server || return 1
	_pki_issue "$d" depositor "$PKI_DEPOSITOR_DN" client || return 1
	_pki_issue "$d" reader "$PKI_READER_DN" client regulator-ca || return 1
	_pki_issue "$d" impostor "$PKI_READER_DN" client || return 1
	_pki_issue "$d" agent "$PKI_AGENT_DN" client regulator-ca || return 1
	_pki_issue "$d" agent-twin "$PKI_AGENT_DN" client regulator-ca || return 1
	_pki_issue "$d" nobody "$PKI_NOBODY_DN" client || return 1
	_pki_issue "$d" revoked "$PKI_REVOKED_DN" client || return 1
	_pki_issue "$d" stranger "$PKI_DEPOSITOR_DN" client other-ca || return 1
	_pki_issue "$d" regulator "CN=ANJ Chiffrement,O=ANJ,C=FR" regulator \
	    regulator-ca || return 1

	# A CRL revoking one client; the regulator's revokes none.
	_pki_cadb "$d" ca || return 1
	_pki_cadb "$d" regulator-ca || return 1
	openssl ca -config "$d/ca.db/ca.cnf" -cert "$d/ca.pem" \
	    -keyfile "$d/ca.key" -revoke "$d/revoked.pem" 2>/dev/null || return 1
	_pki_crl "$d" ca crl || return 1
	_pki_crl "$d" regulator-ca regulator-crl || return 1
	cp "$d/ca.pem" "$d/trust.pem"
	pki_admins "$d"
}

pki_admins()
{
	d=$1
	mkdir -p "$d" || return 1
	[ -f "$d/ca.pem" ] ||
	    _pki_ca "$d" ca "CN=CFJL Test Operator CA,O=Operateur 48,C=FR" || return 1
	[ -f "$d/regulator-ca.pem" ] ||
	    _pki_ca "$d" regulator-ca "CN=CFJL Test Regulator CA,O=Regulateur,C=FR" || return 1
	_pki_issue "$d" tech-admin "$PKI_TECH_ADMIN_DN" client || return 1
	_pki_issue "$d" func-admin "$PKI_FUNC_ADMIN_DN" client regulator-ca || return 1
	pki_p12 "$d" tech-admin && pki_p12 "$d" func-admin regulator-ca
}

pki_p12()
{
	openssl pkcs12 -export -inkey "$1/$2.key" -in "$1/$2.pem" \
	    -certfile "$1/${3:-ca}.pem" -name "$2" \
	    -passout "pass:$PKI_P12_PASS" -out "$1/$2.p12" 2>/dev/null &&
	    chmod 0644 "$1/$2.p12"
}

pki_admin_conf()
{
	printf 'ca operator "%s"\nca regulator "%s"\n' "$1/ca.pem" \
	    "$1/regulator-ca.pem"
	printf 'admin technical "%s"\nadmin functional "%s"\n' \
	    "$PKI_TECH_ADMIN_DN" "$PKI_FUNC_ADMIN_DN"
}

pki_admin_env()
{
	CFJL_TECH_ADMIN_P12=$1/tech-admin.p12
	CFJL_FUNC_ADMIN_P12=$1/func-admin.p12
	CFJL_P12_PASS=$PKI_P12_PASS
	export CFJL_TECH_ADMIN_P12 CFJL_FUNC_ADMIN_P12 CFJL_P12_PASS
}

# _pki_cadb DIR CA: the database "openssl ca" keeps for CRLs.
_pki_cadb()
{
	mkdir -p "$1/$2.db"
	: > "$1/$2.db/index.txt"
	echo 1000 > "$1/$2.db/crlnumber"
	cat > "$1/$2.db/ca.cnf" <<CONF
[ca]
default_ca = test
[test]
database = $1/$2.db/index.txt
crlnumber = $1/$2.db/crlnumber
default_md = sha256
default_crl_days = 30
CONF
}

# _pki_crl DIR CA OUT: DIR/OUT.pem, written whole then renamed.
_pki_crl()
{
	openssl ca -config "$1/$2.db/ca.cnf" -cert "$1/$2.pem" \
	    -keyfile "$1/$2.key" -gencrl -out "$1/$3.pem.new" 2>/dev/null &&
	    mv "$1/$3.pem.new" "$1/$3.pem"
}

pki_revoke()
{
	if [ "${3:-}" = regulator ]; then _ca=regulator-ca _crl=regulator-crl
	else _ca=ca _crl=crl; fi
	openssl ca -config "$1/$_ca.db/ca.cnf" -cert "$1/$_ca.pem" \
	    -keyfile "$1/$_ca.key" -revoke "$1/$2.pem" 2>/dev/null &&
	    _pki_crl "$1" "$_ca" "$_crl"
}

pki_fingerprint()
{
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
	    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# pki_sign_csr DIR CSR OUT seal|tsa
pki_sign_csr()
{
	d=$1
	_pki_ext "$4" > "$d/$4.ext"
	openssl x509 -req -in "$2" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -CAcreateserial -days 730 -sha256 -extfile "$d/$4.ext" \
	    -out "$3" 2>/dev/null
}
