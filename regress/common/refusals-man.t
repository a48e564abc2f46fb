#!/bin/sh
# The refusal catalogue (common/refusal.c) and the table of frontd(8)
# under "Refusals" are the same list: every refusal with the same status,
# HTTP code and advice, nothing in one that is not in the other.  Every
# CFJL_ status a manual page names literally is in the catalogue.
. "$(dirname "$0")/../lib/common.sh"
t_tmpdir

cd "$TOP/regress/common" || exit 2
make -s refusal_list >"$T/make.log" 2>&1 || { cat "$T/make.log"; t_fail "cannot build refusal_list"; t_done; exit 1; }
./refusal_list > "$T/all" || t_fail "refusal_list failed"
grep -v '^answer	' "$T/all" | sort > "$T/catalogue"
sed -n 's/^answer	//p' "$T/all" > "$T/answers"

# The rows of the column list that follows ".Ss Refusals", as
# status<TAB>code<TAB>advice.
awk '
	/^\.Ss / { insec = ($0 == ".Ss Refusals") }
	insec && /^\.Bl -column/ { inlist = 1; next }
	inlist && /^\.El/ { inlist = 0; insec = 0 }
	inlist && /^\.It Li CFJL_/ {
		sub(/^\.It Li /, "")
		n = split($0, f, / Ta /)
		if (n != 3) { print "bad row: " $0 > "/dev/stderr"; next }
		print f[1] "\t" f[2] "\t" f[3]
	}' "$TOP/man/frontd.8" | sort > "$T/man"

t_ok "the catalogue has refusals" test -s "$T/catalogue"
t_ok "frontd(8) lists refusals" test -s "$T/man"
t_eq "as many refusals in frontd(8) as in the catalogue" \
    "$(wc -l < "$T/man")" "$(wc -l < "$T/catalogue")"

# Each catalogue entry: its status with its HTTP code, then its advice.
while IFS='	' read -r st code advice; do
	row=$(awk -F'\t' -v s="$st" -v c="$code" \
	    '$1 == s && $2 == c' "$T/man")
	if [ -z "$row" ]; then
		t_fail "$st $code: not in frontd(8) with this HTTP code"
		continue
	fi
	t_pass "$st $code: in frontd(8)"
	t_eq "$st $code: same advice" "$(printf '%s' "$row" | cut -f3)" \
	    "$advice"
done < "$T/catalogue"

# Each row of frontd(8): a refusal of the catalogue.
while IFS='	' read -r st code advice; do
	if awk -F'\t' -v s="$st" -v c="$code" '$1 == s && $2 == c { f = 1 }
	    END { exit !f }' "$T/catalogue"; then
		t_pass "frontd(8) $st $code: in the catalogue"
	else
		t_fail "frontd(8) $st $code: not in the catalogue"
	fi
done < "$T/man"

# A status named literally anywhere in the manual pages exists.
cut -f1 "$T/catalogue" | cat - "$T/answers" | sort -u > "$T/known"
for name in $(grep -ho '^\.Li CFJL_[A-Z_]*' "$TOP"/man/*.[1-8] |
    sed 's/^\.Li //' | sort -u); do
	t_ok "$name (manual pages): a status of the catalogue" \
	    grep -qx "$name" "$T/known"
done
t_done
