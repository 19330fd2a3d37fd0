# Helpers for the readers' tests (source after tests/e2e/lib/tap.sh): start the target,
# write dumps with kmdump, make Breakpad symbols, and turn Breakpad's and lldb's output
# into lines the tests compare. Every reader's output is kept in $out for the log.

bin=${KMDUMP_E2E_BIN:-build/tests/e2e}/dumps
out=${KMDUMP_E2E_OUT:-$(mktemp -d)}
kmdump=build/kmdump
target_pids=()

# Breakpad's readers, installed on the host by `make e2e-progs` (the guest has no network).
bp=$(bash tests/breakpad/install) || {
	e2e_not_ok "Breakpad's readers are installed" "tests/breakpad/install failed"
	e2e_done
}

# The thread chains dumps-target.c promises, innermost first, by role.
declare -A chain=(
	[main]="main_idle_level1 main_idle main"
	[reader]="reader_level2 reader_level1 reader_thread"
	[sleeper]="sleeper_level1 sleeper_thread"
	[spinner]="spinner_level2 spinner_level1 spinner_thread"
	[waiter]="waiter_level1 waiter_thread"
)
declare -A role_of_tid

rd_cleanup() {
	local p
	for p in "${target_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap rd_cleanup EXIT

# rd_start_target: runs dumps-target and waits for its READY line; sets pid, role_of_tid,
# pattern_addr, pattern_len.
rd_start_target() {
	local line ready tr ts tsp tw
	exec {target_out}< <(exec "$bin/dumps-target" 2>"$out/target.stderr")
	if ! read -r -t 60 -u "$target_out" line; then
		e2e_not_ok "dumps-target starts" "no READY line: $(cat "$out/target.stderr")"
		e2e_done
	fi
	read -r ready pid tr ts tsp tw pattern_addr pattern_len <<<"$line"
	target_pids+=("$pid")
	role_of_tid=([$pid]=main [$tr]=reader [$ts]=sleeper [$tsp]=spinner [$tw]=waiter)
	echo "# target: $line"
}

# rd_dump NAME [KMDUMP OPTIONS...]: kmdump writes $out/NAME.dmp of $pid; a TAP line.
rd_dump() {
	local name=$1 log
	shift
	log=$("$kmdump" "$@" "$pid" "$out/$name.dmp" 2>&1)
	local rc=$?
	sed 's/^/# /' <<<"$log"
	if [ "$rc" -eq 0 ] && [ -s "$out/$name.dmp" ]; then
		e2e_ok "kmdump${*:+ $*} writes a dump of the running target ($name.dmp)"
	else
		e2e_not_ok "kmdump${*:+ $*} writes a dump of the running target ($name.dmp)" "exit $rc"
		return 1
	fi
}

# rd_symbols DUMP SYMDIR: Breakpad symbols of every module file the dump names, made by
# Breakpad's dump_syms (tests/breakpad/symbols). Prints "<path> <debug id>" per module.
rd_symbols() {
	bash tests/breakpad/symbols "$1" "$2"
}

# rd_breakpad_frames STACKWALK-OUTPUT: one line per thread, "<index> <module!function>...",
# by ThreadList index (Breakpad prints the crashed thread first).
rd_breakpad_frames() {
	awk '/^Loaded modules:/ { exit }
	     /^Thread [0-9]+/ { if (t != "") print t f; t = $2; f = ""; next }
	     t != "" && /^ *[0-9]+  / { f = f " " $2 }
	     END { if (t != "") print t f }' "$1" | sort -n -k1,1
}

# rd_breakpad_regs STACKWALK-OUTPUT: "<index> <rip> <rsp> <rbp>" from frame 0 of each
# thread, by ThreadList index.
rd_breakpad_regs() {
	awk 'function flush() { if (t != "") printf "%s %s %s %s\n", t, r["rip"], r["rsp"], r["rbp"] }
	     /^Loaded modules:/ { exit }
	     /^Thread [0-9]+/ { flush(); t = $2; in0 = 0; delete r; next }
	     /^ *0  / { in0 = 1; next }
	     /^ *[1-9][0-9]*  / { in0 = 0 }
	     in0 { for (i = 1; i + 2 <= NF; i++) if ($(i + 1) == "=") r[$i] = $(i + 2) }
	     END { flush() }' "$1" | rd_hex_norm | sort -n -k1,1
}

# rd_hex_norm: fields 2.. of each line as lower-case hex without leading zeros (0x0 for 0).
rd_hex_norm() {
	awk '{ for (i = 2; i <= NF; i++) { h = tolower($i); sub(/^0x0*/, "", h); $i = "0x" (h == "" ? "0" : h) }
	       print }'
}

