# A throwaway PKI playing both the operator's and the regulator's:
#
#	pki_make DIR
#
# DIR/ca.pem ca.key             the CA for TLS clients and the vault's keys
# DIR/server.pem server.key     frontd (localhost, 127.0.0.1)
# DIR/depositor.pem .key        CN=capteur-1,O=Operateur 48,C=FR
# DIR/reader.pem .key           CN=agent-anj,O=ANJ,C=FR
# DIR/nobody.pem .key           CN=inconnu,O=Operateur 48,C=FR (no role)
# DIR/revoked.pem .key          CN=revoque,O=Operateur 48,C=FR, in crl.pem
# DIR/crl.pem                   the CA's CRL
# DIR/other-ca.pem stranger.pem .key   a client of another CA
# DIR/regulator.pem .key        the regulator's encryption certificate
# DIR/trust.pem                 the CA certificates for cfjl-verify
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
	_pki_ca "$d" ca "CN=CFJL Test CA,O=Regulateur,C=FR" || return 1
	_pki_ca "$d" other-ca "CN=Other CA,O=Ailleurs,C=FR" || return 1
	_pki_issue "$d" server "CN=localhost,O=Operateur 48,C=FR" server || return 1
	_pki_issue "$d" depositor "$PKI_DEPOSITOR_DN" client || return 1
	_pki_issue "$d" reader "$PKI_READER_DN" client || return 1
	_pki_issue "$d" nobody "$PKI_NOBODY_DN" client || return 1
	_pki_issue "$d" revoked "$PKI_REVOKED_DN" client || return 1
	_pki_issue "$d" stranger "$PKI_DEPOSITOR_DN" client other-ca || return 1
	_pki_issue "$d" regulator "CN=ANJ Chiffrement,O=ANJ,C=FR" regulator || return 1

	# A CRL revoking one client.
	mkdir -p "$d/ca.db"
	: > "$d/ca.db/index.txt"
	echo 1000 > "$d/ca.db/crlnumber"
	cat > "$d/ca.db/ca.cnf" <<CONF
[ca]
default_ca = test
[test]
database = $d/ca.db/index.txt
crlnumber = $d/ca.db/crlnumber
default_md = sha256
default_crl_days = 30
CONF
	openssl ca -config "$d/ca.db/ca.cnf" -cert "$d/ca.pem" \
	    -keyfile "$d/ca.key" -revoke "$d/revoked.pem" 2>/dev/null || return 1
	openssl ca -config "$d/ca.db/ca.cnf" -cert "$d/ca.pem" \
	    -keyfile "$d/ca.key" -gencrl -out "$d/crl.pem" 2>/dev/null || return 1
	cp "$d/ca.pem" "$d/trust.pem"
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
