# Capture agents for the durability tests: K agents deposit through
# frontd side by side, each resending a trace with the same Client-Id
# until it is acknowledged (503 with Retry-After while the store is
# down, no answer while frontd is).  Needs suite.sh.
#
#	agents_start K		# from $T/base.xml, until agents_stop
#	agents_wait N		# until N more acknowledgements (10 s)
#	agents_stop		# let them finish their trace, then stop
#	agents_check		# the database holds exactly what was acked
#	agents_check_order	# each agent's traces acknowledged in turn
#	agent_post FILE CLIENT-ID OUT	# one deposit, as an agent sends it
#
# $T/acks.K: one line per 201 to agent K: K-i idevt digest status
# $T/tries.K: one line per other answer: K-i code retry-after status

AGENT_MAX=${AGENT_MAX:-4000}	# deposits at most, each
AGENT_RETRIES=${AGENT_RETRIES:-600}	# attempts for one trace, 0.05 s apart

# The trace K-i: IDSession names it so that each event differs.
agent_trace()
{
	sed "s|<IDSession>1</IDSession>|<IDSession>agent-$1</IDSession>|" \
	    "$T/base.xml"
}

jget()
{
	printf '%s' "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" |
	    head -n 1
}

# agent_post FILE CLIENT-ID OUT [SECONDS]: one deposit of FILE with
# that Client-Id (at most SECONDS, default 10); the answer's head and
# body in OUT.head and OUT.body.  Prints "code retry-after status",
# "000" and "-" for what did not come.
agent_post()
{
	: > "$3.head"; : > "$3.body"
	_c=$(curl -sS --max-time "${4:-10}" --cacert "$P/ca.pem" \
	    --cert "$P/depositor.pem" --key "$P/depositor.key" \
	    -H 'Content-Type: application/xml' -H "Client-Id: $2" \
	    --data-binary @"$1" -D "$3.head" -o "$3.body" \
	    -w '%{http_code}' "$CFJL_URL/v1/events" 2>/dev/null)
	_ra=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$3.head")
	_st=$(jget status "$(cat "$3.body")")
	echo "${_c:-000} ${_ra:--} ${_st:--}"
}

agent()
{
	k=$1; i=0; acks=$T/acks.$k; log=$T/tries.$k; w=$T/c$k
	end=$(( $(date +%s) + 180 ))
	: > "$acks"; : > "$log"
	while [ ! -e "$T/stop" ] && [ -d "$T" ] && [ $i -lt $AGENT_MAX ] &&
	    [ "$(date +%s)" -lt $end ]; do
		i=$((i + 1))
		agent_trace "$k-$i" > "$w.xml"
		tries=0
		while [ $tries -lt $AGENT_RETRIES ] && [ -d "$T" ]; do
			tries=$((tries + 1))
			set -- $(agent_post "$w.xml" "agent-$k-$i" "$w")
			if [ "$1" = 201 ]; then
				b=$(cat "$w.body")
				echo "$k-$i $(jget idevt "$b")" \
				    "$(jget digest "$b") $3" >> "$acks"
				break
			fi
			echo "$k-$i $*" >> "$log"
			sleep 0.05
		done
		[ $tries -lt $AGENT_RETRIES ] || echo "$k-$i gave up" >> "$log"
	done
}

agents_acks() { cat "$T"/acks.* 2>/dev/null | wc -l; }

agents_wait()
{
	_want=$(( $(agents_acks) + $1 ))
	_n=${2:-100}
	while [ "$(agents_acks)" -lt $_want ] && [ $_n -gt 0 ]; do
		sleep 0.1; _n=$((_n - 1))
	done
	[ "$(agents_acks)" -ge $_want ]
}

agents_start()
{
	AGENT_PIDS=""
	AGENT_N=$1
	rm -f "$T/stop"
	for _k in $(seq 1 "$1"); do
		agent "$_k" &
		AGENT_PIDS="$AGENT_PIDS $!"
	done
	t_cleanup_add agents_kill
}

agents_kill()
{
	touch "$T/stop" 2>/dev/null
	for _p in ${AGENT_PIDS:-}; do kill "$_p" 2>/dev/null; done
	return 0
}

agents_alive()
{
	for _p in ${AGENT_PIDS:-}; do kill -0 "$_p" 2>/dev/null && return 0; done
	return 1
}

agents_stop()
{
	touch "$T/stop"
	_n=0
	while agents_alive && [ $_n -lt 300 ]; do sleep 0.1; _n=$((_n + 1)); done
	t_not "the agents stopped" agents_alive
	wait $AGENT_PIDS
	cat "$T"/acks.* > "$T/acks"
	cat "$T"/tries.* > "$T/tries"
}

# What the database holds: exactly the acknowledged events, 1..N, each
# with the digest its agent was given, each Client-Id with its IDEvt.
agents_check()
{
	_N=$(wc -l < "$T/acks")
	t_not "no trace given up" grep -q 'gave up' "$T/tries"
	t_eq "no IDEvt given twice" \
	    "$(cut -d' ' -f2 "$T/acks" | sort -n | uniq -d | head -n 3)" ""
	t_eq "IDEvt 1..$_N, no gap, no duplicate" \
	    "$(suite_psql 'SELECT count(*), count(DISTINCT idevt), min(idevt), max(idevt) FROM events')" \
	    "$_N|$_N|1|$_N"
	cut -d' ' -f2,3 "$T/acks" | sort -n > "$T/acked"
	suite_psql "SELECT idevt || ' ' || encode(digest, 'hex') FROM events ORDER BY idevt" \
	    > "$T/stored"
	t_ok "every acknowledged IDEvt stored with the digest it was given" \
	    cmp -s "$T/acked" "$T/stored"
	suite_psql "SELECT client_id || ' ' || idevt FROM client_ids WHERE client_id LIKE 'agent-%' ORDER BY idevt" \
	    > "$T/cids"
	awk '{ print "agent-" $1 " " $2 }' "$T/acks" | sort -k2n > "$T/acids"
	t_ok "each Client-Id names the IDEvt acknowledged for it" \
	    cmp -s "$T/cids" "$T/acids"
}

# Each agent's traces acknowledged once each, in the order it sent them.
agents_check_order()
{
	for _k in $(seq 1 "$AGENT_N"); do
		_m=$(wc -l < "$T/acks.$_k")
		t_eq "agent $_k: every trace acknowledged once, in order" \
		    "$(cut -d' ' -f1 "$T/acks.$_k" | tr '\n' ' ')" \
		    "$(seq 1 "$_m" | sed "s/^/$_k-/" | tr '\n' ' ')"
	done
}
