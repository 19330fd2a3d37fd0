# kmdump-client is built on the library's transport (userlib/transport.c) and HRESULT
# table (userlib/hresult.c), compiled here with the e2e flags (sanitizers) so the test
# client and the library share one netlink implementation.
KMD_CLIENT := $(E2E_BIN)/client/kmdump-client
KMD_CLIENT_OBJS := $(E2E_BIN)/client/obj/transport.o $(E2E_BIN)/client/obj/hresult.o
KMD_CLIENT_UAPI := $(BUILD)/include/kmdump/uapi.h

$(KMD_CLIENT): E2E_CFLAGS += -I$(CURDIR)/userlib -I$(BUILD)/include
$(KMD_CLIENT): E2E_LDLIBS := $(KMD_CLIENT_OBJS) $(shell pkg-config --libs libnl-genl-3.0)
$(KMD_CLIENT): $(KMD_CLIENT_OBJS) userlib/transport.h

$(E2E_BIN)/client/obj/%.o: userlib/%.c userlib/transport.h netlink/kmdump.h $(KMD_CLIENT_UAPI)
	@mkdir -p $(@D)
	$(CC) $(E2E_CFLAGS) -I$(CURDIR)/userlib -I$(BUILD)/include $(CFLAGS) -c -o $@ $<

# userlib.mk has this rule when the top Makefile drives; e2e.mk alone needs its own.
ifndef KMDUMP_UAPI
$(KMD_CLIENT_UAPI): netlink/kmdump.h
	@mkdir -p $(@D)
	cp $< $@
endif

# capture-check talks to the module through the same transport (one client of the protocol).
KMD_CAPTURE_CHECK := $(E2E_BIN)/capture/capture-check
$(KMD_CAPTURE_CHECK): E2E_CFLAGS += -I$(CURDIR)/userlib -I$(BUILD)/include
$(KMD_CAPTURE_CHECK): E2E_LDLIBS := $(KMD_CLIENT_OBJS) $(shell pkg-config --libs libnl-genl-3.0)
$(KMD_CAPTURE_CHECK): $(KMD_CLIENT_OBJS) userlib/transport.h
