# The kmdump command: included by the top Makefile.
#
#   make cmd   build/kmdump, linked against build/libkmdump.so (found next to it in the
#              tree, or in ../lib once installed)

CMD_SRCS := $(sort $(wildcard cmd/*.c))
CMD_OBJS := $(patsubst cmd/%.c,$(BUILD)/cmd/%.o,$(CMD_SRCS))

.PHONY: cmd
cmd: $(BUILD)/kmdump

$(BUILD)/cmd/%.o: cmd/%.c cmd/cmd.h $(USERLIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USERLIB_WARN) -O2 -g -I$(BUILD)/include -Iuserlib/include $(CFLAGS) -c -o $@ $<

$(BUILD)/kmdump: $(CMD_OBJS) $(BUILD)/libkmdump.so
	$(CC) -o $@ $(CMD_OBJS) -L$(BUILD) -lkmdump -Wl,-rpath,'$$ORIGIN:$$ORIGIN/../lib' $(LDFLAGS)

define cmd-install
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/kmdump $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 cmd/kmdump.1 $(DESTDIR)$(PREFIX)/share/man/man1/
endef
