# Build one program from SRCS, linked with libcommon and libimsg.
include $(TOP)/mk/cfjl.mk

OBJS = $(patsubst %.y,%.o,$(SRCS:.c=.o))
DEPLIBS = $(TOP)/common/libcommon.a $(TOP)/imsg/libimsg.a
BINDIR ?= sbin
MANS ?=

all: $(PROG)

$(PROG): $(OBJS) $(DEPLIBS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(DEPLIBS) $(LDLIBS)

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

clean:
	rm -f $(PROG) *.o *.d $(CLEANFILES)

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/$(BINDIR)
	install -m 0755 $(PROG) $(DESTDIR)$(PREFIX)/$(BINDIR)/$(PROG)

.PHONY: all clean install
-include $(OBJS:.o=.d)
