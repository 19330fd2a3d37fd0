# shellcheck shell=bash disable=SC2034 # client, spin_pid: used by the sourcing tests
# Helpers for the core (session layer) e2e tests. Source after tests/e2e/lib/tap.sh.
client=$KMDUMP_E2E_BIN/client/kmdump-client
spinner=$KMDUMP_E2E_BIN/core/spinner
# The spinner's count file lives on the guest's tmpfs: on 6.1 a read of the 9p repository
# mount can lag another process's writes, which makes a frozen target look like it moves.
kout=$(mktemp -d /tmp/kmdump-core.XXXXXX) && chmod 755 "$kout"

# start_spinner NAME: starts a spinner counting into $kout/NAME.count; sets $spin_pid.
start_spinner() {
	"$spinner" "$kout/$1.count" &
	spin_pid=$!
	e2e_within 5 test -s "$kout/$1.count"
}

count_of() { cat "$kout/$1.count" 2>/dev/null || echo 0; }

# moving NAME SECONDS: true when the spinner's count changes within SECONDS.
count_is_not() { [ "$(count_of "$1")" != "$2" ]; }
moving() { e2e_within "$2" count_is_not "$1" "$(count_of "$1")"; }

# still NAME SECONDS: true when the count does not change for SECONDS. A write the spinner
# had in flight when it was frozen completes first (by design, a syscall is never
# interrupted; the repository is a slow 9p mount in the guest), so let it land first: 1 s,
# 3 s on the debug kernel (a loaded host once needed more than 1 s there).
still() {
	if [ "${KMDUMP_KERNEL:-}" = debug ]; then sleep 3; else sleep 1; fi
	! moving "$1" "$2"
}

# field KEY LINE...: the value of KEY=... in the text on stdin.
field() { grep -o "$1=[^ ]*" | head -n 1 | cut -d= -f2; }

# wait_for FILE PATTERN SECONDS: FILE gets a line matching PATTERN within SECONDS.
wait_for() { e2e_within "$3" grep -q "$2" "$1" 2>/dev/null; }