# rd_lldb DUMP EXE THREADS OUTFILE: lldb's view of the dump: thread list, bt all, image
# list, and rip/rsp/rbp of each of the THREADS threads (selected one by one).
rd_lldb() {
	local dump=$1 exe=$2 n=$3 outf=$4 i cmds=()
	cmds=(-o 'thread list' -o 'bt all' -o 'image list')
	for ((i = 1; i <= n; i++)); do
		cmds+=(-o "thread select $i" -o 'register read rip rsp rbp')
	done
	rd_lldb_batch -c "$dump" "$exe" "${cmds[@]}" >"$outf" 2>"$outf.stderr"
}

# rd_lldb_batch ARGS...: lldb in batch mode without looking up separate debug files
# (/usr/lib/debug): unwinding needs only the modules' own unwind tables, and loading
# libc's full debug info takes half a minute in a TCG guest.
rd_lldb_batch() {
	lldb -b -O 'settings set symbols.enable-external-lookup false' "$@"
}

# rd_lldb_frames LLDB-OUTPUT: "<tid> <module!function>..." per thread, from `bt all`, in
# thread order; tids from `thread list`.
rd_lldb_frames() {
	awk '/^\(lldb\) / { sec = $2 " " $3; next }
	     sec == "thread list" && /thread #[0-9]+: tid = / {
		match($0, /#[0-9]+/); n = substr($0, RSTART + 1, RLENGTH - 1)
		match($0, /tid = [0-9]+/); tid[n] = substr($0, RSTART + 6, RLENGTH - 6); next }
	     sec == "bt all" && /^[* ] thread #[0-9]+/ {
		match($0, /#[0-9]+/); cur = substr($0, RSTART + 1, RLENGTH - 1); order[++nt] = cur; next }
	     sec == "bt all" && /frame #[0-9]+: / {
		s = $0; sub(/.*frame #[0-9]+: 0x[0-9a-f]+ /, "", s)
		sub(/[ (].*/, "", s); sub(/`/, "!", s); f[cur] = f[cur] " " s }
	     END { for (i = 1; i <= nt; i++) print tid[order[i]] f[order[i]] }' "$1"
}

# rd_lldb_regs LLDB-OUTPUT: "<tid> <rip> <rsp> <rbp>" per selected thread.
rd_lldb_regs() {
	awk '/^\(lldb\) thread list/ { sec = "list"; next }
	     /^\(lldb\) thread select / { sec = "sel"; cur = $4; next }
	     /^\(lldb\) / { if (sec != "sel" && sec != "regs") sec = ""; if ($2 == "register") sec = "regs"; next }
	     sec == "list" && /thread #[0-9]+: tid = / {
		match($0, /#[0-9]+/); n = substr($0, RSTART + 1, RLENGTH - 1)
		match($0, /tid = [0-9]+/); tid[n] = substr($0, RSTART + 6, RLENGTH - 6); next }
	     sec == "regs" && $2 == "=" { r[cur, $1] = $3; seen[cur] = 1 }
	     END { for (i = 1; i in tid; i++) print tid[i], r[i, "rip"], r[i, "rsp"], r[i, "rbp"] }' "$1" |
		rd_hex_norm
}

# rd_chain_ok FRAMES EXPECTED: FRAMES ("module!function ...", innermost first) hold the
# EXPECTED functions of MODULE ($rd_module) as consecutive frames, with only libc frames
# (the blocking call's wrappers) before them and a libc frame (thread start or
# __libc_start_main) right after them. Sets $why when not. (No subshells: forks are slow
# in a TCG guest.)
rd_module=dumps-target
rd_chain_ok() {
	local -a fr=($1) ex=($2)
	local i=0 j
	why=
	while [ "$i" -lt "${#fr[@]}" ] && [[ ${fr[$i]} == libc.so.6!* ]]; do i=$((i + 1)); done
	if [ "$i" -gt 6 ]; then
		why="more than 6 libc frames before the program's: $1"
		return 1
	fi
	for ((j = 0; j < ${#ex[@]}; j++, i++)); do
		if [ "${fr[$i]:-}" != "$rd_module!${ex[$j]}" ]; then
			why="frame $i is '${fr[$i]:-none}', expected '$rd_module!${ex[$j]}' (frames: $1)"
			return 1
		fi
	done
	if [[ ${fr[$i]:-} != libc.so.6!* ]]; then
		why="frame $i after ${ex[-1]} is '${fr[$i]:-none}', expected libc's thread start (frames: $1)"
		return 1
	fi
}

# rd_check_chain READER TID FRAMES: one TAP line: thread TID's FRAMES in READER's view
# hold the chain its role promises.
rd_check_chain() {
	local role=${role_of_tid[$2]:-unknown}
	local want=${chain[$role]:-?}
	if rd_chain_ok "$3" "$want"; then
		e2e_ok "$1: $role thread $2 unwinds through $want"
	else
		e2e_not_ok "$1: $role thread $2 unwinds through $want" "$why"
	fi
}

# rd_build_id FILE: the GNU build id of an ELF file, as readelf -n prints it.
rd_build_id() {
	readelf -n "$1" 2>/dev/null | sed -n 's/^ *Build ID: *\([0-9a-f]*\)$/\1/p' | head -n 1
}

# rd_minidump_dump DUMP: Breakpad's minidump_dump reads every stream of DUMP: it exits 0
# and logs no error, lists every directory entry, and prints the section of every stream
# type it knows how to parse. TAP lines.
declare -A rd_section=(
	[0x3]=MinidumpThreadList [0x4]=MinidumpModuleList [0x5]=MinidumpMemoryList
	[0x6]=MDException [0x7]=MDRawSystemInfo [0xf]=MDRawMiscInfo
	[0x10]=MinidumpMemoryInfoList [0x18]=MinidumpThreadNameList
	[0x47670003]="Stream MD_LINUX_CPU_INFO:" [0x47670004]="Stream MD_LINUX_PROC_STATUS:"
	[0x47670005]="Stream MD_LINUX_LSB_RELEASE:" [0x47670006]="Stream MD_LINUX_CMD_LINE:"
	[0x47670007]="Stream MD_LINUX_ENVIRON:" [0x47670009]="Stream MD_LINUX_MAPS:"
)
rd_minidump_dump() {
	local dump=$1 name base rc type size missing=
	base=$out/$(basename "$dump" .dmp).minidump_dump
	"$bp/minidump_dump" "$dump" >"$base.txt" 2>"$base.log"
	rc=$?
	name=$(basename "$dump")
	if [ "$rc" -ne 0 ] || grep -q ': ERROR: ' "$base.log"; then
		grep ': ERROR: ' "$base.log" | head -n 5 | sed 's/^/# /'
		e2e_not_ok "minidump_dump reads $name without an error" "exit $rc"
		return
	fi
	e2e_ok "minidump_dump reads $name without an error"
	while read -r type size; do
		grep -q "^  stream type $type (" "$base.txt" || missing+=" $type(unlisted)"
		if [ -n "${rd_section[$type]:-}" ] && ! grep -q "^${rd_section[$type]}\$" "$base.txt"; then
			missing+=" $type(${rd_section[$type]} not printed)"
		fi
	done < <("$bin/mdmp-check" streams "$dump")
	if [ -z "$missing" ]; then
		e2e_ok "minidump_dump accepts every stream of $name ($("$bin/mdmp-check" streams "$dump" | wc -l) streams)"
	else
		e2e_not_ok "minidump_dump accepts every stream of $name" "missing:$missing"
	fi
}

# rd_threads DUMP: "$out/<name>.threads": "<tid> <rip> <rsp> <rbp>" per thread in
# ThreadList order, as readers see them (the exception context for the exception thread).
rd_threads() {
	local f=$out/$(basename "$1" .dmp).threads
	"$bin/mdmp-check" seen-threads "$1" | rd_hex_norm >"$f"
	echo "$f"
}

# rd_breakpad_check DUMP: Breakpad's minidump_stackwalk, with symbols from its dump_syms,
# shows every thread of DUMP with the expected chain and the captured frame 0 registers.
# Leaves $out/<name>.stackwalk and <name>.symbols.
rd_breakpad_check() {
	local dump=$1 name threads sw rc tid rip rsp rbp i frames n
	name=$(basename "$dump" .dmp)
	threads=$(rd_threads "$dump")
	sw=$out/$name.stackwalk
	rd_symbols "$dump" "$out/symbols" >"$out/$name.symbols"
	"$bp/minidump_stackwalk" "$dump" "$out/symbols" >"$sw" 2>"$sw.log"
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$sw" ]; then
		e2e_not_ok "minidump_stackwalk processes $name.dmp" "exit $rc: $(tail -n 3 "$sw.log" | tr '\n' ' ')"
		return
	fi
	e2e_ok "minidump_stackwalk processes $name.dmp"
	rd_breakpad_frames "$sw" >"$sw.frames"
	n=$(wc -l <"$threads")
	if [ "$(wc -l <"$sw.frames")" -eq "$n" ]; then
		e2e_ok "minidump_stackwalk shows all $n threads of $name.dmp"
	else
		e2e_not_ok "minidump_stackwalk shows all $n threads of $name.dmp" "it shows $(wc -l <"$sw.frames")"
	fi
	# Breakpad numbers threads by their ThreadList index.
	local -A by_index=()
	while read -r i frames; do by_index[$i]=$frames; done <"$sw.frames"
	i=0
	while read -r tid rip rsp rbp; do
		rd_check_chain "minidump_stackwalk $name" "$tid" "${by_index[$i]:-}"
		i=$((i + 1))
	done <"$threads"
	rd_breakpad_regs "$sw" | cut -d' ' -f2- >"$sw.regs"
	if cut -d' ' -f2- "$threads" | cmp -s - "$sw.regs"; then
		e2e_ok "minidump_stackwalk $name: frame 0 registers (rip rsp rbp) are the captured ones"
	else
		e2e_not_ok "minidump_stackwalk $name: frame 0 registers (rip rsp rbp) are the captured ones" \
			"$(cut -d' ' -f2- "$threads" | diff - "$sw.regs" | tr '\n' ' ')"
	fi
}

# rd_lldb_check DUMP EXE: Debian's lldb opens DUMP with EXE and shows the same threads,
# the expected backtraces and the same registers. Leaves $out/<name>.lldb.
rd_lldb_check() {
	local dump=$1 exe=$2 name threads lf want got tid frames
	name=$(basename "$dump" .dmp)
	threads=$(rd_threads "$dump")
	lf=$out/$name.lldb
	rd_lldb "$dump" "$exe" "$(wc -l <"$threads")" "$lf"
	if ! grep -q "^Core file '.*' (x86_64) was loaded" "$lf"; then
		e2e_not_ok "lldb opens $name.dmp" "$(grep -iv 'traceback\|File "<string>"\|Error: name\|run_one_line\|embedded_interpreter' "$lf.stderr" | head -n 3 | tr '\n' ' ')"
		return
	fi
	e2e_ok "lldb opens $name.dmp"
	rd_lldb_frames "$lf" >"$lf.frames"
	want=$(cut -d' ' -f1 "$threads" | tr '\n' ' ')
	got=$(cut -d' ' -f1 "$lf.frames" | tr '\n' ' ')
	if [ "$got" = "$want" ]; then
		e2e_ok "lldb $name: the same threads in the same order ($got)"
	else
		e2e_not_ok "lldb $name: the same threads in the same order" "lldb: '$got', ThreadList: '$want'"
	fi
	while read -r tid frames; do
		rd_check_chain "lldb $name" "$tid" "$frames"
	done <"$lf.frames"
	rd_lldb_regs "$lf" >"$lf.regs"
	if cmp -s "$threads" "$lf.regs"; then
		e2e_ok "lldb $name: the same registers (rip rsp rbp) for every thread"
	else
		e2e_not_ok "lldb $name: the same registers (rip rsp rbp) for every thread" \
			"$(diff "$threads" "$lf.regs" | tr '\n' ' ')"
	fi
}
