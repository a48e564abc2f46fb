#!/bin/sh
# frontd's trace checks (frontd/trace.c), driven through tracetest:
# every ARJEL sample passes once its IDEvt is 0, with the IDEvt content
# cut out at the right offset; every refusal has its exact status.
. "$(dirname "$0")/../lib/common.sh"
B=$(cd "$(dirname "$0")" && pwd)/tracetest
X=$ARJEL/xsd
S=$ARJEL/samples
[ -x "$B" ] || t_skip "tracetest not built (make -C regress)"
[ -d "$X" ] || t_skip "no ARJEL schemas in $X"
t_tmpdir

# Every sample, IDEvt set to 0: accepted, and the bytes for stored are
# the sample with <IDEvt></IDEvt>, the offset pointing between the tags.
for f in "$S"/*.xml; do
	n=$(basename "$f" .xml)
	case $n in placeholder-*) continue ;; esac
	sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$f" > "$T/in.xml"
	out=$("$B" -w "$T/out.xml" "$X" "$T/in.xml")
	t_match "$n accepted" "$out" "^ok $n [0-9]{12} [0-9]+ [0-9]+$"
	off=$(echo "$out" | cut -d' ' -f4)
	len=$(echo "$out" | cut -d' ' -f5)
	want=$(sed 's|<IDEvt>1</IDEvt>|<IDEvt></IDEvt>|' "$f")
	t_eq "$n: bytes for stored" "$(cat "$T/out.xml")" "$want"
	t_eq "$n: length" "$len" "$(wc -c < "$T/out.xml" | tr -d ' ')"
	t_eq "$n: offset is after <IDEvt>" "$(head -c "$off" "$T/out.xml" | tail -c 7)" "<IDEvt>"
	# stored writes the number at the offset: the result is the sample.
	{ head -c "$off" "$T/out.xml"; printf 1; tail -c +"$((off + 1))" "$T/out.xml"; } > "$T/num.xml"
	t_ok "$n: number written in gives the sample back" cmp -s "$T/num.xml" "$f"
done

P=$S/PASPMISE.xml
try()	# try "what" expected-regex [tracetest options]: input in $T/i
{
	what=$1; want=$2; shift 2
	out=$("$B" "$@" "$X" "$T/i" 2>&1)
	t_match "$what" "$out" "$want"
}
pasp() { sed "s|<IDEvt>1</IDEvt>|$1|" "$P"; }

pasp '<IDEvt></IDEvt>' > "$T/i"; try "empty IDEvt accepted" "^ok PASPMISE"
pasp '<IDEvt/>' > "$T/i"; try "self-closed IDEvt accepted" "^ok PASPMISE 100412103320 [0-9]+ 744$"
pasp '<IDEvt/>' | "$B" -w "$T/o.xml" "$X" - >/dev/null
t_match "self-closed IDEvt rewritten" "$(cat "$T/o.xml")" "<IDEvt></IDEvt><IDJoueur>"
pasp '<IDEvt> 0 </IDEvt>' > "$T/i"; try "0 with spaces accepted" "^ok PASPMISE"
pasp '<IDEvt><!--SAFE_ID--></IDEvt>' > "$T/i"; try "placeholder accepted" "^ok PASPMISE"
pasp '<IDEvt><!--SAFE_ID--></IDEvt>' | "$B" -w "$T/o.xml" "$X" - >/dev/null
t_match "placeholder removed" "$(cat "$T/o.xml")" "<IDEvt></IDEvt><IDJoueur>"
cp "$S/placeholder-OUVINFOPERSO.xml" "$T/i"
try "placeholder sample: schema-invalid (no TypAg)" \
    "^refused 422 CFJL_INVALID_MESSAGE schema validation failed: .*TypAg"

# Forged numbers: the vault numbers events.
for v in 1 42 00 -1 '+0' 0x0 '<!--OTHER-->' '<![CDATA[0]]>' '<!--SAFE_ID-->0'; do
	pasp "<IDEvt>$v</IDEvt>" > "$T/i"; try "IDEvt '$v' refused" \
	    "^refused 400 CFJL_INVALID_MESSAGE IDEvt belongs to the vault"
done
cp "$P" "$T/i"; try "sample as shipped (IDEvt 1) refused" "^refused 400 .*IDEvt belongs to the vault"
sed 's|<IDEvt>1</IDEvt>||' "$P" > "$T/i"; try "IDEvt absent: 422" "^refused 422 .*IDEvt missing"
pasp '<IDEvt>0</IDEvt><IDEvt>0</IDEvt>' > "$T/i"; try "IDEvt twice: 422" "^refused 422 .*IDEvt missing"

# Operator and vault.
pasp '<IDEvt>0</IDEvt>' > "$T/i"; try "another operator refused" "^refused 422 .*wrong operator: IDOper 48 is not this vault's operator 47" -o 47
pasp '<IDEvt>0</IDEvt>' > "$T/i"; try "another vault refused" "^refused 422 .*wrong vault: IDCoffre 1 is not this vault's number 2" -v 2
pasp '<IDEvt>0</IDEvt>' | sed 's|<IDCoffre>1</IDCoffre>||' > "$T/i"; try "IDCoffre absent: accepted (optional)" "^ok PASPMISE" -v 2
pasp '<IDEvt>0</IDEvt>' | sed 's|<IDOper>48</IDOper>||' > "$T/i"; try "IDOper absent: 422" "^refused 422 .*IDOper missing"

# Schema.
pasp '<IDEvt>0</IDEvt>' | sed 's|<Mise>2</Mise>|<Mise>deux</Mise>|' > "$T/i"; try "schema-invalid: 422 with the first error" "^refused 422 CFJL_INVALID_MESSAGE schema validation failed: line 2: Element 'Mise'"
pasp '<IDEvt>0</IDEvt>' | sed 's|PASPMISE>|PASPPARI>|g' > "$T/i"; try "unknown root: 422" "^refused 422 .*unknown event type: root element PASPPARI"
printf '<IDOper>48</IDOper>' > "$T/i"; try "a schema's helper element as root: 422" "^refused 422 .*unknown event type"
pasp '<IDEvt>0</IDEvt>' | sed 's|<PASPMISE>|<PASPMISE xmlns="urn:x">|' > "$T/i"; try "namespaced root: 422" "^refused 422 .*unknown event type"

# Hostile XML: 400.
{ printf '<?xml version="1.0"?>\n<!DOCTYPE PASPMISE [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'; pasp '<IDEvt>0</IDEvt>' | tail -n 1 | sed 's|<Clair>OM - Inter</Clair>|<Clair>\&x;</Clair>|'; } > "$T/i"; try "XXE refused" "^refused 400 .*DTD refused"
cat > "$T/lol.xml" <<'LOL'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>
LOL
cp "$T/lol.xml" "$T/i"; try "billion laughs refused" "^refused 400 .*DTD refused"
printf '<?xml version="1.0"?><!DOCTYPE PASPMISE SYSTEM "http://127.0.0.1:1/x.dtd"><PASPMISE/>' > "$T/i"; try "external DTD refused" "^refused 400 .*DTD refused"
printf '<PASPMISE>&lol;</PASPMISE>' > "$T/i"; try "undeclared entity: malformed" "^refused 400 .*malformed XML: line 1: Entity 'lol' not defined"
printf '<PASPMISE><IDOper>48</PASPMISE>' > "$T/i"; try "malformed XML: 400" "^refused 400 CFJL_INVALID_MESSAGE malformed XML: line 1:"
printf '' > "$T/i"; try "empty: 400" "^refused 400 .*empty body"
printf 'not xml at all' > "$T/i"; try "not XML: 400" "^refused 400 .*malformed XML"
pasp '<IDEvt>0</IDEvt>' | sed 's|julien|juli\xe9n|' > "$T/i"; try "Latin-1 byte: not UTF-8" "^refused 400 .*not UTF-8: invalid UTF-8"
pasp '<IDEvt>0</IDEvt>' | sed 's|julien|juli\xed\xa0\x80n|' > "$T/i"; try "UTF-8 surrogate: not UTF-8" "^refused 400 .*not UTF-8"
pasp '<IDEvt>0</IDEvt>' | sed 's|julien|juli\xc0\xafn|' > "$T/i"; try "overlong UTF-8: not UTF-8" "^refused 400 .*not UTF-8"
pasp '<IDEvt>0</IDEvt>' | sed 's|encoding="UTF-8"|encoding="ISO-8859-1"|' > "$T/i"; try "declared Latin-1: refused" "^refused 400 .*declared encoding ISO-8859-1"
deep=$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "<Desc>"; for (i = 0; i < 40; i++) printf "</Desc>" }')
pasp '<IDEvt>0</IDEvt>' | sed "s|<Tech>41</Tech>|<Tech>41</Tech>$deep|" > "$T/i"; try "deep nesting refused" "^refused 400 .*too deep: byte [0-9]+: elements nested deeper than 32 levels"
pasp '<IDEvt>0</IDEvt>' > "$T/i"; try "depth limit applies (3 is too shallow)" "^refused 400 .*too deep" -d 3
pasp '<IDEvt>0</IDEvt>' > "$T/i"; try "depth 5 is enough for PASPMISE" "^ok PASPMISE" -d 5

# Attributes, counted before libxml2 (quadratic in them): a trace of 1 MB
# with 95000 on its root held frontd for 105 s.  The ways around a
# count: '>' in values, namespace declarations, a tag in a PI without a
# target or after a character that stops libxml2 inside a comment, a tag
# in a value, another encoding.
# hostile AT BEFORE N KIND AFTER: the PASPMISE sample, with N attributes
# of KIND (a value, or ns) between BEFORE and AFTER inserted after the
# first AT (awk: a 1 MB argument is too long for sed)
hostile()
{
	pasp '<IDEvt>0</IDEvt>' | awk -v at="$1" -v pre="$2" -v n="$3" \
	    -v kind="$4" -v post="$5" '
	!done && (i = index($0, at)) > 0 {
		printf "%s%s", substr($0, 1, i + length(at) - 1), pre
		for (k = 0; k < n; k++)
			if (kind == "ns")
				printf " xmlns:p%d=\"u:%d\"", k, k
			else
				printf " a%d=\"%s\"", k, kind
		print post substr($0, i + length(at))
		done = 1
		next
	}
	{ print }' > "$T/i"
}
timed()	# timed "what" regex: try, under /usr/bin/time, within 2 s
{
	out=$(/usr/bin/time -f 'elapsed %e' "$B" "$X" "$T/i" 2>&1)
	t_match "$1" "$out" "$2"
	el=$(printf '%s\n' "$out" | sed -n 's/^elapsed //p')
	t_log "# $1: ${el}s"
	t_ok "$1: within 2 s" awk -v e="$el" 'BEGIN { exit !(e < 2) }'
}
hostile '<PASPMISE' '' 95000 x ''
timed "95000 attributes: 400" "^refused 400 CFJL_INVALID_MESSAGE too many attributes: byte [0-9]+: more than 32 attributes on an element"
hostile '<PASPMISE' '' 95000 '&gt;>/' ''
timed "95000 attributes holding '>': 400" "^refused 400 .*too many attributes"
hostile '<PASPMISE' '' 95000 ns ''
timed "95000 namespace declarations: 400" "^refused 400 .*too many attributes"
hostile '<Tech>41</Tech>' '<? <Desc' 95000 x '/> ?>'
timed "a tag in a PI with no target: 400" "^refused 400 .*malformed XML: byte [0-9]+: not well-formed"
hostile '<Tech>41</Tech>' "<!-- $(printf '\001') <Desc" 95000 x '/> -->'
timed "a tag after a control character in a comment: 400" "^refused 400 .*malformed XML: byte [0-9]+: a character XML does not allow"
hostile '<Tech>41</Tech>' "<!-- $(printf '\357\277\277') <Desc" 95000 x '/> -->'
timed "a tag after U+FFFF in a comment: 400" "^refused 400 .*malformed XML: byte [0-9]+: a character XML does not allow"
hostile '<PASPMISE' ' a="<b' 95000 x '/>"'
timed "a tag in an attribute value: 400" "^refused 400 .*malformed XML: byte [0-9]+: not well-formed"
pasp '<IDEvt>0</IDEvt>' | sed 's|encoding="UTF-8"|encoding="IBM037"|' > "$T/i"; try "declared EBCDIC: refused before parsing" "^refused 400 .*not UTF-8: declared encoding IBM037: traces are UTF-8"
hostile '<PASPMISE' '' 32 x ''; try "32 attributes: past the count, refused by the schema" "^refused 422"

# Namespaces and depth, bounded before libxml2 too: it looks a prefix up
# through every declaration in scope, so 32 levels of 32 declarations
# and 1 MB of prefixed elements took it seconds.
hostile '<PASPMISE' '' 16 ns ''; try "16 namespace declarations: past the count" "^ok PASPMISE"
hostile '<PASPMISE' '' 17 ns ''; try "17 namespace declarations: 400" \
    "^refused 400 CFJL_INVALID_MESSAGE too many namespaces: byte [0-9]+: more than 16 namespace declarations in a trace"
pasp '<IDEvt>0</IDEvt>' | sed "s|<Tech>41</Tech>|<Tech>41</Tech><d xmlns = 'u:0' xmlns:a='u:1'>$(awk 'BEGIN { for (i = 0; i < 15; i++) printf "<e xmlns:p%d  =\"u:%d\"/>", i, i }')</d>|" > "$T/i"
try "declarations on siblings, the default one, blanks around '=': counted" "^refused 400 .*too many namespaces"
pasp '<IDEvt>0</IDEvt>' | sed "s|<Tech>41</Tech>|<Tech>41</Tech><d xmlnsx='1' x:xmlns='2' a='xmlns:b'/>|" > "$T/i"
try "names that only look like xmlns: not declarations" "^refused 422 .*schema validation failed"
pasp '<IDEvt>0</IDEvt>' > "$T/i"
/usr/bin/python3 - "$T/i" <<'PY'
import sys
base = open(sys.argv[1]).read()
dec = "".join("<d" + "".join(' xmlns:q%d_%d="u:%d"' % (d, k, k) for k in range(32)) + ">" for d in range(29))
body = "<q0_0:a/>" * ((1000000 - len(dec)) // 9)
i = base.index("<Tech>41</Tech>") + len("<Tech>41</Tech>")
open(sys.argv[1], "w").write(base[:i] + dec + body + "</d>" * 29 + base[i:])
PY
timed "29 levels of 32 declarations, 1 MB of prefixed elements: 400" \
    "^refused 400 .*too many namespaces: byte [0-9]+: more than 16"
pasp '<IDEvt>0</IDEvt>' > "$T/i"
/usr/bin/python3 - "$T/i" <<'PY'
import sys
base = open(sys.argv[1]).read()
blk = "<b>" * 250 + "</b>" * 250
i = base.index("<Tech>41</Tech>") + len("<Tech>41</Tech>")
open(sys.argv[1], "w").write(base[:i] + blk * (1000000 // len(blk)) + base[i:])
PY
timed "1 MB nested 250 deep: 400 before libxml2" "^refused 400 .*too deep: byte [0-9]+: elements nested deeper than 32 levels"

# Batches.
{ echo '<Traces>'; for n in PASPMISE CPTEALIM OUVINFOPERSO; do sed 's|<IDEvt>1</IDEvt>|<IDEvt>0</IDEvt>|' "$S/$n.xml" | tail -n +2; done; echo '</Traces>'; } > "$T/batch.xml"
out=$("$B" -b "$X" "$T/batch.xml")
t_match "batch of 3 split" "$out" "^batch 3"
t_eq "batch: every trace accepted" "$(echo "$out" | grep -c '^ok ')" 3
t_match "batch: in order" "$(echo "$out" | awk '/^ok/ { printf "%s ", $2 }')" "^PASPMISE CPTEALIM OUVINFOPERSO $"
sed '3s|<IDEvt>0</IDEvt>|<IDEvt>7</IDEvt>|' "$T/batch.xml" > "$T/bad.xml"
out=$("$B" -b "$X" "$T/bad.xml")
t_match "batch: forged IDEvt in trace 1 named by index" "$out" "refused 400 CFJL_INVALID_MESSAGE index 1 IDEvt belongs to the vault"
printf '<Traces></Traces>' > "$T/i"; try "empty batch refused" "^refused 400 .*empty batch" -b
printf '<Lots><PASPMISE/></Lots>' > "$T/i"; try "batch root must be Traces" "^refused 400 .*not a batch" -b
printf '<Traces>text<PASPMISE/></Traces>' > "$T/i"; try "text in a batch refused" "^refused 400 .*not a batch" -b
{ printf '<Traces>'; i=0; while [ $i -lt 65 ]; do printf '<PASPMISE/>'; i=$((i + 1)); done; printf '</Traces>'; } > "$T/i"; try "batch over the maximum: 413" "^refused 413 CFJL_TOO_LARGE batch too large" -b
t_done
