# CFJL: one entry point for building, testing, benchmarking and the demo.
LIBDIRS = imsg common
PROGDIRS = frontd stored sealerd auditd cfjlctl cfjl-verify cfjl-keys
SUBDIRS = $(LIBDIRS) $(PROGDIRS)
PREFIX ?= /usr/local

# One flavour of objects at a time: a build with other SAN or TESTHOOKS
# settings than the last one starts from clean, so that a sanitizer run
# never links objects of a plain one (nor the other way round).
FLAVOUR = san=$(SAN) testhooks=$(TESTHOOKS)

all: flavour
	@for d in $(SUBDIRS); do \
		$(MAKE) -C $$d all || exit 1; \
	done

flavour:
	@if [ "$$(cat .flavour 2>/dev/null)" != "$(FLAVOUR)" ]; then \
		echo "build flavour $(FLAVOUR): cleaning first"; \
		$(MAKE) -s clean-objs >/dev/null; \
		echo "$(FLAVOUR)" > .flavour; \
	fi

# Every test, unit and end to end; ends with "N passed, M failed".
test: all
	$(MAKE) -C regress all
	regress/run

# Every fuzz harness for FUZZ_TIME seconds (600) over its corpus; what
# it finds goes to fuzz/work/, a crash to fuzz/crash-* (then: fix it,
# and add the input to fuzz/corpus/<harness>/).  make test runs each for
# a few seconds.
FUZZ_TIME ?= 600
fuzz:
	$(MAKE) -C fuzz all
	$(MAKE) -C fuzz run FUZZ_TIME=$(FUZZ_TIME)

# The crash campaign: 1000 kills under load, one in 20 a failover to
# the synchronous standby (make test runs 200, 4 failovers).  ROUNDS and
# FAILOVERS for other counts.
crash: all
	$(MAKE) -C regress/crash all
	rounds=$(or $(ROUNDS),1000); \
	regress/crash/campaign -f $(or $(FAILOVERS),$$((rounds / 20))) $$rounds

# The campaign's soak mode: an hour at half the measured capacity, RSS
# sampled (SOAK=seconds for another length).
soak: all
	$(MAKE) -C regress/crash all
	regress/crash/soak $(or $(SOAK),3600)

bench: all
	bench/run $(if $(QUICK),-q)

demo: all
	scripts/demo up

demo-down:
	scripts/demo down

install: all
	@for d in $(SUBDIRS); do \
		$(MAKE) -C $$d install PREFIX=$(PREFIX) || exit 1; \
	done
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/examples/cfjl
	for m in man/*.[1-8]; do \
		s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done
	install -m 0644 etc/cfjl.conf $(DESTDIR)$(PREFIX)/share/examples/cfjl/
	install -m 0755 scripts/cfjl-suite $(DESTDIR)$(PREFIX)/sbin/cfjl-suite
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	for u in etc/systemd/*; do \
		sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' $$u > \
		    $(DESTDIR)$(PREFIX)/lib/systemd/system/$${u##*/}; \
	done
	install -m 0644 etc/sysusers.d/cfjl.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/cfjl.conf
	install -m 0644 etc/tmpfiles.d/cfjl.conf $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/cfjl.conf

clean: clean-objs
	-$(MAKE) -C fuzz clean

# The fuzz harnesses are sanitized whatever the flavour: kept.
clean-objs:
	@for d in $(SUBDIRS) regress bench; do \
		$(MAKE) -C $$d clean; \
	done
	rm -f .flavour

.PHONY: all flavour clean-objs test fuzz crash soak bench demo demo-down install clean
