# Helpers of bench/run: reading loadgen's JSON, recording each figure
# (table on stdout, CSV and JSON under the output directory), and
# reading the daemons' memory and CPU time from /proc.

# jv FILE a.b.c: a value from a one-line JSON file (first match of each
# key in turn, so "lat_ms.p99" is the deposit latency and "seal.lat_ms.p99"
# the sealing one).  Prints nothing when absent.
jv()
{
	[ -s "$1" ] || return 0
	awk -v path="$2" '{
		s = $0; n = split(path, k, ".")
		for (i = 1; i <= n; i++) {
			p = index(s, "\"" k[i] "\":")
			if (p == 0) exit
			s = substr(s, p + length(k[i]) + 3)
		}
		if (match(s, /^[-0-9.eE+]+|^true|^false|^null/))
			print substr(s, 1, RLENGTH)
		else if (match(s, /^"[^"]*"/))
			print substr(s, 2, RLENGTH - 2)
		exit
	}' "$1"
}

# Arithmetic on decimals: calc 'expression' (awk syntax).
calc() { awk "BEGIN { v = $1; printf \"%.6g\n\", v }"; }
fmt3() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.3f\n", v }'; }
fmt2() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.2f\n", v }'; }
fmt1() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.1f\n", v }'; }

# metric SECTION NAME VALUE UNIT [NOTE]: one figure, printed and kept.
metric()
{
	printf '%-10s %-46s %14s %-10s %s\n' "$1" "$2" "$3" "$4" "${5:-}"
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >> "$B_METRICS"
}

# na SECTION NAME REASON: a figure that cannot be measured yet.
na()
{
	metric "$1" "$2" "n/a" "" "n/a: $3"
}

section()
{
	printf '\n== %s\n' "$*"
}

# A run's JSON line, kept whole.
keep_run()
{
	[ -s "$2" ] || return 0
	printf '{"run":"%s","result":%s}\n' "$1" "$(cat "$2")" >> "$B_RUNS"
}

# The process tree under PID (itself first), from ps.
tree_pids()
{
	[ -n "$1" ] || return 0
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			want[root] = 1; print root
			do {
				more = 0
				for (i = 1; i <= NR; i++) {
					p = pids[i]
					if (!(p in want) && (parent[p] in want)) {
						want[p] = 1; print p; more = 1
					}
				}
			} while (more)
		}'
}

daemon_pids() { tree_pids "$(suite_pid "$1")"; }
pg_pids() { tree_pids "$(head -n 1 "$SUITE/pg/data/postmaster.pid" 2>/dev/null)"; }

# proc_kb FIELD PID...: sum of a /proc/PID/status field (VmRSS, VmHWM), kB.
proc_kb()
{
	f=$1; shift
	s=0
	for p; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

# The highest VmHWM of one process of the set, kB.
proc_hwm_max()
{
	m=0
	for p; do
		v=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ "${v:-0}" -gt "$m" ] && m=$v
	done
	echo "$m"
}

# cpu_ticks PID...: user + system (and reaped children's) clock ticks.
cpu_ticks()
{
	s=0
	for p; do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk '{ print $12 + $13 + $14 + $15 }')
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

# cpu_snapshot FILE: ticks of each daemon and of PostgreSQL, and the
# machine's steal time (ticks the hypervisor gave to others, all CPUs).
cpu_snapshot()
{
	: > "$1"
	for d in frontd stored sealerd auditd; do
		echo "$d $(cpu_ticks $(daemon_pids "$d"))" >> "$1"
	done
	echo "postgres $(cpu_ticks $(pg_pids))" >> "$1"
	awk '$1 == "cpu" { print "steal", $9 + 0 }' /proc/stat >> "$1"
}

# cpu_delta BEFORE AFTER NAME: the clock ticks NAME used between the two
# snapshots (0 if its processes changed).
cpu_delta()
{
	a=$(awk -v d="$3" '$1 == d { print $2 }' "$1")
	b=$(awk -v d="$3" '$1 == d { print $2 }' "$2")
	t=$(( ${b:-0} - ${a:-0} ))
	[ "$t" -ge 0 ] || t=0
	echo "$t"
}

# cpu_per_event BEFORE AFTER EVENTS LABEL: milliseconds of CPU per event.
cpu_per_event()
{
	hz=$(getconf CLK_TCK)
	tot=0
	for d in frontd stored sealerd auditd postgres; do
		t=$(cpu_delta "$1" "$2" "$d")
		tot=$((tot + t))
		metric cpu "$4: $d" "$(fmt3 "$(calc "$t * 1000 / $hz / $3")")" ms/event
	done
	metric cpu "$4: all daemons + PostgreSQL" \
	    "$(fmt3 "$(calc "$tot * 1000 / $hz / $3")")" ms/event \
	    "$(calc "$tot / $hz") s CPU for $3 events"
}

