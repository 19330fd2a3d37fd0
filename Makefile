# kmdump: one Makefile drives the library, the command, the module and every test layer.
#
#   make                 library, command and the module for $(KDIR)
#   make module KDIR=…   the module for one kernel tree (build/modules/<release>/kmdump.ko)
#   make check           every test layer; ends with "N passed, N failed"
#   make demo            boots a stock Debian kernel in qemu and shows kmdump working
#   make bench           prints timing tables (never asserts on time)
#   make install         PREFIX/DESTDIR honoured; the module via modules_install

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := $(CURDIR)/build

# The kernel tree the module is built against: the running kernel's build tree when it
# exists, else the newest Debian header tree installed on this machine.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1))
# The release the module's vermagic names (Debian's include/config/kernel.release says
# "6.1.192" where the running kernel says "6.1.0-56-amd64"; utsrelease.h is what uname -r shows).
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = $(BUILD)/modules/$(KREL)$(if $(KUNIT),-kunit)

.PHONY: all module check demo bench install clean kdir-check
all: userlib cmd module

include userlib/userlib.mk
include cmd/cmd.mk
include tests/tests.mk
include tests/e2e/e2e.mk

kdir-check:
	@if [ -z "$(KDIR)" ] || [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "kmdump: no kernel build tree found (KDIR='$(KDIR)')." >&2; \
		echo "kmdump: install one: apt-get install linux-headers-amd64 (or linux-headers-\$$(uname -r))," >&2; \
		echo "kmdump: or name one: make KDIR=/path/to/kernel/build" >&2; \
		exit 1; fi

# Kbuild builds in the directory it is given, so each kernel release gets a tree of
# symlinks to the sources under build/modules/<release>/; objects never land in kmod/.
module: kdir-check
	@mkdir -p $(MODDIR)
	@cd $(MODDIR) && find . -type l -delete && \
		cp -rs $(CURDIR)/Kbuild $(CURDIR)/kmod $(CURDIR)/netlink . 2>/dev/null; \
		find $(MODDIR) -xtype l -delete
	$(MAKE) -C $(KDIR) M=$(MODDIR) $(if $(KUNIT),KMDUMP_KUNIT=1) modules
	@echo "module: $(MODDIR)/kmdump.ko"

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/kmdump $(DESTDIR)$(PREFIX)/bin
	$(userlib-install)
	$(cmd-install)
	$(MAKE) -C $(KDIR) M=$(MODDIR) $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install

clean:
	rm -rf $(BUILD)
