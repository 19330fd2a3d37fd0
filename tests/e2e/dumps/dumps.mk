# tests/e2e/dumps: the programs the readers' tests run (see test-readers).
#
# Targets are what a user's program looks like to a debugger: no sanitizers, -g, frame
# pointers, no inlining or sibling calls. The checker keeps the layer's sanitizers.
# Breakpad's readers come from the npm package pinned in tests/breakpad/, installed on
# the host before the guest boots (the guest has no network).
DUMPS_TARGET_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	-fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-inline -pthread \
	-I$(CURDIR)/userlib/include -I$(BUILD)/include

$(E2E_BIN)/dumps/dumps-target: E2E_CFLAGS := $(DUMPS_TARGET_CFLAGS)
$(E2E_BIN)/dumps/dumps-target: E2E_LDLIBS := -pthread
$(E2E_BIN)/dumps/dumps-target: tests/e2e/dumps/pattern.h

$(E2E_BIN)/dumps/crash-handler $(E2E_BIN)/dumps/compat-writer: E2E_CFLAGS := $(DUMPS_TARGET_CFLAGS)
$(E2E_BIN)/dumps/crash-handler $(E2E_BIN)/dumps/compat-writer: \
	E2E_LDLIBS := -pthread -L$(BUILD) -lkmdump -Wl,-rpath,$(BUILD)
$(E2E_BIN)/dumps/crash-handler $(E2E_BIN)/dumps/compat-writer: $(BUILD)/libkmdump.so

$(E2E_BIN)/dumps/mdmp-check: tests/e2e/dumps/pattern.h

.PHONY: breakpad-readers
breakpad-readers:
	@bash tests/breakpad/install >/dev/null
e2e-progs: breakpad-readers
