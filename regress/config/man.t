#!/bin/sh
# The manual pages are clean for mandoc: no warning, no error.
. "$(dirname "$0")/../lib/common.sh"
t_need mandoc

found=0
for page in "$TOP"/man/*.[1-8]; do
	[ -f "$page" ] || continue
	found=1
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	if [ -z "$out" ]; then
		t_pass "${page#$TOP/}"
	else
		printf '%s\n' "$out"
		t_fail "${page#$TOP/}: mandoc -Tlint reports problems"
	fi
done
[ "$found" -eq 1 ] || t_fail "no manual page found in man/"
t_done
