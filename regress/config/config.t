#!/bin/sh
# cfjl.conf parser: every numbered NN-name.conf is parsed by conftest and
# its output (stdout and stderr, then the exit status) compared with
# NN-name.out.  NN-name.args, when present, lists subjects (one a line)
# whose role is looked up.  A configuration that parses must also read
# back unchanged from its own printed form.
# CFJL_UPDATE=1 rewrites the .out files from the current parser.
. "$(dirname "$0")/../lib/common.sh"
t_tmpdir

dir=$TOP/regress/config
cd "$dir" || exit 2
if [ ! -x ./conftest ]; then
	make -s >"$T/make.log" 2>&1 || { cat "$T/make.log"; t_skip "cannot build conftest"; }
fi

for conf in [0-9][0-9]-*.conf; do
	name=${conf%.conf}
	set --
	if [ -f "$name.args" ]; then
		while IFS= read -r subject; do
			set -- "$@" "$subject"
		done <"$name.args"
	fi
	./conftest "$conf" "$@" >"$T/out" 2>&1
	echo "exit $?" >>"$T/out"
	if [ -n "${CFJL_UPDATE:-}" ]; then
		cp "$T/out" "$name.out"
	fi
	if [ ! -f "$name.out" ]; then
		t_fail "$name: no $name.out"
	elif diff -u "$name.out" "$T/out"; then
		t_pass "$name"
	else
		t_fail "$name: output differs"
	fi

	# The printed form is itself a valid file that prints the same.
	if ./conftest "$conf" >"$T/a.conf" 2>/dev/null; then
		if ./conftest "$T/a.conf" >"$T/b.conf" 2>&1 &&
		    cmp -s "$T/a.conf" "$T/b.conf"; then
			t_pass "$name: reads back"
		else
			diff -u "$T/a.conf" "$T/b.conf"
			t_fail "$name: does not read back"
		fi
	fi
done

# The sample configuration parses, and it and the manual name every keyword.
if ./conftest "$TOP/etc/cfjl.conf" >"$T/sample" 2>&1; then
	t_pass "etc/cfjl.conf parses"
else
	cat "$T/sample"
	t_fail "etc/cfjl.conf does not parse"
fi
keywords=$(sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)",[[:space:]]*[A-Z][A-Z0-9]* },$/\1/p' \
    "$TOP/common/parse.y")
[ -n "$keywords" ] || t_fail "no keywords found in common/parse.y"
for kw in $keywords; do
	grep -Eq "(^|[^a-z0-9-])$kw([^a-z0-9-]|\$)" "$TOP/etc/cfjl.conf" ||
	    t_fail "keyword $kw missing from etc/cfjl.conf"
	grep -Eq "^\\..*(Ic|Cm)( .*)? $kw( |\$)" "$TOP/man/cfjl.conf.5" ||
	    t_fail "keyword $kw missing from man/cfjl.conf.5"
done
t_pass "keywords documented"

t_done
