# CFJL: one entry point for building, testing, benchmarking and the demo.
LIBDIRS = imsg common
PROGDIRS = frontd stored sealerd auditd cfjlctl cfjl-verify cfjl-keys
SUBDIRS = $(LIBDIRS) $(PROGDIRS)
PREFIX ?= /usr/local

all:
	@for d in $(SUBDIRS); do \
		$(MAKE) -C $$d all || exit 1; \
	done

# Every test, unit and end to end; ends with "N passed, M failed".
test: all
	$(MAKE) -C regress all
	regress/run

fuzz:
	$(MAKE) -C fuzz

# The crash campaign: 1000 kills under load (make test runs 200).
crash: all
	$(MAKE) -C regress/crash all
	regress/crash/campaign $(or $(ROUNDS),1000)

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

clean:
	@for d in $(SUBDIRS) regress; do \
		$(MAKE) -C $$d clean; \
	done
	-$(MAKE) -C fuzz clean

.PHONY: all test fuzz crash soak bench demo demo-down install clean