# cores_busy BEFORE AFTER SECONDS LOADGEN_CPU_S: how many cores the
# daemons, PostgreSQL and the load generator kept busy between two
# snapshots SECONDS apart, and how many the hypervisor took away (steal:
# 0 on bare metal); "vault loadgen steal" on one line.
cores_busy()
{
	hz=$(getconf CLK_TCK)
	tot=0
	for d in frontd stored sealerd auditd postgres; do
		tot=$((tot + $(cpu_delta "$1" "$2" "$d")))
	done
	echo "$(calc "$tot / $hz / $3") $(calc "$4 / $3")" \
	    "$(calc "$(cpu_delta "$1" "$2" steal) / $hz / $3")"
}

# rss_sampler FILE: every 100 ms, the RSS of each daemon and of
# PostgreSQL (its processes as they were at the start), until killed.
# One awk a sample reads every status file, so the period stays near
# 100 ms on a busy machine.
rss_sampler()
{
	map=""
	for d in frontd stored sealerd auditd; do
		for p in $(daemon_pids "$d"); do map="$map /proc/$p/status:$d"; done
	done
	for p in $(pg_pids); do map="$map /proc/$p/status:postgres"; done
	files=$(printf '%s\n' $map | sed 's/:.*//')
	echo "t_s,frontd_kb,stored_kb,sealerd_kb,auditd_kb,postgres_kb" > "$1"
	t0=$(date +%s.%N)
	while :; do
		# shellcheck disable=SC2086
		awk -v map="$map" -v now="$(date +%s.%N)" -v t0="$t0" '
			BEGIN {
				n = split(map, m, " ")
				for (i = 1; i <= n; i++) {
					k = index(m[i], ":")
					grp[substr(m[i], 1, k - 1)] = substr(m[i], k + 1)
				}
			}
			$1 == "VmRSS:" { kb[grp[FILENAME]] += $2 }
			END {
				printf "%.2f,%d,%d,%d,%d,%d\n", now - t0,
				    kb["frontd"], kb["stored"], kb["sealerd"],
				    kb["auditd"], kb["postgres"]
			}' $files 2>/dev/null >> "$1"
		sleep 0.1
	done
}

# Write the CSV and JSON of every figure, and the runs.
write_outputs()
{
	{
		echo "section,metric,value,unit,note"
		awk -F '\t' '{
			for (i = 1; i <= 5; i++) {
				v = $i; gsub(/"/, "\"\"", v)
				printf "%s\"%s\"", (i > 1 ? "," : ""), v
			}
			printf "\n"
		}' "$B_METRICS"
	} > "$B_OUT/bench.csv"
	{
		printf '{"format":"cfjl-bench/1","quick":%s,"date":"%s",' \
		    "$([ "$QUICK" = 1 ] && echo true || echo false)" \
		    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf '"host":{"cpus":%s,"mem_kb":%s,"kernel":"%s"},' \
		    "$(nproc)" "$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)" \
		    "$(uname -r)"
		printf '"duration_s":%s,"metrics":[' "$(( $(date +%s) - B_START ))"
		awk -F '\t' '{
			for (i = 1; i <= 5; i++) { gsub(/\\/, "\\\\", $i); gsub(/"/, "\\\"", $i) }
			v = ($3 ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) ? $3 : "\"" $3 "\""
			printf "%s{\"section\":\"%s\",\"metric\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"note\":\"%s\"}", (NR > 1 ? "," : ""), $1, $2, v, $4, $5
		}' "$B_METRICS"
		printf '],"runs":['
		awk '{ printf "%s%s", (NR > 1 ? "," : ""), $0 }' "$B_RUNS"
		printf ']}\n'
	} > "$B_OUT/bench.json"
}

# checkpoint_cost LINE: the checkpoints stored kept since that line of its
# log ("checkpoint N kept (lot L) in X ms"): how many, and the time from
# asking sealerd to having it in the database.
checkpoint_cost()
{
	tail -n "+$(($1 + 1))" "$SUITE/log/stored.log" |
	    sed -n 's/.*checkpoint [0-9]* kept .* in \([0-9]*\) ms$/\1/p' |
	    sort -n > "$T/ckpt-ms"
	n=$(wc -l < "$T/ckpt-ms")
	if [ "$n" -eq 0 ]; then
		na seal "checkpoints under load" "none kept during the run"
		return
	fi
	metric seal "checkpoints sealed under load, each: p50" \
	    "$(awk -v n="$n" 'NR == int((n + 1) / 2)' "$T/ckpt-ms")" ms \
	    "$n checkpoints, one a second; max $(tail -n 1 "$T/ckpt-ms") ms"
}
