# Helpers for the faults tests (source after tests/e2e/lib/tap.sh). Requests go through
# the test client (tests/e2e/client/kmdump-client) or proof (a chosen proof descriptor),
# which both print "opened hresult=...", "closed hresult=..." or
# "error hresult=0x... name=... what=... msg=<the module's extended-ack message>".
client=$KMDUMP_E2E_BIN/client/kmdump-client
proof=$KMDUMP_E2E_BIN/faults/proof
counter=$KMDUMP_E2E_BIN/faults/counter-target
# Counter files are shared mmaps that tests read back: keep them on the guest's tmpfs, not
# on the 9p repository mount (on 6.1 a read there does not see another process's stores
# through a shared mapping, which looks like a frozen target).
faults_out=$(mktemp -d /tmp/kmdump-faults.XXXXXX) && chmod 755 "$faults_out"

# Wall-clock bounds are multiplied by $slow on the debug kernel (KASAN, lockdep under TCG).
slow=1
[ "${KMDUMP_KERNEL:-}" = debug ] && slow=3

# HRESULTs as the client prints them (netlink/kmdump.h).
S_OK=0x00000000
E_ACCESSDENIED=0x80070005
E_HANDLE=0x80070006
E_INVALIDARG=0x80070057
E_INVALID_CID=0xd000000b
E_BUSY=0x800700aa
E_TOO_MANY_SESSIONS=0x80070045
E_NOT_FOUND=0x80070490
E_ARITHMETIC_OVERFLOW=0x80070216
E_NOT_RESIDENT=0xd0000006

# as_nobody CMD...: runs CMD as nobody:nogroup without supplementary groups. $NOBODY is
# the same as words, for "RUNAS=$NOBODY start_counter ..." (so $! is the target itself).
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
as_nobody() { $NOBODY "$@"; }

# A folder nobody may write (the repository is root's).
nobody_dir() {
	local d
	d=$(mktemp -d /tmp/kmdump-faults.XXXXXX) && chmod 777 "$d" && echo "$d"
}

_show() { sed 's/^/# /' <<<"$1"; }

# expect_refused DESC HRESULT WHAT MSG-REGEX CMD...: CMD reports the refusal HRESULT for
# request WHAT (session-open, open-proof, ...) with a non-empty message matching MSG-REGEX.
expect_refused() {
	local desc=$1 hr=$2 what=$3 pat=$4 o
	shift 4
	o=$("$@" 2>&1)
	_show "$o"
	if grep -qE "^error hresult=$hr name=[^ ]+ what=$what msg=.+" <<<"$o" &&
		grep -E "^error hresult=$hr " <<<"$o" | grep -qE -- "msg=.*$pat"; then
		e2e_ok "$desc"
	elif grep -q '^opened ' <<<"$o"; then
		e2e_not_ok "$desc" "the session OPENED (expected $hr for $what: /$pat/)"
	else
		e2e_not_ok "$desc" "expected $hr for $what with a message matching /$pat/; got: $(grep '^error' <<<"$o" | head -n 1)"
	fi
}

# expect_opened DESC CMD...: CMD opens a session (S_OK or S_FALSE) and closes it with S_OK.
expect_opened() {
	local desc=$1 o
	shift
	o=$("$@" 2>&1)
	_show "$o"
	if grep -qE '^opened hresult=0x0000000[01] session=[1-9]' <<<"$o" &&
		grep -q "^closed hresult=$S_OK" <<<"$o"; then
		e2e_ok "$desc"
	else
		e2e_not_ok "$desc" "$(grep '^error' <<<"$o" | head -n 1)"
	fi
}

# start_counter NAME THREADS [BLOCKED] [MIB] [leader-exits]: a counter-target counting
# into $out/NAME.cnt (or $dir/NAME.cnt when dir is set), as the calling user; sets
# counter_pid. Prefix with RUNAS=$NOBODY to start it as nobody. It must be up within
# $counter_wait seconds (default 30, 90 on the debug kernel).
counter_started() { [ "$(od -An -tx8 -N8 "$1" 2>/dev/null | tr -d ' ')" = 6b6d64756d70636e ]; }
start_counter() {
	local f=${dir:-$faults_out}/$1.cnt
	shift
	rm -f "$f"
	$RUNAS "$counter" "$f" "$@" &
	counter_pid=$!
	e2e_within "${counter_wait:-$((30 * slow))}" counter_started "$f" && return 0
	echo "# counter-target $f did not start"
	return 1
}

# moving NAME SECONDS: some thread of the counter-target NAME counts within SECONDS.
counts_of() { md5sum <"${dir:-$faults_out}/$1.cnt"; }
counts_are_not() { [ "$(counts_of "$1")" != "$2" ]; }
moving() { e2e_within "$2" counts_are_not "$1" "$(counts_of "$1")"; }

# still NAME SECONDS: no thread of NAME counts for SECONDS (it is frozen).
still() { ! moving "$1" "$2"; }

# wait_for FILE REGEX SECONDS: FILE gets a line matching REGEX within SECONDS.
wait_for() { e2e_within "$3" grep -qE "$2" "$1" 2>/dev/null; }

# field KEY: the value of KEY=... in the first line of stdin that has it.
field() { grep -o "$1=[^ ]*" | head -n 1 | cut -d= -f2; }

