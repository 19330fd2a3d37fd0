# Programs the end-to-end tests run in the guest, built on the host (the guest sees the
# host's files). Every tests/e2e/<area>/*.c is one program, build/tests/e2e/<area>/<name>,
# compiled with the project's warnings and sanitizers, the contract header netlink/kmdump.h
# and libnl-genl-3. An area that needs more (libkmdump, extra sources) adds a fragment
# tests/e2e/<area>/<area>.mk with target-specific variables and prerequisites, e.g.
#   $(E2E_BIN)/dump/writer: E2E_LDLIBS += -L$(BUILD) -lkmdump
# The top Makefile includes this file; `make e2e-progs` builds them all.
BUILD ?= $(CURDIR)/build
E2E_BIN := $(BUILD)/tests/e2e
E2E_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -I$(CURDIR)/netlink -I$(CURDIR)/userlib/include \
	$(shell pkg-config --cflags libnl-genl-3.0)
E2E_LDLIBS := $(shell pkg-config --libs libnl-genl-3.0)
E2E_PROGS := $(patsubst tests/e2e/%.c,$(E2E_BIN)/%,$(wildcard tests/e2e/*/*.c))

include $(wildcard tests/e2e/*/*.mk)

.PHONY: e2e-progs
e2e-progs: $(E2E_PROGS)

$(E2E_BIN)/%: tests/e2e/%.c netlink/kmdump.h
	@mkdir -p $(@D)
	$(CC) $(E2E_CFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) $(E2E_LDLIBS)
