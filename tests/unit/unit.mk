# Host unit tests (the "unit" layer), included from userlib/userlib.mk.
#
#   make unit   builds the suites twice, with -fsanitize=address,undefined and without,
#               runs both and writes flat TAP lines "ok - unit/<suite>/<case>" (sanitized)
#               and "ok - unit-plain/<suite>/<case>" to $KMDUMP_TAP
#               (default build/test-results/unit.tap); exits non-zero on any failure.
#
# The suites link the library's objects (userlib/*.c) built for each flavour, the fake
# process source and the MDMP checker from tests/unit/.

UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_HDRS := $(wildcard tests/unit/*.h)
UNIT_CHECK_CFLAGS := $(shell pkg-config --cflags check)
UNIT_CHECK_LIBS := $(shell pkg-config --libs check)
UNIT_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

define unit-flavour
# $(1): flavour directory, $(2): extra flags
$(BUILD)/$(1)/userlib/%.o: userlib/%.c $(USERLIB_HDRS)
	@mkdir -p $$(dir $$@)
	$(CC) $(USERLIB_WARN) -O1 -g $(2) -I$(BUILD)/include -Iuserlib/include -Iuserlib -Inetlink $(NL_CFLAGS) -c -o $$@ $$<

$(BUILD)/$(1)/tests/%.o: tests/unit/%.c $(UNIT_HDRS) $(USERLIB_HDRS)
	@mkdir -p $$(dir $$@)
	$(CC) $(USERLIB_WARN) -O1 -g $(2) -I$(BUILD)/include -Iuserlib/include -Iuserlib -Inetlink \
		-Itests/unit $(NL_CFLAGS) $(UNIT_CHECK_CFLAGS) -c -o $$@ $$<

$(BUILD)/$(1)/libkmdump-test.a: $(patsubst userlib/%.c,$(BUILD)/$(1)/userlib/%.o,$(USERLIB_SRCS))
	rm -f $$@
	$(AR) rcs $$@ $$^

$(BUILD)/$(1)/kmdump-unit: $(patsubst tests/unit/%.c,$(BUILD)/$(1)/tests/%.o,$(UNIT_SRCS)) $(BUILD)/$(1)/libkmdump-test.a
	$(CC) $(2) -o $$@ $$^ $(NL_LIBS) $(UNIT_CHECK_LIBS)
endef

$(eval $(call unit-flavour,unit-asan,$(UNIT_SAN)))
$(eval $(call unit-flavour,unit-plain,))

# the public headers compile as C++ too
$(BUILD)/unit-cxx/headers.o: tests/unit/headers.cpp $(USERLIB_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 -Wall -Wextra -Werror -I$(BUILD)/include -Iuserlib/include -c -o $@ $<

.PHONY: unit unit-build
unit-build: $(BUILD)/unit-asan/kmdump-unit $(BUILD)/unit-plain/kmdump-unit $(BUILD)/unit-cxx/headers.o

unit: unit-build
	@BUILD=$(BUILD) bash tests/unit/run $(BUILD)/unit-asan/kmdump-unit:unit \
		$(BUILD)/unit-plain/kmdump-unit:unit-plain
