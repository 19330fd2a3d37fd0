# Target programs run as ordinary processes: no sanitizers (their shadow mappings and
# interceptors are not what a dumped program looks like), with threads.
$(E2E_BIN)/targets/%: E2E_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -pthread
$(E2E_BIN)/targets/%: E2E_LDLIBS := -pthread
