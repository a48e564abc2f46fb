# Build one static library LIB from SRCS.
include $(TOP)/mk/cfjl.mk

OBJS = $(patsubst %.y,%.o,$(SRCS:.c=.o))

all: $(LIB)

$(LIB): $(OBJS)
	rm -f $@
	$(AR) rcs $@ $(OBJS)

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

clean:
	rm -f $(LIB) *.o *.d $(CLEANFILES)

install:

.PHONY: all clean install
-include $(OBJS:.o=.d)
