# Shell helpers for end-to-end tests (source it: . tests/e2e/lib/tap.sh).
# A test prints one TAP line per check and ends with e2e_done, which exits non-zero
# when any check failed. See tests/e2e/README.md.

e2e_n=0
e2e_failed=0

# e2e_ok DESCRIPTION / e2e_not_ok DESCRIPTION [WHY]
e2e_ok() {
	e2e_n=$((e2e_n + 1))
	echo "ok $e2e_n - $1"
}

e2e_not_ok() {
	e2e_n=$((e2e_n + 1))
	e2e_failed=1
	echo "not ok $e2e_n - $1${2:+: $2}"
}

# e2e_check DESCRIPTION COMMAND [ARGS...]: one check that COMMAND succeeds; its output is
# shown as TAP comments.
e2e_check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -z "$out" ] || sed 's/^/# /' <<<"$out"
	if [ "$rc" -eq 0 ]; then
		e2e_ok "$desc"
	else
		e2e_not_ok "$desc" "'$*' exited $rc"
	fi
}

e2e_done() {
	echo "1..$e2e_n"
	exit "$e2e_failed"
}

# e2e_within SECONDS COMMAND [ARGS...]: true once COMMAND succeeds, polled every 0.1 s,
# false when SECONDS of wall-clock time pass first. Counting by the clock, not by polls:
# on a loaded TCG guest each poll can take far longer than 0.1 s, and a "frozen for 5 s"
# window counted in polls could outlast the session it is meant to watch.
e2e_within() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	while :; do
		"$@" && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# True when the kmdump module is loaded and initialised.
e2e_module_live() {
	[ "$(cat /sys/module/kmdump/initstate 2>/dev/null)" = live ]
}

# The module file the harness loaded; a test that needs it and finds none fails.
e2e_need_module() {
	if [ -z "${KMDUMP_KO:-}" ] || [ ! -f "$KMDUMP_KO" ]; then
		e2e_not_ok "the kmdump module file is known" "KMDUMP_KO='${KMDUMP_KO:-}'"
		e2e_done
	fi
}
