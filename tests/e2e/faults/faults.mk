# The faults area (tests/e2e/faults/): issue 3's "Errors and faults" tests.
# Programs that talk to the module do it through the library's transport, as the test
# client does (tests/e2e/client/client.mk builds those objects); the fuzzer uses a raw
# netlink socket on purpose. counter-target is a plain program (no sanitizers), like
# every target a user would dump.
FAULTS_TR_PROGS := $(addprefix $(E2E_BIN)/faults/,proof requester-gone target-gone limits \
	agent exec-race port-reuse)

$(FAULTS_TR_PROGS): E2E_CFLAGS += -I$(CURDIR)/userlib -I$(BUILD)/include
$(FAULTS_TR_PROGS): E2E_LDLIBS := $(KMD_CLIENT_OBJS) $(shell pkg-config --libs libnl-genl-3.0)
$(FAULTS_TR_PROGS): $(KMD_CLIENT_OBJS) userlib/transport.h

$(addprefix $(E2E_BIN)/faults/,$(basename $(notdir $(wildcard tests/e2e/faults/*.c)))): \
	tests/e2e/faults/faults.h tests/e2e/faults/counter-file.h tests/e2e/faults/agent.h

$(E2E_BIN)/faults/counter-target: E2E_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1
$(E2E_BIN)/faults/counter-target: E2E_LDLIBS := -lpthread

# The FUSE server a hostile user would run (raw /dev/fuse, no libfuse) and a target that
# maps a file: plain programs too.
$(E2E_BIN)/faults/stall-fuse $(E2E_BIN)/faults/map-file: \
	E2E_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1
$(E2E_BIN)/faults/stall-fuse: E2E_LDLIBS :=
$(E2E_BIN)/faults/map-file: E2E_LDLIBS := -lpthread

# The fuzzer builds its own messages; it only needs the contract's header and tables.
$(E2E_BIN)/faults/fuzz: E2E_CFLAGS += -I$(BUILD)/include
$(E2E_BIN)/faults/fuzz: $(KMD_CLIENT_UAPI)

# test-attack-soak: the driver talks through the library's transport; its targets are the
# same source built with -DSOAK_TARGET as a plain program (no sanitizers, like
# counter-target), which e2e-progs builds too.
$(E2E_BIN)/faults/attack-soak: E2E_CFLAGS += -I$(CURDIR)/userlib -I$(BUILD)/include
$(E2E_BIN)/faults/attack-soak: E2E_LDLIBS := $(KMD_CLIENT_OBJS) $(shell pkg-config --libs libnl-genl-3.0) -lpthread
$(E2E_BIN)/faults/attack-soak: $(KMD_CLIENT_OBJS) userlib/transport.h
$(E2E_BIN)/faults/attack-soak-target: tests/e2e/faults/attack-soak.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -DSOAK_TARGET -Wall -Wextra -Werror -g -O1 $(CFLAGS) -o $@ $< -lpthread
e2e-progs: $(E2E_BIN)/faults/attack-soak-target
