# The spinner target runs as an ordinary process: no sanitizers (their shadow mappings
# are not what a dumped program looks like).
$(E2E_BIN)/core/spinner: E2E_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1
$(E2E_BIN)/core/spinner: E2E_LDLIBS :=
