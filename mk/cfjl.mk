# Shared build rules: every program and library directory includes this.
TOP ?= ..
CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local

# Libraries every program may use; a directory adds its own in PKGS.
BASE_PKGS = libbsd-overlay openssl
ALL_PKGS = $(BASE_PKGS) $(PKGS)

HARDEN_CFLAGS = -O2 -g -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	-fstack-clash-protection -fPIE
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

WARN_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wpointer-arith \
	-Wformat=2 -Wno-format-nonliteral

CFLAGS ?=
CFLAGS += -std=gnu11 $(WARN_CFLAGS) $(HARDEN_CFLAGS) \
	-I$(TOP)/common -I$(TOP)/imsg \
	$(shell $(PKG_CONFIG) --cflags $(ALL_PKGS))
LDFLAGS += $(HARDEN_LDFLAGS)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(ALL_PKGS))

# Sanitizer builds: make SAN=1
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

# Test hooks (fake clock states and the like) exist only when asked for.
ifeq ($(TESTHOOKS),1)
CFLAGS += -DCFJL_TESTHOOKS
endif
