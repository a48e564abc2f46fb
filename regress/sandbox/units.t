#!/bin/sh
# etc/systemd, etc/sysusers.d, etc/tmpfiles.d: the units load without a
# warning, keep their hardening (checked offline by systemd-analyze
# security), and the users and directories come out as documented.
. "$(dirname "$0")/../lib/common.sh"
t_need systemd-analyze
t_tmpdir

ETC=$TOP/etc
DAEMONS="auditd sealerd stored frontd"

# The units name /usr/local/sbin/X: point them at stubs that exist.
mkdir "$T/u" "$T/bin"
for d in $DAEMONS; do
	printf '#!/bin/sh\nexit 0\n' >"$T/bin/$d"
	chmod +x "$T/bin/$d"
	sed "s|/usr/local/sbin/|$T/bin/|" "$ETC/systemd/cfjl-$d.service" \
	    >"$T/u/cfjl-$d.service"
done
cp "$ETC/systemd/cfjl.target" "$T/u/"

cd "$T/u" || exit 2
out=$(SYSTEMD_UNIT_PATH="$T/u:" systemd-analyze verify --man=no \
    cfjl.target cfjl-*.service 2>&1)
t_eq "systemd-analyze verify: exit 0" "$?" 0
t_eq "systemd-analyze verify: no warning" "$out" ""

# key UNIT KEY: the value of KEY in the unit (last one wins)
key() { sed -n "s/^$2=//p" "$T/u/cfjl-$1.service" | tail -n 1; }

for d in $DAEMONS; do
	t_match "$d runs in the foreground (-d)" "$(key "$d" ExecStart)" \
	    "^$T/bin/$d -d -f /etc/cfjl/cfjl.conf\$"
	for kv in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
	    PrivateTmp=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
	    ProtectKernelLogs=yes ProtectControlGroups=yes \
	    RestrictNamespaces=yes LockPersonality=yes \
	    MemoryDenyWriteExecute=yes SystemCallArchitectures=native \
	    LimitCORE=0 RuntimeDirectory=cfjl RuntimeDirectoryPreserve=yes \
	    Restart=on-failure Type=simple; do
		t_eq "$d: $kv" "${kv%%=*}=$(key "$d" "${kv%%=*}")" "$kv"
	done
	level=$(SYSTEMD_UNIT_PATH="$T/u:" systemd-analyze security \
	    --offline=true --no-pager "cfjl-$d.service" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	t_ok "$d: exposure level $level below 3.5" \
	    awk -v l="$level" 'BEGIN { exit !(l != "" && l < 3.5) }'
done

t_eq "auditd: Unix sockets only" "$(key auditd RestrictAddressFamilies)" \
    AF_UNIX
t_eq "sealerd: Unix sockets only" "$(key sealerd RestrictAddressFamilies)" \
    AF_UNIX
t_eq "auditd: no network" "$(key auditd PrivateNetwork)" yes
t_eq "sealerd: no network" "$(key sealerd PrivateNetwork)" yes
t_eq "stored: PostgreSQL over TCP" "$(key stored RestrictAddressFamilies)" \
    "AF_UNIX AF_INET AF_INET6"
t_eq "frontd: the network" "$(key frontd RestrictAddressFamilies)" \
    "AF_UNIX AF_INET AF_INET6"
for d in auditd sealerd stored; do
	t_not "$d: may not bind privileged ports" \
	    grep -q CAP_NET_BIND_SERVICE "$T/u/cfjl-$d.service"
done
t_match "frontd: may bind port 443" "$(key frontd CapabilityBoundingSet)" \
    "CAP_NET_BIND_SERVICE"
t_not "sealerd: may read the clock discipline (no ProtectClock)" \
    grep -q '^ProtectClock=' "$T/u/cfjl-sealerd.service"
t_match "start order: sealerd after auditd" "$(key sealerd After)" \
    cfjl-auditd.service
t_match "start order: stored after sealerd" "$(key stored After)" \
    cfjl-sealerd.service
t_match "start order: frontd after stored" "$(key frontd After)" \
    cfjl-stored.service

# Users and directories, made in a private root.
if command -v systemd-sysusers >/dev/null && \
    command -v systemd-tmpfiles >/dev/null; then
	R=$T/root
	mkdir -p "$R/etc"
	systemd-sysusers --root="$R" "$ETC/sysusers.d/cfjl.conf" \
	    >"$T/sysusers.log" 2>&1
	t_eq "systemd-sysusers: exit 0" "$?" 0
	for u in _cfjlfront _cfjlstore _cfjlseal _cfjlaudit; do
		t_match "user $u, no login" "$(grep "^$u:" "$R/etc/passwd")" \
		    "^$u:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:/usr/sbin/nologin\$"
	done
	for g in cfjltech cfjlfunc; do
		t_ok "group $g" grep -q "^$g:" "$R/etc/group"
	done
	if [ "$(id -u)" -eq 0 ]; then
		systemd-tmpfiles --create --root="$R" \
		    "$ETC/tmpfiles.d/cfjl.conf" >"$T/tmpfiles.log" 2>&1
		t_eq "systemd-tmpfiles: exit 0" "$?" 0
		auid=$(awk -F: '$1 == "_cfjlaudit" { print $3 }' "$R/etc/passwd")
		agid=$(awk -F: '$1 == "_cfjlaudit" { print $3 }' "$R/etc/group")
		t_eq "journal directory: 2750 _cfjlaudit:_cfjlaudit" \
		    "$(stat -c '%a %u %g' "$R/var/lib/cfjl/journal")" \
		    "2750 $auid $agid"
		t_eq "runtime directory: 0755 root" \
		    "$(stat -c '%a %u %g' "$R/run/cfjl")" "755 0 0"
		t_eq "empty chroot: 0755 root, empty" \
		    "$(stat -c '%a %u' "$R/var/empty") $(ls -A "$R/var/empty" | wc -l)" \
		    "755 0 0"
	fi
fi

t_done