# stop PID...: SIGKILL and reap.
stop() {
	kill -9 "$@" 2>/dev/null
	wait "$@" 2>/dev/null
	return 0
}

# start_stall_fuse DIR: mounts stall-fuse (a FUSE server that never answers a READ,
# stall-fuse.c) on DIR, creating it; sets fuse_pid, its log is DIR.log. Loads fuse and
# mounts fusectl (for the abort) when the guest lacks them. stop_stall_fuse DIR aborts the
# connection (every waiter gets ECONNABORTED), unmounts and reaps the server.
stall_fuse=$KMDUMP_E2E_BIN/faults/stall-fuse
fusectl=/sys/fs/fuse/connections
fusectl_mounted=
fuse_loaded=
start_stall_fuse() {
	local d=$1
	if [ ! -d /sys/module/fuse ]; then
		modprobe fuse && fuse_loaded=1 || return 1
	fi
	if [ -d "$fusectl" ] && ! mountpoint -q "$fusectl"; then
		mount -t fusectl fusectl "$fusectl" && fusectl_mounted=1
	fi
	mkdir -p "$d" && chmod 755 "$d" || return 1
	"$stall_fuse" "$d" >"$d.log" 2>&1 &
	fuse_pid=$!
	wait_for "$d.log" '^mounted ' 30 && return 0
	echo "# stall-fuse did not mount on $d: $(tail -n 3 "$d.log")"
	return 1
}

# The fusectl connection of the FUSE mount on DIR (its device number), if any.
fuse_conn() {
	local dev
	dev=$(awk -v d="$1" '$5 == d && $9 == "fuse" { print $3 }' /proc/self/mountinfo | tail -n 1)
	[ -n "$dev" ] && [ "${dev%%:*}" = 0 ] && echo "${dev#*:}"
}

stop_stall_fuse() {
	local d=$1 c
	c=$(fuse_conn "$d")
	[ -n "$c" ] && [ -w "$fusectl/$c/abort" ] && echo 1 >"$fusectl/$c/abort"
	[ -n "${fuse_pid:-}" ] && kill "$fuse_pid" 2>/dev/null
	umount -l "$d" 2>/dev/null
	[ -n "${fuse_pid:-}" ] && wait "$fuse_pid" 2>/dev/null
	fuse_pid=
	return 0
}

# Undoes what start_stall_fuse set up in the guest (call once, at the end).
stall_fuse_done() {
	[ -n "$fusectl_mounted" ] && umount "$fusectl" 2>/dev/null
	[ -n "$fuse_loaded" ] && modprobe -r fuse 2>/dev/null
	fusectl_mounted='' fuse_loaded=''
	return 0
}

# The agent (agent.c, commands in agent.h), a requester driven by lines. Start it as a
# coprocess named AG, e.g. coproc AG { exec $NOBODY "$agent"; }, then
# reply=$(ask_agent "open $pid 60000") and $(field hr <<<"$reply").
agent=$KMDUMP_E2E_BIN/faults/agent
ask_agent() {
	local line
	echo "$1" >&"${AG[1]}" || return 1
	read -t "${2:-300}" -r line <&"${AG[0]}" || return 1
	echo "$line"
}

# Kernel memory that does not reclaim itself, in KiB: unreclaimable slab + vmalloc.
kernel_kib() {
	awk '/^SUnreclaim:/ { s = $2 } /^VmallocUsed:/ { v = $2 } END { print s + v }' /proc/meminfo
}

# exited PID: PID has ended (gone, or a zombie nobody reaped yet).
exited() {
	[ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}

# Tasks running kmdump code now (a frame of the module in /proc/<pid>/task/<tid>/stack),
# one "pid/tid comm: frame" line each.
in_kmdump() {
	local s t
	for s in /proc/[0-9]*/task/[0-9]*/stack; do
		grep -q '\[kmdump\]' "$s" 2>/dev/null || continue
		t=${s%/stack}
		echo "${t#/proc/} $(cat "$t/comm" 2>/dev/null): $(grep -m1 '\[kmdump\]' "$s" 2>/dev/null)"
	done
}
none_in_kmdump() { [ -z "$(in_kmdump)" ]; }

# run_within SECONDS LOG CMD...: runs CMD (output to LOG) and returns its status if it ends
# within SECONDS, else 124; a CMD that did not end keeps running (one stuck in the kernel
# cannot be killed) and its pid goes to late_pids, for the test's cleanup to wait for.
late_pids=()
run_within() {
	local s=$1 log=$2 p
	shift 2
	"$@" >"$log" 2>&1 &
	p=$!
	if e2e_within "$s" exited "$p"; then
		wait "$p"
		return
	fi
	late_pids+=("$p")
	return 124
}

# Skips the whole test (TAP "# SKIP") when the kernel lacks a feature it needs: the debug
# kernel is a tinyconfig build without FUSE, cgroups or genetlink modules.
skip_without() { # what, command...
	local what=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	echo "ok 1 - needs $what # SKIP this kernel (${KMDUMP_KERNEL:-?}) has no $what"
	echo "1..1"
	exit 0
}

# True when the kernel has FUSE, built in or as a module (without loading it).
have_fuse() { [ -e /dev/fuse ] || grep -qw fuse /proc/filesystems || modprobe -nq fuse; }
