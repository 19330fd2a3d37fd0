# libkmdump: included by the top Makefile (BUILD, PREFIX, DESTDIR come from there).
#
#   make userlib   build/libkmdump.so.$(KMDUMP_LIB_VERSION) (soname libkmdump.so.1) with
#                  the .so symlinks, build/libkmdump.a and build/kmdump.pc
#   make check-abi the exported symbols against userlib/libkmdump.map (tests/abi/run)
#   make unit      host unit tests (tests/unit/unit.mk)
#
# Every userlib/*.c is compiled, so files other helpers add (transport.c) join by themselves.

# The soname's number changes only when the ABI breaks; the version follows
# KMDUMP_VERSION_MAJOR/MINOR of <kmdump/kmdump.h>.
KMDUMP_LIB_SONAME   := libkmdump.so.1
KMDUMP_LIB_VERSION  := 1.0.0

NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0)
NL_LIBS   := $(shell pkg-config --libs libnl-genl-3.0)

# The contract header is installed as <kmdump/uapi.h>; in the tree it is a build copy of
# netlink/kmdump.h (never edited, never committed).
KMDUMP_UAPI := $(BUILD)/include/kmdump/uapi.h

USERLIB_SRCS := $(sort $(wildcard userlib/*.c))
USERLIB_HDRS := $(wildcard userlib/*.h userlib/include/kmdump/*.h) $(KMDUMP_UAPI)
USERLIB_OBJS := $(patsubst userlib/%.c,$(BUILD)/userlib/%.o,$(USERLIB_SRCS))

USERLIB_WARN   := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
# Hidden by default: only what the headers mark KMDUMP_API is exported.
USERLIB_CFLAGS := $(USERLIB_WARN) -O2 -g -fPIC -fvisibility=hidden -I$(BUILD)/include -Iuserlib/include \
	-Iuserlib -Inetlink $(NL_CFLAGS) $(CFLAGS)

.PHONY: userlib
userlib: $(BUILD)/libkmdump.so $(BUILD)/libkmdump.a $(BUILD)/kmdump.pc

$(KMDUMP_UAPI): netlink/kmdump.h
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/userlib/%.o: userlib/%.c $(USERLIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USERLIB_CFLAGS) -c -o $@ $<

$(BUILD)/libkmdump.a: $(USERLIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libkmdump.so.$(KMDUMP_LIB_VERSION): $(USERLIB_OBJS) userlib/libkmdump.map
	$(CC) -shared -Wl,-soname,$(KMDUMP_LIB_SONAME) -Wl,--version-script=userlib/libkmdump.map \
		-Wl,-z,defs -o $@ $(USERLIB_OBJS) $(NL_LIBS) $(LDFLAGS)

$(BUILD)/libkmdump.so: $(BUILD)/libkmdump.so.$(KMDUMP_LIB_VERSION)
	ln -sf libkmdump.so.$(KMDUMP_LIB_VERSION) $(BUILD)/$(KMDUMP_LIB_SONAME)
	ln -sf $(KMDUMP_LIB_SONAME) $@

# PREFIX is baked in at build time; a later `make install PREFIX=...` rebuilds it.
$(BUILD)/kmdump.pc: userlib/kmdump.pc.in FORCE-PC
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(KMDUMP_LIB_VERSION)|' $< >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
.PHONY: FORCE-PC
FORCE-PC:

define userlib-install
	install -m 0755 $(BUILD)/libkmdump.so.$(KMDUMP_LIB_VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libkmdump.so.$(KMDUMP_LIB_VERSION) $(DESTDIR)$(PREFIX)/lib/$(KMDUMP_LIB_SONAME)
	ln -sf $(KMDUMP_LIB_SONAME) $(DESTDIR)$(PREFIX)/lib/libkmdump.so
	install -m 0644 $(BUILD)/libkmdump.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(BUILD)/kmdump.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 userlib/include/kmdump/*.h $(KMDUMP_UAPI) $(DESTDIR)$(PREFIX)/include/kmdump/
endef

-include tests/unit/unit.mk

# The binary interface against the version script (a layer of make check).
.PHONY: check-abi
check-abi: userlib
	@bash tests/abi/run
