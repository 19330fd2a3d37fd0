// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz COUNTER-TARGET DIR COUNT SECONDS SEED LABEL: a structure-aware fuzzer of
 * the kmdump generic netlink family, on raw netlink sockets, bounded by COUNT
 * messages and SECONDS of wall-clock time (whichever ends first), reproducible
 * from SEED (the same seed sends the same messages; session ids and timings
 * still come from the kernel). LABEL ("root", "nobody") prefixes its TAP lines.
 *
 * The contract (netlink/kmdump.yaml, through netlink/kmdump.h) is copied into
 * two tables below: every attribute with its type and max-len, every command
 * with its kind (do, dump, event) and its request attributes. Messages are
 * built from them:
 *   - every command with its attributes, each valid (a live session of this
 *     socket, a real target's pid and /proc/<pid>/mem, a real output file,
 *     ranges inside the target's mappings), at an edge (0, 1, min-1, min,
 *     max, max+1, U32_MAX, U64_MAX, TASK_SIZE_MAX and around it, len and
 *     offset whose sums with addr overflow, 1 TiB and 1 TiB+1, range counts
 *     0/1/4095/4096/4097), or wrong (a wrong size, NLA_F_NESTED where it does
 *     not belong or missing where it does, malformed range nests), missing or
 *     duplicated, plus attributes of other commands (binaries and strings at
 *     max-len and max-len+1) and unknown attribute ids;
 *   - real descriptors: the target's /proc/<pid>/mem, another process's, a
 *     regular writable file, a memfd, an O_APPEND or read-only file,
 *     /dev/null, a pipe, a directory, the socket itself, closed numbers;
 *   - header faults: NLM_F_DUMP on a do op and none on a dump op, the
 *     status-ntf event as a request, NLM_F_ACK or not, NLM_F_ECHO, partial
 *     dump bits, reserved flag bits, no NLM_F_REQUEST, another family version,
 *     a non-zero reserved byte, a message cut inside the genetlink header,
 *     nlmsg_len lying, trailing bytes, commands outside the spec, several
 *     messages in one datagram;
 *   - byte-level mutations of the above (an attribute dropped, duplicated,
 *     retyped, shortened, grown, its length lying, a flipped bit).
 * And stateful sequences on live targets (three counter-targets this program
 * forks, 4 counting and 2 blocked threads each) from two sockets, A and B,
 * each holding a session: requests naming a session that is still opening,
 * requests after a close was sent and after it was answered, a double close,
 * a close while a memory read is in progress, a second read while one is in
 * progress (same socket, other socket), a socket closed in the middle of a
 * read, every command from B naming A's sessions and from A naming B's (they
 * must be refused: ENOENT, with a message), session-opens of a target another
 * socket holds, random and guessed session ids.
 *
 * It checks: every command of the spec was sent and every request command was
 * served at least once; every attribute of the spec was sent; every request
 * was answered (a receive timeout, bounded by the clock: it never hangs);
 * every refusal (NLMSG_ERROR with an errno, or NLMSG_DONE with one) carries an
 * extended-ack message and an errno the contract's HRESULT table maps; no
 * request naming another socket's session, or a closed one, was served; the
 * kernel's taint flags did not change (an oops, a WARNING, KASAN; the last
 * messages sent are printed then); afterwards a new socket opens a session,
 * reads the target's memory correctly and closes it, and every target runs.
 * The harness checks the kernel log (KASAN, lockdep, kmemleak).
 *
 * Refusals without a message are counted by cause: the netlink and
 * genetlink cores refuse some requests before any kmdump code runs (a message
 * shorter than a genetlink header, a command outside the spec, a second dump
 * on a socket whose dump still runs): those are listed, not failed. A spec
 * command sent with the wrong kind (NLM_F_DUMP on a do op, a dump op without
 * it, the status-ntf event) is also refused by genetlink, but the module
 * could answer it (an op may have both handlers): that has its own check.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define KMDUMP_WANT_TABLES
#include "kmdump.h"
#include "faults.h"
#include "counter-file.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#define ANSWER_WAIT_MS	30000	/* a session-open may take long (debug kernel, TCG) */
#define NPEND		64	/* requests in flight on one socket */
#define DUMP_CAP	64	/* replies of a random read before it is cut (session closed) */
#define DUMP_HARD_CAP	4096	/* replies after the cut before the socket is dropped */
#define MAX_RANGES_SENT	(KMDUMP_MAX_RANGES + 4)
#define BUF_SIZE	(200 * 1024)	/* 4100 ranges with offsets, or a 32 KiB binary */
#define NTARGETS	3
#define TB		(1ULL << 40)
#define MAX_LFS		0x7fffffffffffffffULL
#define U32MAX		0xffffffffULL
#define U64MAX		0xffffffffffffffffULL

/* ---- deterministic randomness ---- */

static uint64_t rng;

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static int chance(uint32_t one_in)
{
	return rnd(one_in) == 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(a) ((a)[rnd(NELEM(a))])

/* ---- the contract, as tables ---- */

enum { T_NONE, T_PAD, T_U32, T_S32, T_U64, T_S64, T_STR, T_BIN, T_NEST };

struct aspec {
	const char *name;
	uint8_t type;
	uint16_t max_len;	/* strings and binaries: the spec's max-len */
};

#define ATTR(id, n, t, l) [KMDUMP_A_##id] = { n, t, l }
static const struct aspec aspec[] = {
	ATTR(PAD, "pad", T_PAD, 0),
	ATTR(HRESULT, "hresult", T_U32, 0),
	ATTR(SESSION_ID, "session-id", T_U32, 0),
	ATTR(PID, "pid", T_U32, 0),
	ATTR(MEM_FD, "mem-fd", T_S32, 0),
	ATTR(CAPTURE_FLAGS, "capture-flags", T_U32, 0),
	ATTR(WATCHDOG_MS, "watchdog-ms", T_U32, 0),
	ATTR(THREAD_COUNT, "thread-count", T_U32, 0),
	ATTR(VMA_COUNT, "vma-count", T_U32, 0),
	ATTR(MODULE_COUNT, "module-count", T_U32, 0),
	ATTR(FREEZE_NS, "freeze-ns", T_U64, 0),
	ATTR(PAUSE_NS, "pause-ns", T_U64, 0),
	ATTR(TGID, "tgid", T_U32, 0),
	ATTR(PPID, "ppid", T_U32, 0),
	ATTR(COMM, "comm", T_STR, KMDUMP_COMM_LEN),
	ATTR(CMDLINE, "cmdline", T_BIN, KMDUMP_CMDLINE_MAX),
	ATTR(ENVIRON, "environ", T_BIN, KMDUMP_ENVIRON_MAX),
	ATTR(AUXV, "auxv", T_BIN, KMDUMP_AUXV_MAX),
	ATTR(EXE_PATH, "exe-path", T_STR, KMDUMP_PATH_MAX),
	ATTR(RUID, "ruid", T_U32, 0),
	ATTR(EUID, "euid", T_U32, 0),
	ATTR(SUID, "suid", T_U32, 0),
	ATTR(FSUID, "fsuid", T_U32, 0),
	ATTR(RGID, "rgid", T_U32, 0),
	ATTR(EGID, "egid", T_U32, 0),
	ATTR(SGID, "sgid", T_U32, 0),
	ATTR(FSGID, "fsgid", T_U32, 0),
	ATTR(START_TIME_NS, "start-time-ns", T_U64, 0),
	ATTR(START_REALTIME_NS, "start-realtime-ns", T_U64, 0),
	ATTR(UMASK, "umask", T_U32, 0),
	ATTR(PROCESS_FLAGS, "process-flags", T_U32, 0),
	ATTR(TRACER_PID, "tracer-pid", T_U32, 0),
	ATTR(VM_SIZE, "vm-size", T_U64, 0),
	ATTR(VM_RSS, "vm-rss", T_U64, 0),
	ATTR(ARG_START, "arg-start", T_U64, 0),
	ATTR(ARG_END, "arg-end", T_U64, 0),
	ATTR(ENV_START, "env-start", T_U64, 0),
	ATTR(ENV_END, "env-end", T_U64, 0),
	ATTR(TID, "tid", T_U32, 0),
	ATTR(THREAD_FREEZE, "thread-freeze", T_U32, 0),
	ATTR(THREAD_STATE, "thread-state", T_U32, 0),
	ATTR(THREAD_FLAGS, "thread-flags", T_U32, 0),
	ATTR(REGS, "regs", T_BIN, KMDUMP_REGS_MAX),
	ATTR(FPREGS, "fpregs", T_BIN, KMDUMP_REGS_MAX),
	ATTR(XSTATE, "xstate", T_BIN, KMDUMP_XSTATE_MAX),
	ATTR(DEBUGREGS, "debugregs", T_BIN, KMDUMP_REGS_MAX),
	ATTR(SYSCALL_NR, "syscall-nr", T_S64, 0),
	ATTR(SYSCALL_ARGS, "syscall-args", T_BIN, KMDUMP_REGS_MAX),
	ATTR(STACK_POINTER, "stack-pointer", T_U64, 0),
	ATTR(STACK_START, "stack-start", T_U64, 0),
	ATTR(STACK_END, "stack-end", T_U64, 0),
	ATTR(KSTACK_FRAME, "kstack-frame", T_STR, KMDUMP_FRAME_LEN_MAX),
	ATTR(WCHAN, "wchan", T_STR, KMDUMP_FRAME_LEN_MAX),
	ATTR(CPU, "cpu", T_U32, 0),
	ATTR(UTIME_NS, "utime-ns", T_U64, 0),
	ATTR(STIME_NS, "stime-ns", T_U64, 0),
	ATTR(PRIO, "prio", T_S32, 0),
	ATTR(NICE, "nice", T_S32, 0),
	ATTR(VMA_START, "vma-start", T_U64, 0),
	ATTR(VMA_END, "vma-end", T_U64, 0),
	ATTR(VMA_SKIP, "vma-skip", T_U32, 0),
	ATTR(VMA_FLAGS, "vma-flags", T_U32, 0),
	ATTR(VMA_PGOFF, "vma-pgoff", T_U64, 0),
	ATTR(DEV_MAJOR, "dev-major", T_U32, 0),
	ATTR(DEV_MINOR, "dev-minor", T_U32, 0),
	ATTR(INODE, "inode", T_U64, 0),
	ATTR(PATH, "path", T_STR, KMDUMP_PATH_MAX),
	ATTR(MODULE_BASE, "module-base", T_U64, 0),
	ATTR(MODULE_SIZE, "module-size", T_U64, 0),
	ATTR(MODULE_OFFSET, "module-offset", T_U64, 0),
	ATTR(BUILD_ID, "build-id", T_BIN, KMDUMP_BUILD_ID_MAX),
	ATTR(OUT_FD, "out-fd", T_S32, 0),
	ATTR(RANGE, "range", T_NEST, 0),
	ATTR(RANGE_INDEX, "range-index", T_U32, 0),
	ATTR(ADDR, "addr", T_U64, 0),
	ATTR(LEN, "len", T_U64, 0),
	ATTR(BYTES_DONE, "bytes-done", T_U64, 0),
	ATTR(FAILED, "failed", T_NEST, 0),
	ATTR(DATA, "data", T_BIN, KMDUMP_DATA_CHUNK_MAX),
	ATTR(EVENT_TYPE, "event-type", T_U32, 0),
	ATTR(REQUESTER_PID, "requester-pid", T_U32, 0),
	ATTR(BYTES, "bytes", T_U64, 0),
	ATTR(PROCESS_STATE, "process-state", T_U32, 0),
	ATTR(VM_PEAK, "vm-peak", T_U64, 0),
	ATTR(VM_HWM, "vm-hwm", T_U64, 0),
	ATTR(VM_DATA, "vm-data", T_U64, 0),
	ATTR(VM_STK, "vm-stk", T_U64, 0),
	ATTR(VM_EXE, "vm-exe", T_U64, 0),
	ATTR(VM_LIB, "vm-lib", T_U64, 0),
	ATTR(VM_PTE, "vm-pte", T_U64, 0),
	ATTR(VM_SWAP, "vm-swap", T_U64, 0),
	ATTR(SIG_PENDING, "sig-pending", T_U64, 0),
	ATTR(SIG_SHARED_PENDING, "sig-shared-pending", T_U64, 0),
	ATTR(SIG_BLOCKED, "sig-blocked", T_U64, 0),
};

static const char *const range_names[] = {
	[KMDUMP_A_RANGE_ADDR] = "addr", [KMDUMP_A_RANGE_LEN] = "len",
	[KMDUMP_A_RANGE_OFFSET] = "offset", [KMDUMP_A_RANGE_PAD] = "pad",
	[KMDUMP_A_RANGE_HRESULT] = "hresult",
};

enum { K_DO = 1, K_DUMP, K_EVENT };

struct cspec {
	const char *name;
	uint8_t kind;
	uint16_t attrs[10];	/* the request's attributes (an event's for status-ntf) */
};

static const struct cspec cspec[] = {
	[KMDUMP_CMD_SESSION_OPEN] = { "session-open", K_DO, { KMDUMP_A_PID, KMDUMP_A_MEM_FD,
				      KMDUMP_A_CAPTURE_FLAGS, KMDUMP_A_WATCHDOG_MS } },
	[KMDUMP_CMD_SESSION_CLOSE] = { "session-close", K_DO, { KMDUMP_A_SESSION_ID } },
	[KMDUMP_CMD_SESSION_GET] = { "session-get", K_DO, { KMDUMP_A_SESSION_ID } },
	[KMDUMP_CMD_PROCESS_GET] = { "process-get", K_DO, { KMDUMP_A_SESSION_ID } },
	[KMDUMP_CMD_THREAD_GET] = { "thread-get", K_DUMP, { KMDUMP_A_SESSION_ID } },
	[KMDUMP_CMD_VMA_GET] = { "vma-get", K_DUMP, { KMDUMP_A_SESSION_ID } },
	[KMDUMP_CMD_MEM_READ_TO_FD] = { "mem-read-to-fd", K_DUMP, { KMDUMP_A_SESSION_ID,
					KMDUMP_A_OUT_FD, KMDUMP_A_RANGE } },
	[KMDUMP_CMD_MEM_READ] = { "mem-read", K_DUMP, { KMDUMP_A_SESSION_ID, KMDUMP_A_RANGE } },
	[KMDUMP_CMD_KERNEL_DUMP] = { "kernel-dump", K_DO, { KMDUMP_A_SESSION_ID, KMDUMP_A_OUT_FD } },
	[KMDUMP_CMD_STATUS_NTF] = { "status-ntf", K_EVENT, { KMDUMP_A_HRESULT, KMDUMP_A_EVENT_TYPE,
				    KMDUMP_A_SESSION_ID, KMDUMP_A_PID, KMDUMP_A_REQUESTER_PID,
				    KMDUMP_A_FREEZE_NS, KMDUMP_A_PAUSE_NS, KMDUMP_A_ADDR,
				    KMDUMP_A_LEN, KMDUMP_A_BYTES } },
};

/* KMDUMP_CMD_MAX + 1 and KMDUMP_A_MAX + 1 when the tables are complete */
#define NCMDS	((unsigned int)NELEM(cspec))
#define NATTRS	((unsigned int)NELEM(aspec))

static const char *cmd_name(unsigned int cmd)
{
	return cmd < NCMDS && cspec[cmd].name ? cspec[cmd].name : "(not in the spec)";
}

static int cmd_kind(unsigned int cmd)
{
	return cmd < NCMDS ? cspec[cmd].kind : 0;
}

static int is_request_cmd(unsigned int cmd)
{
	return cmd_kind(cmd) == K_DO || cmd_kind(cmd) == K_DUMP;
}

static int tables_complete(void)
{
	unsigned int i;

	if (NCMDS != KMDUMP_CMD_MAX + 1 || NATTRS != KMDUMP_A_MAX + 1)
		return 0;
	for (i = 1; i < NCMDS; i++)
		if (!cspec[i].name)
			return 0;
	for (i = 1; i < NATTRS; i++)
		if (!aspec[i].name)
			return 0;
	return 1;
}

/* ---- the world the messages refer to ---- */

struct target {
	struct counter_target t;
	char file[4200];
	int mem_fd;
	uint64_t vs[256], vl[256];	/* its mappings */
	unsigned int nv, big;		/* the largest mapping */
	uint64_t counter_addr;		/* where it maps its counter file */
};

static struct target T[NTARGETS];

struct sent_rec {
	unsigned int n;
	char conn;
	size_t len;
	uint8_t head[128];
};

/*
 * Shared with a watcher process: when a kernel oops kills the fuzzer inside
 * its system call, the watcher prints the last messages sent and stops the
 * targets (their blocked threads would pin the module).
 */
struct shared {
	volatile int clean;
	pid_t targets[NTARGETS];
	struct sent_rec recent[32];
};

static struct shared *sh;
static int is_root;
static uint64_t task_size_max = 0x7ffffffff000ULL;
static pid_t reaped_pid;

static struct {
	int out, memfd, append, rdonly, null, pipe_w, dir, selfmem, maps, kdump, wronly_mem;
} fds;

static int load_maps(struct target *t)
{
	char path[64], line[4352], file[4097];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->t.pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && t->nv < NELEM(t->vs)) {
		unsigned long long a, b;

		file[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %4096s", &a, &b, file) < 2)
			continue;
		t->vs[t->nv] = a;
		t->vl[t->nv] = b - a;
		if (t->vl[t->nv] > t->vl[t->big])
			t->big = t->nv;
		t->nv++;
		if (!t->counter_addr && !strcmp(file, t->file))
			t->counter_addr = a;
	}
	fclose(f);
	return t->nv && t->counter_addr ? 0 : -1;
}

/* Fds 0-2 may be this test's log: keep every write the module may do off them. */
static int relay_output(void)
{
	struct stat sb;
	int p[2];
	pid_t pid;
	char buf[4096];
	ssize_t n;

	if (fstat(1, &sb) || !S_ISREG(sb.st_mode))
		return 0;
	if (pipe(p) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		while ((n = read(p[0], buf, sizeof(buf))) > 0)
			if (write(1, buf, (size_t)n) != n)
				break;
		_exit(0);
	}
	dup2(p[1], 1);
	dup2(p[1], 2);
	close(p[0]);
	close(p[1]);
	return 0;
}

static void find_task_size(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			if (strstr(line, " la57"))
				task_size_max = (1ULL << 56) - 4096;
			break;
		}
	if (f)
		fclose(f);
}

static int setup_world(const char *prog, const char *dir)
{
	char path[4200];
	int p[2], i;
	pid_t pid;

	for (i = 0; i < NTARGETS; i++) {
		snprintf(T[i].file, sizeof(T[i].file), "%s/fuzz-target%d.cnt", dir, i);
		if (counter_start(&T[i].t, prog, T[i].file, 4, 2, 4, 120000))
			return -1;
		sh->targets[i] = T[i].t.pid;
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)T[i].t.pid);
		T[i].mem_fd = open(path, O_RDONLY);
		if (T[i].mem_fd < 0 || load_maps(&T[i]))
			return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)T[0].t.pid);
	fds.wronly_mem = open(path, O_WRONLY);	/* may fail: then another closed number */
	snprintf(path, sizeof(path), "%s/fuzz-out.bin", dir);
	fds.out = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fds.append = open(path, O_WRONLY | O_APPEND);
	fds.rdonly = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/fuzz-kdump.bin", dir);
	fds.kdump = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fds.memfd = memfd_create("kmdump-fuzz", 0);
	fds.null = open("/dev/null", O_WRONLY);
	fds.dir = open(dir, O_RDONLY | O_DIRECTORY);
	fds.selfmem = open("/proc/self/mem", O_RDONLY);
	fds.maps = open("/proc/self/maps", O_RDONLY);
	if (pipe(p) < 0)
		return -1;
	fds.pipe_w = p[1];
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	reaped_pid = pid;
	if (fds.out < 0 || fds.append < 0 || fds.rdonly < 0 || fds.kdump < 0 || fds.memfd < 0 ||
	    fds.null < 0 || fds.dir < 0 || fds.selfmem < 0 || fds.maps < 0)
		return -1;
	return 0;
}

/* ---- statistics ---- */

static struct {
	unsigned int sent[256], accepted[256], refused[256], dropped[256], cut[256];
	unsigned int nomsg[256], core_nomsg[256], kind_nomsg[256];
} pc;	/* per command byte */

static unsigned int attr_sent[KMDUMP_A_MAX + 1], range_sent[KMDUMP_A_RANGE_MAX + 1];

static struct {
	unsigned int sent, answered, unanswered, lost, strays, stray_nomsg, drops, batches;
	unsigned int nomsg, core_nomsg, kind_nomsg, unmapped;
	unsigned int other_sent, other_accepted, other_wrong;
	unsigned int closed_sent, closed_accepted, double_hold;
	unsigned int early_sent, early_opening, scen[9];
	unsigned int by_errno[160];
	unsigned long taint_from, taint_to;
	int tainted;
} st;

static const char *const scen_names[] = {
	"request a session that is still opening", "requests during and after a close, double close",
	"close during a memory read", "a second read during a read", "requests naming the other socket's sessions",
	"socket closed during a read", "messages batched in one datagram", "single messages",
	"requests naming a kernel-dump job",
};

/* Distinct (command, errno, message) refusals, for the log. */
struct refusal {
	uint8_t cmd;
	int err;
	uint32_t hash;
	unsigned int n;
	char msg[112];
};

static struct refusal refusals[192];
static unsigned int nrefusals;
static unsigned char nomsg_shown[256][160];

static void note_refusal_text(uint8_t cmd, int err, const char *msg)
{
	uint32_t h = 2166136261u;
	const char *p;
	unsigned int i;

	for (p = msg; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (i = 0; i < nrefusals; i++)
		if (refusals[i].hash == h && refusals[i].cmd == cmd && refusals[i].err == err) {
			refusals[i].n++;
			return;
		}
	if (nrefusals == NELEM(refusals))
		return;
	refusals[nrefusals] = (struct refusal){ .cmd = cmd, .err = err, .hash = h, .n = 1 };
	snprintf(refusals[nrefusals].msg, sizeof(refusals[nrefusals].msg), "%s", msg);
	nrefusals++;
}

/* The errno's entry in the contract's table, or NULL. */
static const struct kmdump_errno_hresult_entry *table_entry(int err)
{
	size_t i;

	for (i = 0; i < NELEM(kmdump_errno_hresults); i++)
		if (kmdump_errno_hresults[i].err == err)
			return &kmdump_errno_hresults[i];
	return NULL;
}

static const char *errno_name(int err)
{
	const struct kmdump_errno_hresult_entry *e = table_entry(err);

	return e ? e->errno_name : "(unmapped)";
}

/* ---- messages ---- */

struct msg {
	size_t len;		/* bytes to send */
	uint8_t cmd;
	int tgt;		/* the target pid and mem-fd refer to */
	int valid;		/* no fault: a session of another socket is refused with ENOENT */
	int must_refuse;	/* it names a closed session or a taken target */
	unsigned int cap;	/* replies before a read is cut */
	int depth;		/* nesting while it is built */
	uint8_t buf[BUF_SIZE];	/* last: ASan sees a write past it */
};

static uint16_t family;

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void set16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void set32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void msg_init(struct msg *m, uint8_t cmd)
{
	int dump = cmd_kind(cmd) == K_DUMP;
	uint16_t flags = NLM_F_REQUEST | (chance(8) ? 0 : NLM_F_ACK) | (dump ? NLM_F_DUMP : 0);

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	set16(m->buf + 4, family);
	set16(m->buf + 6, flags);
	m->buf[NLMSG_HDRLEN] = cmd;
	m->buf[NLMSG_HDRLEN + 1] = KMDUMP_FAMILY_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->cmd = cmd;
	m->tgt = 0;
	m->valid = 1;
	m->must_refuse = 0;
	m->cap = DUMP_CAP;
	m->depth = 0;
}

static uint16_t msg_flags(const struct msg *m)
{
	return get16(m->buf + 6);
}

static void msg_set_flags(struct msg *m, uint16_t f)
{
	set16(m->buf + 6, f);
}

static void msg_finish(struct msg *m)
{
	set32(m->buf, (uint32_t)m->len);
}

static void count_attr(const struct msg *m, uint16_t type)
{
	type &= NLA_TYPE_MASK;
	if (m->depth == 0 && type <= KMDUMP_A_MAX)
		attr_sent[type]++;
	else if (m->depth == 1 && type <= KMDUMP_A_RANGE_MAX)
		range_sent[type]++;
}

/* Appends an attribute; returns its offset (or where it would have been). */
static size_t put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	size_t at = m->len;

	if (m->len + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->buf) || NLA_HDRLEN + len > 0xffff)
		return at;
	set16(m->buf + at, (uint16_t)(NLA_HDRLEN + len));
	set16(m->buf + at + 2, type);
	if (len && data)
		memcpy(m->buf + at + NLA_HDRLEN, data, len);
	else if (len)
		memset(m->buf + at + NLA_HDRLEN, 0, len);
	memset(m->buf + at + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
	count_attr(m, type);
	return at;
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, 4);
}

static void put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	put(m, type, &v, 8);
}

static size_t nest_start(struct msg *m, uint16_t type)
{
	size_t at = put(m, type, NULL, 0);

	m->depth++;
	return at;
}

static void nest_end(struct msg *m, size_t at)
{
	m->depth--;
	if (at < m->len)
		set16(m->buf + at, (uint16_t)(m->len - at > 0xffff ? 0xffff : m->len - at));
}

/* ---- sockets and sessions ---- */

struct req {
	int used;
	uint32_t seq, sid;
	uint8_t cmd, dump, ack, nonreq, other, other_strict, must_refuse, busy_ok, short_hdr, cut;
	uint8_t excused;
	unsigned int replies, cap;
	size_t len, hlen;
	uint8_t head[160];
};

struct sess {
	uint32_t id;
	pid_t pid;
};

struct conn {
	int fd;
	char name;
	struct req pend[NPEND];
	struct sess s[8];
	unsigned int ns;
	uint32_t main;		/* the session this socket keeps on its own target */
	int tgt;
};

static struct conn A = { .fd = -1, .name = 'A', .tgt = 0 }, B = { .fd = -1, .name = 'B', .tgt = 1 },
		   C = { .fd = -1, .name = 'C', .tgt = 0 };
static uint32_t closed_ids[16], max_id;
static unsigned int nclosed;
static uint32_t job_ids[8];	/* session ids kernel-dump replies named their jobs by */
static unsigned int njobs;
static uint32_t seq = 1;
static int last_err;		/* the result of the last request that finished */
static uint32_t capture_seq;	/* the after-check's read: its data lands in capture[] */
static uint8_t capture[64];
static size_t capture_len;

static struct conn *other_of(struct conn *c)
{
	return c == &A ? &B : &A;
}

static int sess_find(const struct conn *c, uint32_t id)
{
	unsigned int i;

	for (i = 0; id && i < c->ns; i++)
		if (c->s[i].id == id)
			return (int)i;
	return -1;
}

static void sess_add(struct conn *c, uint32_t id, pid_t pid)
{
	if (id > max_id && id < 0x7fffffff)
		max_id = id;
	if (!id || sess_find(c, id) >= 0 || c->ns == NELEM(c->s))
		return;
	c->s[c->ns++] = (struct sess){ id, pid };
}

static void sess_del(struct conn *c, uint32_t id)
{
	int i = sess_find(c, id);

	if (i < 0)
		return;
	c->s[i] = c->s[--c->ns];
	closed_ids[nclosed++ % NELEM(closed_ids)] = id;
	if (c->main == id)
		c->main = 0;
}

static int sock_open(struct conn *c)
{
	int one = 1, size = 4 << 20;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };

	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return 0;
}

/* Drops the socket (its sessions end: NETLINK_URELEASE) and opens a new one. */
static int drop_conn(struct conn *c)
{
	unsigned int i;

	close(c->fd);
	for (i = 0; i < NPEND; i++)
		if (c->pend[i].used) {
			pc.cut[c->pend[i].cmd]++;
			c->pend[i].used = 0;
		}
	while (c->ns)
		sess_del(c, c->s[0].id);
	c->main = 0;
	st.drops++;
	return sock_open(c);
}

/* ---- the last messages sent, shown when the kernel's taint changes ---- */

static void hex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%02x", i && i % 4 == 0 ? " " : "", p[i]);
}

static void show_head(const char *what, char conn, const uint8_t *head, size_t hlen, size_t len)
{
	uint16_t flags = get16(head + 6);

	printf("#   %s: socket %c, cmd %u %s, flags 0x%x, version %u, reserved 0x%02x%02x, nlmsg_len %u of %zu bytes:\n#     ",
	       what, conn, head[NLMSG_HDRLEN], cmd_name(head[NLMSG_HDRLEN]), flags,
	       head[NLMSG_HDRLEN + 1], head[NLMSG_HDRLEN + 2], head[NLMSG_HDRLEN + 3], get32(head),
	       len);
	hex(head, hlen);
	printf("%s\n", hlen < len ? " ..." : "");
}

static void show_recent(void)
{
	unsigned int i, newest = 0;
	char what[32];

	for (i = 0; i < NELEM(sh->recent); i++)
		if (sh->recent[i].n > sh->recent[newest].n)
			newest = i;
	for (i = 1; i <= NELEM(sh->recent); i++) {
		const struct sent_rec *r = &sh->recent[(newest + i) % NELEM(sh->recent)];

		if (!r->len)
			continue;
		snprintf(what, sizeof(what), "message %u", r->n);
		show_head(what, r->conn, r->head,
			  r->len < sizeof(r->head) ? r->len : sizeof(r->head), r->len);
	}
}

/* Forks the watcher; it waits for this process to end (the pipe's EOF). */
static int start_watcher(const char *label, unsigned int seed)
{
	int p[2], i;
	char c;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	switch (fork()) {
	case -1:
		return -1;
	case 0:
		close(p[1]);
		while (read(p[0], &c, 1) > 0 || errno == EINTR)
			;
		if (!sh->clean) {
			printf("# %s: the fuzzer died (seed %u; killed by a kernel oops in its system call?): the last messages it sent, oldest first:\n",
			       label, seed);
			show_recent();
			for (i = 0; i < NTARGETS; i++)
				if (sh->targets[i] > 0)
					kill(sh->targets[i], SIGKILL);
		}
		fflush(stdout);
		_exit(0);
	}
	close(p[0]);	/* p[1] stays open (close-on-exec) until this process ends */
	return 0;
}

static void exiting(void)
{
	if (sh)
		sh->clean = 1;
}

static unsigned long read_taint(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	unsigned long t = 0;

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

static void check_taint(void)
{
	unsigned long t = read_taint();

	if (t == st.taint_from || st.tainted)
		return;
	st.tainted = 1;
	st.taint_to = t;
	printf("# KERNEL TAINT changed from %lu to %lu after message %u; the last messages sent, oldest first:\n",
	       st.taint_from, t, st.sent);
	show_recent();
}

/* ---- answers ---- */

static struct req *find_req(struct conn *c, uint32_t s)
{
	unsigned int i;

	for (i = 0; i < NPEND; i++)
		if (c->pend[i].used && c->pend[i].seq == s)
			return &c->pend[i];
	return NULL;
}

static int pending(const struct conn *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < NPEND; i++)
		n += c->pend[i].used;
	return (int)n;
}

/* The extended-ack message of an error or a dump's end, or "". */
static const char *ext_msg(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	const uint8_t *base = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return "";
	if (h->nlmsg_type == NLMSG_DONE)
		off = sizeof(int);	/* a dump's end: errno, then the TLVs */
	else if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + NLA_HDRLEN <= len) {
		const uint8_t *a = base + off;
		uint16_t alen = get16(a);

		if (alen < NLA_HDRLEN || off + alen > len)
			break;
		if (get16(a + 2) == NLMSGERR_ATTR_MSG && alen > NLA_HDRLEN)
			return (const char *)(a + NLA_HDRLEN);
		off += NLA_ALIGN(alen);
	}
	return "";
}

/* The top-level attribute @type of a kmdump message, or NULL. */
static const uint8_t *find_attr(const struct nlmsghdr *h, uint16_t type, uint16_t *alen)
{
	const uint8_t *p = (const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
	size_t off = 0, len;

	if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return NULL;
	len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	while (off + NLA_HDRLEN <= len) {
		uint16_t l = get16(p + off);

		if (l < NLA_HDRLEN || off + l > len)
			break;
		if ((get16(p + off + 2) & NLA_TYPE_MASK) == type) {
			*alen = l - NLA_HDRLEN;
			return p + off + NLA_HDRLEN;
		}
		off += NLA_ALIGN(l);
	}
	return NULL;
}

static uint32_t attr_u32(const struct nlmsghdr *h, uint16_t type)
{
	uint16_t l;
	const uint8_t *v = find_attr(h, type, &l);

	return v && l == 4 ? get32(v) : 0;
}

/*
 * Why a refusal without a message is genetlink's or netlink's own (made
 * before any kmdump code runs), or NULL.
 */
static const char *core_reason(const struct req *r, int err)
{
	if (r->short_hdr && err == EINVAL)
		return "shorter than a genetlink header";
	if (err == EOPNOTSUPP && !cmd_kind(r->cmd))
		return "a command outside the spec";
	if (err == EBUSY && r->dump && r->busy_ok)
		return "a dump is still running on this socket";
	return NULL;
}

/* A spec command of the wrong kind: genetlink refuses it, the module could answer it. */
static int wrong_kind(const struct req *r, int err)
{
	int k = cmd_kind(r->cmd);

	return err == EOPNOTSUPP && k && (k == K_EVENT || (k == K_DUMP) != !!r->dump);
}

static void refused(struct conn *c, struct req *r, const struct nlmsghdr *h, int err)
{
	const char *msg = ext_msg(h);

	pc.refused[r->cmd]++;
	st.by_errno[err > 0 && err < 160 ? err : 0]++;
	if (r->other_strict && err != ENOENT && !(err == EPERM && !is_root) &&
	    !(err == EBUSY && r->busy_ok)) {
		if (st.other_wrong++ < 5) {
			printf("# a request naming socket %c's session %u was refused with errno %d (%s), not ENOENT: '%s'\n",
			       other_of(c)->name, r->sid, err, strerror(err), msg);
			show_head("request", c->name, r->head, r->hlen, r->len);
		}
	}
	if (!table_entry(err) && st.unmapped++ < 10)
		printf("# %s refused with errno %d, which the contract's table does not map ('%s')\n",
		       cmd_name(r->cmd), err, msg);
	if (msg[0]) {
		note_refusal_text(r->cmd, err, msg);
	} else if (core_reason(r, err)) {
		pc.core_nomsg[r->cmd]++;
		st.core_nomsg++;
	} else {
		int kind = wrong_kind(r, err);
		unsigned char *shown = &nomsg_shown[r->cmd][err > 0 && err < 160 ? err : 0];

		if (kind) {
			pc.kind_nomsg[r->cmd]++;
			st.kind_nomsg++;
		} else {
			pc.nomsg[r->cmd]++;
			st.nomsg++;
		}
		if (*shown < (kind ? 1 : 3)) {
			++*shown;
			printf("# REFUSAL WITHOUT A MESSAGE%s: %s refused with errno %d (%s) after message %u\n",
			       kind ? " (wrong kind)" : "", cmd_name(r->cmd), err, strerror(err), st.sent);
			show_head("request", c->name, r->head, r->hlen, r->len);
		}
	}
	if ((err == ENOENT || err == ECANCELED) && r->sid)
		sess_del(c, r->sid);
	last_err = err;
}

static void accepted(struct conn *c, struct req *r)
{
	if (r->nonreq) {	/* not a request: the ACK says it was ignored */
		pc.dropped[r->cmd]++;
		return;
	}
	pc.accepted[r->cmd]++;
	if (r->other && st.other_accepted++ < 5) {
		printf("# SERVED a request naming socket %c's session %u from socket %c:\n",
		       other_of(c)->name, r->sid, c->name);
		show_head("request", c->name, r->head, r->hlen, r->len);
	}
	if (r->must_refuse && st.closed_accepted++ < 5) {
		printf("# SERVED a request naming a closed session (%u):\n", r->sid);
		show_head("request", c->name, r->head, r->hlen, r->len);
	}
	last_err = 0;
}

static void finish(struct req *r)
{
	r->used = 0;
	st.answered++;
}

/* Facts every reply teaches, whichever request it answers. */
static void learn(struct conn *c, const struct nlmsghdr *h)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);
	uint32_t id;

	if (h->nlmsg_type != family || h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	id = attr_u32(h, KMDUMP_A_SESSION_ID);
	if (g->cmd == KMDUMP_CMD_SESSION_OPEN)
		sess_add(c, id, (pid_t)attr_u32(h, KMDUMP_A_PID));
	else if (g->cmd == KMDUMP_CMD_SESSION_CLOSE)
		sess_del(c, id);
	else if (g->cmd == KMDUMP_CMD_KERNEL_DUMP && id) {
		if (id > max_id && id < 0x7fffffff)
			max_id = id;
		if (sess_find(c, id) < 0)	/* a whole-system dump's job */
			job_ids[njobs++ % NELEM(job_ids)] = id;
	}
	if (h->nlmsg_seq == capture_seq && g->cmd == KMDUMP_CMD_MEM_READ) {
		uint16_t l;
		const uint8_t *d = find_attr(h, KMDUMP_A_DATA, &l);

		if (d) {
			capture_len = l < sizeof(capture) ? l : sizeof(capture);
			memcpy(capture, d, capture_len);
		}
	}
}

static void dispatch(struct conn *c, const struct nlmsghdr *h)
{
	struct req *r = find_req(c, h->nlmsg_seq);
	int err = 0;

	learn(c, h);
	if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		err = -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	} else if (h->nlmsg_type == NLMSG_DONE && h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		memcpy(&err, NLMSG_DATA(h), sizeof(int));
		err = -err;
	}
	if (!r) {
		/* An answer to a message the kernel parsed out of another's bytes, or late. */
		st.strays++;
		if (err > 0 && !ext_msg(h)[0] && st.stray_nomsg++ < 3)
			printf("# (stray answer, seq %u: errno %d without a message)\n", h->nlmsg_seq, err);
		return;
	}
	if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) {
		if (err)
			refused(c, r, h, err);
		else
			accepted(c, r);
		finish(r);
		return;
	}
	r->replies++;
	if (!r->dump && !(h->nlmsg_flags & NLM_F_MULTI) && !r->ack) {
		accepted(c, r);
		finish(r);
	}
}

/* Receives what @c has within @wait_ms and hands it out. */
static void conn_recv(struct conn *c, int wait_ms)
{
	static uint8_t buf[1 << 18] __attribute__((aligned(8)));
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	const struct nlmsghdr *h;
	ssize_t n;
	unsigned int i;

	if (poll(&p, 1, wait_ms) <= 0)
		return;
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno == ENOBUFS) {	/* answers were lost: none may be awaited */
			st.lost++;
			for (i = 0; i < NPEND; i++)
				c->pend[i].excused = 1;
		}
		return;
	}
	for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
		dispatch(c, h);
}

/* ---- sending ---- */

static void record_sent(struct conn *c, const uint8_t *p, size_t len)
{
	struct sent_rec *r = &sh->recent[st.sent % NELEM(sh->recent)];

	r->n = st.sent;
	r->conn = c->name;
	r->len = len;
	memcpy(r->head, p, len < sizeof(r->head) ? len : sizeof(r->head));
}

/*
 * The session a message names as the kernel reads it: its top-level
 * session-id attribute (a do op takes the last one, a dump the first), 0 if
 * none is well formed.
 */
static uint32_t named_session(const uint8_t *p, size_t len, int dump)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	uint32_t sid = 0;

	while (off + NLA_HDRLEN <= len) {
		uint16_t l = get16(p + off);

		if (l < NLA_HDRLEN || off + l > len)
			break;
		if (get16(p + off + 2) == KMDUMP_A_SESSION_ID && l == NLA_HDRLEN + 4) {
			sid = get32(p + off + NLA_HDRLEN);
			if (dump)
				break;
		}
		off += NLA_ALIGN(l);
	}
	return sid;
}

static struct req *new_req(struct conn *c)
{
	unsigned int i;

	for (i = 0; i < NPEND; i++)
		if (!c->pend[i].used)
			return &c->pend[i];
	return NULL;
}

static int await_seq(struct conn *c, uint32_t s);

/*
 * Sends @n messages of @c in one datagram (a batch when n > 1) and records
 * which answers are due. Returns the seq of the first one the kernel must
 * answer (0 when none).
 */
static uint32_t send_msgs(struct conn *c, struct msg **ms, unsigned int n)
{
	static uint8_t dgram[2 * BUF_SIZE] __attribute__((aligned(8)));
	size_t off = 0, k;
	uint32_t first = 0;
	int parsed = 1;		/* the kernel still parses messages at this offset */
	unsigned int i;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	while (pending(c) + (int)n > NPEND - 2)
		for (i = 0; i < NPEND; i++)
			if (c->pend[i].used)
				await_seq(c, c->pend[i].seq);
	for (i = 0; i < n; i++) {
		struct msg *m = ms[i];
		size_t len = m->len, nl_len;
		uint16_t flags;
		struct req *r;
		int any_dump;

		set32(m->buf + 8, ++seq);
		if (off + NLMSG_ALIGN(len) > sizeof(dgram))
			break;
		memcpy(dgram + off, m->buf, len);
		memset(dgram + off + len, 0, NLMSG_ALIGN(len) - len);
		nl_len = get32(m->buf);
		flags = msg_flags(m);
		st.sent++;
		pc.sent[m->cmd]++;
		record_sent(c, m->buf, len);
		if (m->must_refuse)
			st.closed_sent++;
		if (!parsed || nl_len < NLMSG_HDRLEN || nl_len > len) {
			/* dropped silently, and with it whatever follows in the datagram */
			pc.dropped[m->cmd]++;
			parsed = 0;
			off += NLMSG_ALIGN(len);
			continue;
		}
		if (nl_len < len && i + 1 < n)
			parsed = 0;	/* the rest of it is parsed as messages of its own */
		if (!(flags & NLM_F_REQUEST) && !(flags & NLM_F_ACK)) {
			pc.dropped[m->cmd]++;
			off += NLMSG_ALIGN(len);
			continue;
		}
		r = new_req(c);
		if (!r) {
			off += NLMSG_ALIGN(len);
			continue;
		}
		any_dump = 0;
		for (k = 0; k < NPEND; k++)
			any_dump |= c->pend[k].used && c->pend[k].dump;
		memset(r, 0, sizeof(*r));
		r->used = 1;
		r->seq = seq;
		r->sid = named_session(m->buf, nl_len < len ? nl_len : len,
				       (flags & NLM_F_DUMP) == NLM_F_DUMP);
		r->cmd = m->cmd;
		r->dump = (flags & NLM_F_DUMP) == NLM_F_DUMP && (flags & NLM_F_REQUEST);
		r->ack = !!(flags & NLM_F_ACK) || !(flags & NLM_F_REQUEST);
		r->other = r->sid && sess_find(other_of(c), r->sid) >= 0 &&
			   sess_find(c, r->sid) < 0;
		r->other_strict = r->other && m->valid;
		st.other_sent += r->other;
		r->nonreq = !(flags & NLM_F_REQUEST);
		r->must_refuse = (uint8_t)m->must_refuse;
		r->busy_ok = (uint8_t)any_dump;
		r->short_hdr = nl_len < NLMSG_HDRLEN + GENL_HDRLEN;
		r->cap = m->cap;
		r->len = len;
		r->hlen = len < sizeof(r->head) ? len : sizeof(r->head);
		memcpy(r->head, m->buf, r->hlen);
		if (!first)
			first = seq;
		off += NLMSG_ALIGN(len);
	}
	if (n > 1)
		st.batches++;
	if (sendto(c->fd, dgram, off, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		/* refused by the socket layer (too big for the send buffer): nothing is due */
		for (i = 0; i < NPEND; i++)
			if (c->pend[i].used && c->pend[i].seq > seq - n) {
				pc.dropped[c->pend[i].cmd]++;
				c->pend[i].used = 0;
			}
		return 0;
	}
	return first;
}

static uint32_t send_one(struct conn *c, struct msg *m)
{
	msg_finish(m);
	return send_msgs(c, &m, 1);
}

static void cut_read(struct conn *c, struct req *r);

/* Reads answers on @c until request @s is done; -1 if it never was. */
static int await_seq(struct conn *c, uint32_t s)
{
	uint64_t end = now_ms() + ANSWER_WAIT_MS;
	struct req *r;

	while (s && (r = find_req(c, s))) {
		uint64_t now = now_ms();

		if (r->dump && r->replies > r->cap) {
			cut_read(c, r);
			continue;
		}
		if (now >= end) {
			if (r->excused) {
				st.lost++;
			} else {
				st.unanswered++;
				printf("# NO ANSWER within %d s to %s (seq %u, socket %c, %u replies so far)\n",
				       ANSWER_WAIT_MS / 1000, cmd_name(r->cmd), r->seq, c->name,
				       r->replies);
				show_head("request", c->name, r->head, r->hlen, r->len);
			}
			r->used = 0;
			return -1;
		}
		conn_recv(c, (int)(end - now < 1000 ? end - now : 1000));
	}
	return 0;
}

static void await_all(struct conn *c)
{
	unsigned int i;

	for (i = 0; i < NPEND; i++)
		if (c->pend[i].used)
			await_seq(c, c->pend[i].seq);
}

static int rpc(struct conn *c, struct msg *m)
{
	uint32_t s = send_one(c, m);

	return s ? await_seq(c, s) : -1;
}

/* Reads until request @s has @n replies (or is done). */
static void read_replies(struct conn *c, uint32_t s, unsigned int n)
{
	uint64_t end = now_ms() + ANSWER_WAIT_MS;
	struct req *r;

	while ((r = find_req(c, s)) && r->replies < n && now_ms() < end)
		conn_recv(c, 200);
}

/* ---- values ---- */

static struct msg scratch;	/* the messages requests and scenarios make on the side */

static void mk_sid(struct msg *m, uint8_t cmd, uint32_t sid);

/* A read that exceeded its replies: close its session, then drop the socket. */
static void cut_read(struct conn *c, struct req *r)
{
	static struct msg close_msg;
	uint32_t sid = r->sid;

	if (!r->cut && sid && sess_find(c, sid) >= 0) {
		r->cut = 1;
		r->cap += DUMP_HARD_CAP;
		mk_sid(&close_msg, KMDUMP_CMD_SESSION_CLOSE, sid);
		send_one(c, &close_msg);
		return;
	}
	pc.cut[r->cmd]++;
	drop_conn(c);
}

static const uint32_t u32_edges[] = {
	0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
	0xfffffffe, 0xffffffff,
};

static uint64_t u64_edge(void)
{
	const uint64_t e[] = {
		0, 1, 2, 0xfff, 0x1000, 0xffffffff, 0x100000000ULL, 0x7ffffffff000ULL - 1,
		0x7ffffffff000ULL, 0x7ffffffff000ULL + 1, 0x800000000000ULL, task_size_max,
		task_size_max + 1, TB, TB + 1, MAX_LFS, MAX_LFS + 1, U64MAX - 1, U64MAX,
	};

	return PICK(e);
}

static const uint32_t sid_edges[] = {
	0, 1, 2, 0x7ffffffe, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};
static const uint32_t chunk_lens[] = {
	1, 4095, 4096, 4097, KMDUMP_DATA_CHUNK_MAX - 1, KMDUMP_DATA_CHUNK_MAX,
	KMDUMP_DATA_CHUNK_MAX + 1,
};
static const uint32_t flag_edges[] = {
	0, KMDUMP_CAPTURE_FLAGS_MASK, KMDUMP_CAPTURE_FLAGS_MASK + 1, 0x80000000, 0xffffffff,
};
static const uint32_t watchdogs[] = {
	KMDUMP_WATCHDOG_MS_MIN, 1000, KMDUMP_WATCHDOG_MS_DEFAULT, KMDUMP_WATCHDOG_MS_MAX,
};
static const uint32_t watchdog_edges[] = {
	0, 1, KMDUMP_WATCHDOG_MS_MIN - 1, KMDUMP_WATCHDOG_MS_MIN, KMDUMP_WATCHDOG_MS_MIN + 1,
	KMDUMP_WATCHDOG_MS_MAX - 1, KMDUMP_WATCHDOG_MS_MAX, KMDUMP_WATCHDOG_MS_MAX + 1,
	0x7fffffff, 0xffffffff,
};
static const uint8_t dump_cmds[] = {
	KMDUMP_CMD_MEM_READ, KMDUMP_CMD_MEM_READ_TO_FD, KMDUMP_CMD_THREAD_GET, KMDUMP_CMD_VMA_GET,
};

static uint32_t pick_session(struct conn *c)
{
	struct conn *o = other_of(c);
	uint32_t id;

	switch (rnd(16)) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
		if (c->ns) {
			id = c->main && chance(2) ? c->main : c->s[rnd(c->ns)].id;
			break;
		}
		/* fall through */
	case 9:
		if (o->ns) {
			id = o->s[rnd(o->ns)].id;
			break;
		}
		/* fall through */
	case 10:
		if (njobs && chance(2)) {	/* a kernel-dump job's id (from its reply) */
			id = job_ids[rnd(njobs < NELEM(job_ids) ? njobs : NELEM(job_ids))];
			break;
		}
		/* fall through */
	case 11:
		if (nclosed) {
			id = closed_ids[rnd(nclosed < NELEM(closed_ids) ?
					    nclosed : NELEM(closed_ids))];
			break;
		}
		/* fall through */
	case 12:
		id = max_id + 1 + rnd(3);
		break;
	case 13:
		id = 1 + rnd(64);
		break;
	default:
		id = PICK(sid_edges);
		break;
	}
	return id;
}

static int32_t good_out_fd(void)
{
	return chance(4) ? fds.memfd : fds.out;
}

static int32_t bad_fd(void)
{
	const int32_t f[] = {
		fds.append, fds.rdonly, fds.null, fds.pipe_w, fds.dir, fds.maps, fds.selfmem,
		A.fd, T[0].mem_fd, fds.wronly_mem, 1000, 1023, -1, INT32_MIN, INT32_MAX, 0,
	};

	return PICK(f);
}

static void put_fd_attr(struct msg *m, uint16_t type, int mode)
{
	int32_t v;

	if (type == KMDUMP_A_MEM_FD) {
		if (mode == 0)
			v = T[m->tgt].mem_fd;
		else if (chance(3))
			v = T[(m->tgt + 1 + rnd(NTARGETS - 1)) % NTARGETS].mem_fd;
		else
			v = chance(4) ? fds.out : bad_fd();
	} else {
		v = mode == 0 ? good_out_fd() : bad_fd();
	}
	put(m, type, &v, 4);
}

static uint32_t pid_value(const struct msg *m, int mode)
{
	const uint32_t e[] = {
		0, 1, 2, (uint32_t)getpid(), (uint32_t)reaped_pid, 4194304, 4194305, 0x7fffffff,
		0xffffffff, (uint32_t)T[(m->tgt + 1) % NTARGETS].t.pid,
	};

	return mode == 0 ? (uint32_t)T[m->tgt].t.pid : PICK(e);
}

/* ---- ranges ---- */

static uint64_t range_addr(const struct target *t, int mode, unsigned int *vi)
{
	unsigned int i = rnd(t->nv);
	const uint64_t e[] = {
		0, 1, 0xfff, 0x1000, 0x10000, 0x7ffffffff000ULL - 1, 0x7ffffffff000ULL,
		0x7ffffffff000ULL + 1, 0x800000000000ULL, task_size_max - 4096, task_size_max - 1,
		task_size_max, task_size_max + 1, 0xffff888000000000ULL, 0xffffffff81000000ULL,
		U64MAX - 4095, U64MAX,
	};

	*vi = i;
	if (mode == 0 || chance(2)) {
		switch (rnd(4)) {
		case 0: return t->vs[i];
		case 1: return t->vs[i] + t->vl[i];	/* just past the mapping */
		default: return t->vs[i] + rnd((uint32_t)t->vl[i]);
		}
	}
	return chance(6) ? rnd64() : PICK(e);
}

static uint64_t range_len(const struct target *t, uint64_t addr, unsigned int vi, int mode)
{
	const uint64_t e[] = {
		0, 1, 2, 4095, 4096, 4097, KMDUMP_DATA_CHUNK_MAX - 1, KMDUMP_DATA_CHUNK_MAX,
		KMDUMP_DATA_CHUNK_MAX + 1, (256 << 10) - 1, 256 << 10, (256 << 10) + 1,
		task_size_max - addr, task_size_max - addr + 1, 0x7ffffffff000ULL - addr,
		0x7ffffffff000ULL - addr + 1, TB, TB + 1, U64MAX - addr, U64MAX - addr + 1,
		U64MAX - addr + 2, U64MAX, MAX_LFS,
	};

	if (mode == 0) {
		switch (rnd(6)) {
		case 0:		/* to the end of the mapping (at most 1 MiB) */
			if (addr >= t->vs[vi] && addr < t->vs[vi] + t->vl[vi] &&
			    t->vs[vi] + t->vl[vi] - addr < (1u << 20))
				return t->vs[vi] + t->vl[vi] - addr;
			return 1 + rnd(1u << 20);
		case 1: return PICK(chunk_lens);
		default: return 1 + rnd(65536);
		}
	}
	return PICK(e);
}

static uint64_t range_offset(uint64_t len, int mode)
{
	const uint64_t e[] = {
		0, 1, 4095, 4096, 1ULL << 32, TB, MAX_LFS - len, MAX_LFS - len + 1, MAX_LFS,
		1ULL << 63, U64MAX - len, U64MAX - len + 1, U64MAX,
	};

	if (mode == 0)
		return chance(3) ? 0 : rnd(64u << 20);
	return PICK(e);
}

/*
 * One range nest. mode 0: valid (addr, len, offset as the command needs),
 * 1: edge values, 2: malformed.
 */
static void put_range(struct msg *m, int to_fd, int mode, int small)
{
	const struct target *t = &T[m->tgt];
	unsigned int vi;
	uint64_t addr = range_addr(t, mode, &vi);
	uint64_t len = small ? 1 + rnd(64) : range_len(t, addr, vi, mode == 1 && chance(2));
	uint64_t off = range_offset(len, mode == 1 && chance(2));
	int want_off = to_fd || chance(8);
	uint16_t ntype = KMDUMP_A_RANGE | NLA_F_NESTED;
	size_t at, i, k;

	if (mode == 2 && chance(6))
		ntype = chance(2) ? KMDUMP_A_RANGE : (uint16_t)(KMDUMP_A_FAILED | NLA_F_NESTED);
	at = nest_start(m, ntype);
	if (mode != 2) {
		if (chance(6)) {	/* another order */
			if (want_off)
				put_u64(m, KMDUMP_A_RANGE_OFFSET, off);
			put_u64(m, KMDUMP_A_RANGE_LEN, len);
			put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
		} else {
			put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
			put_u64(m, KMDUMP_A_RANGE_LEN, len);
			if (want_off)
				put_u64(m, KMDUMP_A_RANGE_OFFSET, off);
		}
		nest_end(m, at);
		return;
	}
	switch (rnd(12)) {
	case 0:		/* no addr */
		put_u64(m, KMDUMP_A_RANGE_LEN, len);
		put_u64(m, KMDUMP_A_RANGE_OFFSET, off);
		break;
	case 1:		/* no len */
		put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
		put_u64(m, KMDUMP_A_RANGE_OFFSET, off);
		break;
	case 2:		/* no offset */
		put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
		put_u64(m, KMDUMP_A_RANGE_LEN, len);
		break;
	case 3:		/* a field twice */
		put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
		put_u64(m, KMDUMP_A_RANGE_LEN, len);
		put_u64(m, KMDUMP_A_RANGE_LEN, rnd64());
		put_u64(m, KMDUMP_A_RANGE_OFFSET, off);
		break;
	case 4:		/* unknown, pad or reply-only ids inside */
		put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
		put_u64(m, KMDUMP_A_RANGE_LEN, len);
		if (chance(3))
			put_u32(m, KMDUMP_A_RANGE_HRESULT, (uint32_t)rnd64());
		else
			put_u64(m, (uint16_t)PICK(((const uint16_t[]){ 0, KMDUMP_A_RANGE_PAD,
					KMDUMP_A_RANGE_HRESULT, KMDUMP_A_RANGE_MAX + 1, 0x3fff })),
				rnd64());
		break;
	case 5:		/* a field of the wrong size */
		put(m, (uint16_t)(1 + rnd(3)), &addr, PICK(((const size_t[]){ 0, 1, 4, 7 })));
		put_u64(m, KMDUMP_A_RANGE_LEN, len);
		break;
	case 6:		/* a range inside the range */
		put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
		put_range(m, to_fd, 0, 1);
		break;
	case 7:		/* empty */
		break;
	case 8:		/* unaligned garbage */
		for (i = 0, k = 1 + rnd(11); i < k && m->len < sizeof(m->buf); i++)
			m->buf[m->len++] = (uint8_t)rnd64();
		break;
	case 9:		/* a field marked nested, or in network byte order */
		put_u64(m, (uint16_t)(KMDUMP_A_RANGE_ADDR |
				      (chance(2) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER)), addr);
		put_u64(m, KMDUMP_A_RANGE_LEN, len);
		break;
	default:	/* valid content, the nest's length lies */
		put_u64(m, KMDUMP_A_RANGE_ADDR, addr);
		put_u64(m, KMDUMP_A_RANGE_LEN, len);
		put_u64(m, KMDUMP_A_RANGE_OFFSET, off);
		nest_end(m, at);
		if (at + NLA_HDRLEN <= m->len)
			set16(m->buf + at, (uint16_t)(chance(2) ? rnd(4) + 1 :
						      get16(m->buf + at) + 4 + rnd(64)));
		return;
	}
	nest_end(m, at);
}

static void put_ranges(struct msg *m, int to_fd, int mode)
{
	unsigned int n, i, small = 0;

	if (mode == 0) {
		n = chance(4) ? 2 + rnd(7) : 1;
	} else {
		switch (rnd(24)) {
		case 0: n = 0; break;
		case 1: n = KMDUMP_MAX_RANGES + 1; small = 1; break;
		case 2: n = KMDUMP_MAX_RANGES + 1 + rnd(3); small = 1; break;
		case 3: n = chance(8) ? KMDUMP_MAX_RANGES : KMDUMP_MAX_RANGES + 1; small = 1; break;
		case 4:
			n = chance(8) ? KMDUMP_MAX_RANGES - 1 : KMDUMP_MAX_RANGES + 2;
			small = 1;
			break;
		default: n = 1 + (chance(3) ? rnd(4) : 0); break;
		}
	}
	if (small)
		m->cap = n * 2 + 64;
	for (i = 0; i < n; i++) {
		int rm = small ? 0 : (mode == 2 && chance(2)) ? 2 : (mode ? (int)rnd(2) : 0);

		put_range(m, to_fd, rm, (int)small);
	}
}

/* A value of attribute @type's spec type, at or past its limits. */
static void put_typed(struct msg *m, uint16_t type, int wrong)
{
	static uint8_t blob[KMDUMP_CMDLINE_MAX + 8];
	const struct aspec *a = type < NATTRS ? &aspec[type] : NULL;
	uint8_t t = a ? a->type : T_BIN;
	size_t len, i;
	uint64_t v;

	if (wrong) {	/* a size its type does not have */
		len = PICK(((const size_t[]){ 0, 1, 2, 3, 5, 6, 7, 9, 12, 16 }));
		v = rnd64();
		put(m, type, &v, len > 8 ? 8 : len);
		return;
	}
	switch (t) {
	case T_U32: case T_S32:
		put_u32(m, type, PICK(u32_edges));
		break;
	case T_U64: case T_S64:
		put_u64(m, type, u64_edge());
		break;
	case T_PAD:
		put(m, type, NULL, rnd(3) * 4);
		break;
	case T_NEST:
		if (chance(2)) {	/* a range, under this id */
			size_t at = m->len;

			put_range(m, 1, (int)rnd(3), 0);
			if (at < m->len)
				set16(m->buf + at + 2, (uint16_t)(type | NLA_F_NESTED));
		} else {
			put(m, type | NLA_F_NESTED, NULL, 0);
		}
		break;
	default:	/* strings and binaries: at max-len, past it, empty, unterminated */
		len = a ? a->max_len : 64;
		len = PICK(((const size_t[]){ 0, 1, len - 1, len, len + 1, len + 1, rnd(128) }));
		if (len > sizeof(blob))
			len = sizeof(blob);
		for (i = 0; i < len; i++)
			blob[i] = (uint8_t)('a' + i % 26);
		if (t == T_STR && len && chance(2))
			blob[len - 1] = 0;
		put(m, type, blob, len);
		break;
	}
}

/* ---- requests ---- */

/*
 * @cmd with its spec attributes. @mode 0: a valid request; 1: attributes at
 * their edges; 2: also wrong sizes, missing, duplicated and foreign
 * attributes.
 */
static void gen(struct msg *m, struct conn *c, uint8_t cmd, int mode)
{
	const uint16_t *attrs = cmd < NCMDS ? cspec[cmd].attrs : NULL;
	unsigned int i, j;
	int kdump_system = 0;

	msg_init(m, cmd);
	m->valid = mode == 0 && is_request_cmd(cmd);
	m->tgt = cmd == KMDUMP_CMD_SESSION_OPEN ? (int)rnd(NTARGETS) : c->tgt;
	if (attrs && cmd == KMDUMP_CMD_KERNEL_DUMP && chance(8))
		kdump_system = 1;	/* no session-id: the whole system */
	for (i = 0; attrs && i < NELEM(cspec[cmd].attrs) && attrs[i]; i++) {
		uint16_t type = attrs[i];
		/* 0 valid, 1-2 edge, 3 wrong, 4 left out */
		int am = mode == 0 ? 0 : (int)rnd(mode == 1 ? 3 : 5);
		unsigned int times = mode == 2 && chance(12) ? 2 : 1;

		if (kdump_system && type == KMDUMP_A_SESSION_ID)
			continue;
		if (am == 4)
			continue;
		if (times == 2 && type == KMDUMP_A_SESSION_ID)
			m->valid = 0;	/* a do op takes the last, a dump the first */
		for (j = 0; j < times; j++) {
			if (am == 3 && type != KMDUMP_A_RANGE) {
				if (chance(3))	/* the right size, flagged as nested */
					put_u32(m, type | NLA_F_NESTED, 1);
				else
					put_typed(m, type, 1);
				continue;
			}
			switch (type) {
			case KMDUMP_A_SESSION_ID:
				put_u32(m, type,
					am == 0 || chance(2) ? pick_session(c) : PICK(u32_edges));
				break;
			case KMDUMP_A_PID:
				put_u32(m, type, pid_value(m, am));
				break;
			case KMDUMP_A_MEM_FD:
			case KMDUMP_A_OUT_FD:
				put_fd_attr(m, type, am);
				break;
			case KMDUMP_A_CAPTURE_FLAGS:
				put_u32(m, type, am == 0 ? rnd(4) : PICK(flag_edges));
				break;
			case KMDUMP_A_WATCHDOG_MS:
				put_u32(m, type, am == 0 ? PICK(watchdogs) : PICK(watchdog_edges));
				break;
			case KMDUMP_A_RANGE:
				if (j == 0)
					put_ranges(m, cmd == KMDUMP_CMD_MEM_READ_TO_FD,
						   am ? (am >= 3 ? 2 : 1) : 0);
				break;
			default:	/* status-ntf's event attributes */
				put_typed(m, type, 0);
				break;
			}
		}
	}
	if (kdump_system && !(is_root && chance(40))) {
		/* a whole-system dump is slow: keep the valid ones rare */
		int32_t v = bad_fd();

		put(m, KMDUMP_A_OUT_FD, &v, 4);
	}
	if (mode == 2 && chance(3)) {	/* foreign: another command's, unknown ids */
		for (i = 0, j = 1 + rnd(2); i < j; i++) {
			uint16_t type;

			switch (rnd(6)) {
			case 0: type = 0; break;
			case 1: type = (uint16_t)(KMDUMP_A_MAX + 1 + rnd(4)); break;
			case 2:
				type = (uint16_t)rnd(NLA_TYPE_MASK);
				type |= chance(2) ? NLA_F_NESTED : 0;
				break;
			default: type = (uint16_t)(1 + rnd(KMDUMP_A_MAX)); break;
			}
			put_typed(m, type, chance(6));
		}
	}
}

/* The target a session of ours holds (its index), else 0. */
static int tgt_of(uint32_t sid)
{
	const struct conn *cs[] = { &A, &B, &C };
	unsigned int i, j;
	int k;

	for (i = 0; i < NELEM(cs); i++)
		for (j = 0; j < cs[i]->ns; j++)
			if (cs[i]->s[j].id == sid)
				for (k = 0; k < NTARGETS; k++)
					if (T[k].t.pid == cs[i]->s[j].pid)
						return k;
	return 0;
}

/* A valid request of @cmd naming session @sid. */
static void mk_sid(struct msg *m, uint8_t cmd, uint32_t sid)
{
	msg_init(m, cmd);
	m->tgt = tgt_of(sid);
	msg_set_flags(m, (uint16_t)(msg_flags(m) | NLM_F_ACK));
	put_u32(m, KMDUMP_A_SESSION_ID, sid);
	if (cmd == KMDUMP_CMD_MEM_READ_TO_FD || cmd == KMDUMP_CMD_KERNEL_DUMP) {
		int32_t v = cmd == KMDUMP_CMD_KERNEL_DUMP ? fds.kdump : good_out_fd();

		put(m, KMDUMP_A_OUT_FD, &v, 4);
	}
	if (cmd == KMDUMP_CMD_MEM_READ_TO_FD || cmd == KMDUMP_CMD_MEM_READ)
		put_range(m, cmd == KMDUMP_CMD_MEM_READ_TO_FD, 0, 0);
}

/* A read of @sid (its target @tgt) that takes many replies: the largest mapping and on. */
static void mk_big_read(struct msg *m, uint8_t cmd, uint32_t sid, int tgt, uint64_t len)
{
	const struct target *t = &T[tgt];
	size_t at;

	msg_init(m, cmd);
	msg_set_flags(m, (uint16_t)(msg_flags(m) | NLM_F_ACK));
	put_u32(m, KMDUMP_A_SESSION_ID, sid);
	m->tgt = tgt;
	if (cmd == KMDUMP_CMD_MEM_READ_TO_FD) {
		int32_t v = good_out_fd();

		put(m, KMDUMP_A_OUT_FD, &v, 4);
	}
	at = nest_start(m, KMDUMP_A_RANGE | NLA_F_NESTED);
	put_u64(m, KMDUMP_A_RANGE_ADDR, t->vs[t->big]);
	put_u64(m, KMDUMP_A_RANGE_LEN, len);
	put_u64(m, KMDUMP_A_RANGE_OFFSET, 0);
	nest_end(m, at);
	m->cap = 1u << 20;
}

static void mk_open(struct msg *m, int tgt, uint32_t watchdog)
{
	msg_init(m, KMDUMP_CMD_SESSION_OPEN);
	msg_set_flags(m, NLM_F_REQUEST | NLM_F_ACK);
	m->tgt = tgt;
	put_u32(m, KMDUMP_A_PID, (uint32_t)T[tgt].t.pid);
	put(m, KMDUMP_A_MEM_FD, &T[tgt].mem_fd, 4);
	put_u32(m, KMDUMP_A_WATCHDOG_MS, watchdog);
}

/* ---- byte-level mutations ---- */

static unsigned int attrs_at(const struct msg *m, size_t *at, unsigned int max)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	unsigned int n = 0;

	while (off + NLA_HDRLEN <= m->len && n < max) {
		uint16_t l = get16(m->buf + off);

		if (l < NLA_HDRLEN || off + l > m->len)
			break;
		at[n++] = off;
		off += NLA_ALIGN(l);
	}
	return n;
}

static void mutate(struct msg *m)
{
	size_t at[64], a, alen, i;
	unsigned int n = attrs_at(m, at, 64);
	uint8_t tmp[256];
	uint64_t e;

	a = n ? at[rnd(n)] : 0;
	alen = n ? get16(m->buf + a) : 0;
	m->valid = 0;
	m->must_refuse = 0;
	switch (rnd(9)) {
	case 0:		/* drop an attribute */
		if (n) {
			size_t drop = NLA_ALIGN(alen) < m->len - a ? NLA_ALIGN(alen) : m->len - a;

			memmove(m->buf + a, m->buf + a + drop, m->len - a - drop);
			m->len -= drop;
		}
		break;
	case 1:		/* duplicate one */
		if (n && alen <= sizeof(tmp) && m->len + NLA_ALIGN(alen) <= sizeof(m->buf)) {
			memcpy(tmp, m->buf + a, alen);
			memset(m->buf + m->len, 0, NLA_ALIGN(alen));
			memcpy(m->buf + m->len, tmp, alen);
			m->len += NLA_ALIGN(alen);
		}
		break;
	case 2:		/* another type, maybe with the nested/byte-order bits */
		if (n)
			set16(m->buf + a + 2, (uint16_t)(rnd(KMDUMP_A_MAX + 4) |
							 (chance(4) ? NLA_F_NESTED : 0) |
							 (chance(8) ? NLA_F_NET_BYTEORDER : 0)));
		break;
	case 3:		/* a shorter value (what followed it is now misaligned garbage) */
		if (n && alen > NLA_HDRLEN)
			set16(m->buf + a,
			      (uint16_t)(NLA_HDRLEN + rnd((uint32_t)(alen - NLA_HDRLEN))));
		break;
	case 4:		/* a longer value: garbage appended to the last attribute */
		if (n) {
			size_t last = at[n - 1], grow = 1 + rnd(64);
			uint16_t l = get16(m->buf + last);

			if (last + l + grow + 4 <= sizeof(m->buf)) {
				for (i = 0; i < grow + 3; i++)
					m->buf[last + l + i] = (uint8_t)rnd64();
				set16(m->buf + last, (uint16_t)(l + grow));
				m->len = last + NLA_ALIGN(l + grow);
			}
		}
		break;
	case 5:		/* an attribute's length lies */
		if (n)
			set16(m->buf + a,
			      chance(2) ? (uint16_t)rnd(4) : (uint16_t)(alen + 4 + rnd(4096)));
		break;
	case 6:		/* an edge value */
		if (n && alen > NLA_HDRLEN) {
			e = chance(2) ? PICK(u32_edges) : u64_edge();
			memcpy(m->buf + a + NLA_HDRLEN, &e,
			       alen - NLA_HDRLEN < 8 ? alen - NLA_HDRLEN : 8);
		}
		break;
	case 7:		/* a flipped bit anywhere after the genl header */
		if (m->len > NLMSG_HDRLEN + GENL_HDRLEN) {
			i = NLMSG_HDRLEN + GENL_HDRLEN +
			    rnd((uint32_t)(m->len - NLMSG_HDRLEN - GENL_HDRLEN));
			m->buf[i] ^= (uint8_t)(1u << rnd(8));
		}
		break;
	default:	/* garbage nested in a range */
		put_range(m, 1, 2, 0);
		break;
	}
}

/* Faults in the netlink and genetlink headers. */
static void header_faults(struct msg *m)
{
	uint16_t f = msg_flags(m);
	size_t i, k;
	int fault = 1;

	switch (rnd(40)) {
	case 0: case 1:	/* NLM_F_DUMP on a do op, none on a dump op */
		f ^= NLM_F_DUMP;
		break;
	case 2:		/* half of NLM_F_DUMP */
		f = (uint16_t)((f & ~NLM_F_DUMP) | (chance(2) ? NLM_F_ROOT : NLM_F_MATCH));
		break;
	case 3:
		f |= NLM_F_ECHO;
		break;
	case 4:		/* a reserved or meaningless flag bit */
		f |= (uint16_t)PICK(((const uint16_t[]){ NLM_F_MULTI, NLM_F_EXCL, NLM_F_CREATE,
							  0x1000, 0x8000 }));
		break;
	case 5:		/* not a request */
		f &= (uint16_t)~NLM_F_REQUEST;
		break;
	case 6:		/* another family version */
		m->buf[NLMSG_HDRLEN + 1] = (uint8_t)PICK(((const uint8_t[]){ 0, 2, 0x7f, 0xff }));
		break;
	case 7:		/* the genetlink header's reserved bytes */
		m->buf[NLMSG_HDRLEN + 2 + rnd(2)] = (uint8_t)(1 + rnd(255));
		break;
	case 8:		/* cut inside the genetlink header */
		m->len = NLMSG_HDRLEN + rnd(GENL_HDRLEN);
		break;
	case 9:		/* trailing bytes: less than an attribute header, or garbage */
		k = chance(2) ? 1 + rnd(3) : 4 + rnd(16);
		for (i = 0; i < k && m->len < sizeof(m->buf); i++)
			m->buf[m->len++] = (uint8_t)rnd64();
		break;
	case 10:	/* no NLM_F_ACK: not a fault */
		f &= (uint16_t)~NLM_F_ACK;
		fault = 0;
		break;
	default:
		fault = 0;
		break;
	}
	if (fault)
		m->valid = 0;
	msg_set_flags(m, f);
	msg_finish(m);
	if (chance(80)) {	/* the length field lies: the kernel drops it silently */
		set32(m->buf, chance(2) ? rnd(NLMSG_HDRLEN) : (uint32_t)(m->len + 1 + rnd(64)));
		m->valid = 0;
	} else if (chance(120) && m->len > NLMSG_HDRLEN + GENL_HDRLEN + 4) {
		/* shorter than sent: the rest is parsed as another message */
		set32(m->buf, (uint32_t)(NLMSG_HDRLEN + GENL_HDRLEN +
					 rnd((uint32_t)(m->len - NLMSG_HDRLEN - GENL_HDRLEN))));
		m->valid = 0;
	}
}

static void random_attrs(struct msg *m, struct conn *c)
{
	unsigned int i, n = rnd(8);

	gen(m, c, (uint8_t)(chance(4) ? rnd(256) : 1 + rnd(KMDUMP_CMD_MAX)), 0);
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->valid = 0;
	for (i = 0; i < n; i++) {
		uint16_t type = (uint16_t)(chance(6) ? rnd(0x4000) : rnd(KMDUMP_A_MAX + 2));

		if (type == KMDUMP_A_RANGE || chance(10))
			put_ranges(m, chance(2), 1 + (int)rnd(2));
		else if (chance(2))
			put_u32(m, type, PICK(u32_edges));
		else
			put_typed(m, type, chance(3));
	}
}

static void random_bytes(struct msg *m)
{
	size_t i, n = rnd(256);

	msg_init(m, (uint8_t)rnd(KMDUMP_CMD_MAX + 2));
	m->valid = 0;
	for (i = 0; i < n; i++)
		m->buf[m->len++] = (uint8_t)rnd64();
}

static uint8_t pick_cmd(void)
{
	if (chance(16))
		return PICK(((const uint8_t[]){ 0, KMDUMP_CMD_MAX + 1, 0x7f, 0x80, 0xff }));
	return (uint8_t)(1 + rnd(KMDUMP_CMD_MAX));
}

/* One fuzzed message of @c's. */
static void make_fuzzed(struct msg *m, struct conn *c)
{
	unsigned int r = rnd(100), k;

	if (r < 45) {
		gen(m, c, pick_cmd(), (int)rnd(3));
	} else if (r < 80) {
		gen(m, c, pick_cmd(), (int)rnd(3));
		for (k = 1 + (chance(3) ? rnd(3) : 0); k; k--)
			mutate(m);
	} else if (r < 92) {
		random_attrs(m, c);
	} else {
		random_bytes(m);
	}
	/* A kernel dump into a non-file, or of the system, is refused or rare (gen()). */
	header_faults(m);
}

/* ---- sessions the sockets keep ---- */

static uint32_t sess_on(const struct conn *c, int tgt)
{
	unsigned int i;

	for (i = 0; i < c->ns; i++)
		if (c->s[i].pid == T[tgt].t.pid)
			return c->s[i].id;
	return 0;
}

/* Opens a session of @c on target @tgt (waiting out EBUSY a while); its id or 0. */
static uint32_t open_on(struct conn *c, int tgt, uint32_t watchdog, unsigned int wait_ms)
{
	uint64_t end = now_ms() + wait_ms;
	uint32_t id;

	for (;;) {
		if ((id = sess_on(c, tgt)))
			return id;
		mk_open(&scratch, tgt, watchdog);
		if (rpc(c, &scratch) == 0 && (id = sess_on(c, tgt)))
			return id;
		if ((last_err != EBUSY && last_err != EUSERS) || now_ms() >= end)
			return 0;
		usleep(20000);
	}
}

/* Makes sure @c holds its session on its own target. */
static void ensure_main(struct conn *c)
{
	if (c->main && sess_find(c, c->main) >= 0)
		return;
	c->main = open_on(c, c->tgt, KMDUMP_WATCHDOG_MS_MAX, 3000);
	if (!c->main && (last_err == EBUSY || last_err == EUSERS)) {
		/* a session the fuzzer lost track of holds it: drop them all */
		drop_conn(c);
		c->main = open_on(c, c->tgt, KMDUMP_WATCHDOG_MS_MAX, 10000);
	}
}

/* Closes @c's sessions other than its main one. */
static void trim(struct conn *c)
{
	unsigned int i;

	for (i = 0; i < c->ns; i++)
		if (c->s[i].id != c->main) {
			uint32_t id = c->s[i].id;

			mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
			rpc(c, &scratch);
			sess_del(c, id);	/* closed, or lost track of */
			i = (unsigned int)-1;	/* the list changed */
		}
}

/* ---- stateful sequences ---- */

static const uint8_t session_cmds[] = {
	KMDUMP_CMD_SESSION_GET, KMDUMP_CMD_PROCESS_GET, KMDUMP_CMD_THREAD_GET,
	KMDUMP_CMD_VMA_GET, KMDUMP_CMD_MEM_READ_TO_FD,
	KMDUMP_CMD_MEM_READ, KMDUMP_CMD_KERNEL_DUMP, KMDUMP_CMD_SESSION_CLOSE,
};

static uint8_t session_cmd(void)
{
	uint8_t cmd;

	do
		cmd = PICK(session_cmds);
	while (cmd == KMDUMP_CMD_KERNEL_DUMP && chance(2));
	return cmd;
}

/* Requests naming a session that is still being opened (its id guessed). */
static void scen_open_early(struct conn *c)
{
	static struct msg o;
	uint32_t s, id, guess = max_id + 1, k;

	st.scen[0]++;
	if ((id = sess_on(c, 2))) {
		mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
		rpc(c, &scratch);
	}
	mk_open(&o, 2, chance(2) ? KMDUMP_WATCHDOG_MS_MIN : KMDUMP_WATCHDOG_MS_DEFAULT);
	s = send_one(c, &o);
	for (k = 1 + rnd(3); k; k--) {
		mk_sid(&scratch, session_cmd(), guess + rnd(2));
		if (rpc(c, &scratch) == 0) {
			st.early_sent++;
			st.early_opening += last_err == EAGAIN || last_err == 0;
		}
	}
	await_seq(c, s);
	if ((id = sess_on(c, 2))) {
		mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
		rpc(c, &scratch);
	}
}

/* Requests while a close runs and after it, and a second close. */
static void scen_close_flow(struct conn *c)
{
	uint32_t id = open_on(c, 2, KMDUMP_WATCHDOG_MS_DEFAULT, 2000), s, k;

	st.scen[1]++;
	if (!id)
		return;
	if (chance(2)) {
		mk_sid(&scratch, session_cmd(), id);
		rpc(c, &scratch);
		if (sess_find(c, id) < 0)
			return;	/* that was a close */
	}
	mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
	s = send_one(c, &scratch);
	for (k = rnd(3); k; k--) {	/* the close is being answered */
		mk_sid(&scratch, session_cmd(), id);
		rpc(c, &scratch);
	}
	await_seq(c, s);
	for (k = 1 + rnd(3); k; k--) {	/* after it: refused, and a double close too */
		mk_sid(&scratch, chance(3) ? KMDUMP_CMD_SESSION_CLOSE : session_cmd(), id);
		scratch.must_refuse = sess_find(c, id) < 0;
		rpc(c, &scratch);
	}
}

/* A close (and the other socket's attempt) while a memory read is in progress. */
static void scen_close_during_read(struct conn *c)
{
	static struct msg rd;
	uint32_t id = open_on(c, 2, KMDUMP_WATCHDOG_MS_DEFAULT, 2000), s, s2;

	st.scen[2]++;
	if (!id)
		return;
	mk_big_read(&rd, chance(2) ? KMDUMP_CMD_MEM_READ : KMDUMP_CMD_MEM_READ_TO_FD, id, 2,
		    chance(2) ? TB : T[2].vl[T[2].big] + (64u << 20));
	s = send_one(c, &rd);
	read_replies(c, s, 1 + rnd(8));
	if (chance(3)) {	/* the other socket cannot end it */
		mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
		rpc(other_of(c), &scratch);
	}
	mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
	s2 = send_one(c, &scratch);
	await_seq(c, s);
	await_seq(c, s2);
	if ((id = sess_on(c, 2))) {
		mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
		rpc(c, &scratch);
	}
}

/* A second read (and other requests) while a read is in progress. */
static void scen_second_read(struct conn *c)
{
	static struct msg rd;
	struct conn *o = other_of(c);
	uint32_t s;

	st.scen[3]++;
	if (!c->main)
		return;
	mk_big_read(&rd, chance(2) ? KMDUMP_CMD_MEM_READ : KMDUMP_CMD_MEM_READ_TO_FD, c->main,
		    c->tgt, (uint64_t)(1 + rnd(16)) << 18);
	s = send_one(c, &rd);
	read_replies(c, s, 1 + rnd(3));
	mk_sid(&scratch, PICK(dump_cmds), c->main);
	rpc(c, &scratch);	/* same socket: netlink refuses a second dump (EBUSY) */
	mk_sid(&scratch, chance(2) ? KMDUMP_CMD_SESSION_GET : KMDUMP_CMD_PROCESS_GET, c->main);
	rpc(c, &scratch);	/* a do op meanwhile is served */
	mk_sid(&scratch, KMDUMP_CMD_MEM_READ, c->main);
	rpc(o, &scratch);	/* the other socket cannot read this session */
	if (o->main) {
		mk_sid(&scratch, KMDUMP_CMD_MEM_READ, o->main);
		rpc(o, &scratch);	/* its own session it can, at the same time */
	}
	await_seq(c, s);
}

/* Every command from one socket naming the other's sessions; opens of its targets. */
static void scen_other_socket(struct conn *c)
{
	struct conn *o = other_of(c);
	unsigned int k;

	st.scen[4]++;
	for (k = 1 + rnd(3); k && o->ns; k--) {
		uint32_t id = chance(2) && o->main ? o->main : o->s[rnd(o->ns)].id;

		mk_sid(&scratch, session_cmd(), id);
		rpc(c, &scratch);
	}
	if (chance(4) && o->main && !sess_on(c, o->tgt)) {	/* its target is taken: EBUSY */
		uint32_t mine, theirs = o->main;

		mk_open(&scratch, o->tgt, KMDUMP_WATCHDOG_MS_DEFAULT);
		rpc(c, &scratch);
		if ((mine = sess_on(c, o->tgt))) {
			/* served: a bug unless the other session had ended meanwhile */
			mk_sid(&scratch, KMDUMP_CMD_SESSION_GET, theirs);
			rpc(o, &scratch);
			if (last_err == 0 && st.double_hold++ < 5)
				printf("# SERVED: socket %c opened session %u on pid %d, which socket %c's session %u holds\n",
				       c->name, mine, (int)T[o->tgt].t.pid, o->name, theirs);
			mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, mine);
			rpc(c, &scratch);
		}
	}
}

/* The socket is closed in the middle of a read (its sessions end with it). */
static void scen_drop_mid_read(struct conn *c)
{
	static struct msg rd;
	uint32_t s;

	st.scen[5]++;
	if (!c->main)
		return;
	mk_big_read(&rd, chance(2) ? KMDUMP_CMD_MEM_READ : KMDUMP_CMD_MEM_READ_TO_FD, c->main,
		    c->tgt, TB);
	s = send_one(c, &rd);
	read_replies(c, s, 1 + rnd(4));
	if (find_req(c, s))
		pc.cut[rd.cmd]++;
	drop_conn(c);
}

/* A whole-system kernel dump, then requests naming its job (the reply's session-id). */
static void scen_kdump_job(struct conn *c)
{
	unsigned int k, n0 = njobs;
	uint32_t id;

	st.scen[8]++;
	msg_init(&scratch, KMDUMP_CMD_KERNEL_DUMP);
	msg_set_flags(&scratch, NLM_F_REQUEST | NLM_F_ACK);
	put(&scratch, KMDUMP_A_OUT_FD, &fds.kdump, 4);
	rpc(c, &scratch);
	if (njobs == n0)
		return;
	id = job_ids[(njobs - 1) % NELEM(job_ids)];
	for (k = 1 + rnd(3); k; k--) {
		mk_sid(&scratch, session_cmd(), id);
		rpc(c, &scratch);
	}
}

/* ---- the run ---- */

static void batch(struct conn *c)
{
	static struct msg a, b, d;
	struct msg *ms[3] = { &a, &b, &d };
	unsigned int n = 2 + rnd(2), i;
	uint32_t s;

	st.scen[6]++;
	for (i = 0; i < n; i++) {
		make_fuzzed(ms[i], c);
		if (ms[i]->len > 8192) {	/* batches of small messages only */
			gen(ms[i], c, (uint8_t)(1 + rnd(KMDUMP_CMD_SESSION_GET)), 1);
			msg_finish(ms[i]);
		}
	}
	s = send_msgs(c, ms, n);
	(void)s;
	await_all(c);
}

static void single(struct conn *c)
{
	static struct msg m;

	st.scen[7]++;
	make_fuzzed(&m, c);
	if (send_msgs(c, (struct msg *[]){ &m }, 1))
		await_all(c);
}

static int fuzz(unsigned int count, unsigned int seconds)
{
	uint64_t end = now_ms() + (uint64_t)seconds * 1000;
	unsigned int it, r, next_mark = 10000;

	for (it = 0; st.sent < count && now_ms() < end; it++) {
		if (it % 32 == 0)
			check_taint();
		if (it % 256 == 0 && (ftruncate(fds.out, 0) || ftruncate(fds.memfd, 0)))
			return -1;
		if (it % 1024 == 0 && ftruncate(fds.kdump, 0))
			return -1;
		if (st.sent >= next_mark) {
			int k = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

			if (k >= 0) {	/* (dprintf() leaks under ASan) */
				char line[64];
				int n = snprintf(line, sizeof(line), "kmdump-fuzz: message %u\n", st.sent);

				if (write(k, line, (size_t)n) < 0)
					n = 0;
				close(k);
			}
			next_mark += 10000;
		}
		if (it % 3000 == 2999 && A.main) {	/* a fresh main session now and then */
			mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, A.main);
			rpc(&A, &scratch);
		}
		if (it % 400 == 0 && B.main) {	/* B's session must not expire */
			mk_sid(&scratch, KMDUMP_CMD_SESSION_GET, B.main);
			rpc(&B, &scratch);
		}
		ensure_main(&A);
		ensure_main(&B);
		r = rnd(1000);
		if (r < 6)
			scen_open_early(&A);
		else if (r < 12)
			scen_close_flow(chance(4) ? &B : &A);
		else if (r < 18)
			scen_close_during_read(&A);
		else if (r < 24)
			scen_second_read(chance(3) ? &B : &A);
		else if (r < 40)
			scen_other_socket(chance(2) ? &B : &A);
		else if (r < 41)
			scen_drop_mid_read(&A);
		else if (r < 42 && is_root)
			scen_kdump_job(&A);
		else if (r < 70)
			batch(chance(8) ? &B : &A);
		else
			single(chance(8) ? &B : &A);
		trim(&A);
		trim(&B);
	}
	check_taint();
	return 0;
}

static int resolve_family(void)
{
	static struct msg m;
	struct genlmsghdr g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 };
	static uint8_t buf[8192] __attribute__((aligned(8)));
	ssize_t n;
	struct nlmsghdr *h;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	memset(m.buf, 0, NLMSG_HDRLEN);
	set16(m.buf + 4, GENL_ID_CTRL);
	set16(m.buf + 6, NLM_F_REQUEST);
	set32(m.buf + 8, ++seq);
	memcpy(m.buf + NLMSG_HDRLEN, &g, sizeof(g));
	m.len = NLMSG_HDRLEN + GENL_HDRLEN;
	m.depth = 9;
	put(&m, CTRL_ATTR_FAMILY_NAME, KMDUMP_FAMILY_NAME, sizeof(KMDUMP_FAMILY_NAME));
	msg_finish(&m);
	if (sendto(A.fd, m.buf, m.len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ||
	    (n = recv(A.fd, buf, sizeof(buf), 0)) < 0)
		return -1;
	for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		const uint8_t *p = (const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
		size_t off = 0, len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

		if (h->nlmsg_type != GENL_ID_CTRL)
			return -1;
		while (off + NLA_HDRLEN <= len) {
			uint16_t l = get16(p + off);

			if (l < NLA_HDRLEN)
				break;
			if (get16(p + off + 2) == CTRL_ATTR_FAMILY_ID) {
				family = get16(p + off + NLA_HDRLEN);
				return 0;
			}
			off += NLA_ALIGN(l);
		}
	}
	return -1;
}

/* ---- afterwards: a user's session still works ---- */

static int after_check(void)
{
	struct counter_file head;
	uint32_t id;
	size_t at;

	if (sock_open(&C))
		return 0;
	/* A's and B's sessions end asynchronously (socket release): T0 may be busy a moment. */
	id = open_on(&C, 0, KMDUMP_WATCHDOG_MS_DEFAULT, 10000);
	if (!id) {
		printf("# session-open after fuzzing failed: errno %d\n", last_err);
		return 0;
	}
	msg_init(&scratch, KMDUMP_CMD_MEM_READ);
	put_u32(&scratch, KMDUMP_A_SESSION_ID, id);
	at = nest_start(&scratch, KMDUMP_A_RANGE | NLA_F_NESTED);
	put_u64(&scratch, KMDUMP_A_RANGE_ADDR, T[0].counter_addr);
	put_u64(&scratch, KMDUMP_A_RANGE_LEN, sizeof(head));
	nest_end(&scratch, at);
	capture_seq = seq + 1;
	if (rpc(&C, &scratch) || last_err || capture_len < sizeof(head)) {
		printf("# reading the counter file's header failed: errno %d, %zu bytes\n", last_err,
		       capture_len);
		return 0;
	}
	memcpy(&head, capture, sizeof(head));
	mk_sid(&scratch, KMDUMP_CMD_SESSION_CLOSE, id);
	if (rpc(&C, &scratch) || last_err || sess_find(&C, id) >= 0) {
		printf("# closing the session failed: errno %d\n", last_err);
		return 0;
	}
	close(C.fd);
	if (head.magic != COUNTER_MAGIC || head.threads != 4) {
		printf("# read magic 0x%llx threads %llu\n", (unsigned long long)head.magic,
		       (unsigned long long)head.threads);
		return 0;
	}
	return 1;
}

/* ---- the report ---- */

static void report(const char *label, unsigned int seed, unsigned int count, unsigned int seconds,
		   uint64_t ms, int r)
{
	unsigned int i, missing_cmd = 0, unserved = 0, missing_attr = 0;
	char miss[1024] = "", unsrv[512] = "", amiss[2048] = "";
	unsigned int other_cmds_sent = 0, other_cmds_acc = 0, other_cmds_ref = 0;

	printf("# %s: %u messages in %.1f s (%.0f/s): %u answered, %u unanswered, %u strays,"
	       " %u times answers were lost (ENOBUFS), %u sockets dropped, %u batches\n",
	       label, st.sent, (double)ms / 1000, ms ? st.sent * 1000.0 / (double)ms : 0.0,
	       st.answered, st.unanswered, st.strays, st.lost, st.drops, st.batches);
	printf("# %-16s %7s %8s %7s %7s %5s %7s %7s\n", "command", "sent", "accepted", "refused",
	       "dropped", "cut", "no-msg", "core");
	for (i = 0; i < 256; i++) {
		if (i >= 1 && i <= KMDUMP_CMD_MAX) {
			printf("# %2u %-13s %7u %8u %7u %7u %5u %7u %7u\n", i, cmd_name(i), pc.sent[i],
			       pc.accepted[i], pc.refused[i], pc.dropped[i], pc.cut[i],
			       pc.nomsg[i] + pc.kind_nomsg[i], pc.core_nomsg[i]);
			if (!pc.sent[i]) {
				missing_cmd++;
				snprintf(miss + strlen(miss), sizeof(miss) - strlen(miss), " %s", cmd_name(i));
			}
			if (is_request_cmd(i) && !pc.accepted[i] &&
			    !(i == KMDUMP_CMD_KERNEL_DUMP && !is_root)) {
				unserved++;
				snprintf(unsrv + strlen(unsrv), sizeof(unsrv) - strlen(unsrv), " %s",
					 cmd_name(i));
			}
		} else {
			other_cmds_sent += pc.sent[i];
			other_cmds_acc += pc.accepted[i];
			other_cmds_ref += pc.refused[i];
		}
	}
	printf("#    %-13s %7u %8u %7u\n", "other cmds", other_cmds_sent, other_cmds_acc, other_cmds_ref);
	for (i = 1; i <= KMDUMP_A_MAX; i++)
		if (!attr_sent[i]) {
			missing_attr++;
			snprintf(amiss + strlen(amiss), sizeof(amiss) - strlen(amiss), " %s",
				 i < NATTRS && aspec[i].name ? aspec[i].name : "?");
		}
	for (i = 1; i <= KMDUMP_A_RANGE_MAX; i++)
		if (!range_sent[i]) {
			missing_attr++;
			snprintf(amiss + strlen(amiss), sizeof(amiss) - strlen(amiss), " range.%s",
				 i < NELEM(range_names) && range_names[i] ? range_names[i] : "?");
		}
	printf("# attributes sent (top level):");
	for (i = 1; i <= KMDUMP_A_MAX; i++)
		printf(" %s=%u", i < NATTRS && aspec[i].name ? aspec[i].name : "?", attr_sent[i]);
	printf("\n# range attributes sent:");
	for (i = 1; i <= KMDUMP_A_RANGE_MAX; i++)
		printf(" %s=%u", i < NELEM(range_names) && range_names[i] ? range_names[i] : "?", range_sent[i]);
	printf("\n# sequences:");
	for (i = 0; i < NELEM(scen_names); i++)
		printf(" %s x%u;", scen_names[i], st.scen[i]);
	printf("\n# requests naming a session still opening: %u, %u of them met it opening or open\n",
	       st.early_sent, st.early_opening);
	printf("# refusals by errno:");
	for (i = 1; i < 160; i++)
		if (st.by_errno[i])
			printf(" %s=%u", errno_name((int)i), st.by_errno[i]);
	printf("\n# refusals with their messages (command, errno, count, message):\n");
	for (i = 0; i < nrefusals && i < 90; i++)
		printf("#   %-14s %-12s x%-6u %s\n", cmd_name(refusals[i].cmd), errno_name(refusals[i].err),
		       refusals[i].n, refusals[i].msg);
	printf("# refusals without a message made by the netlink/genetlink core before kmdump runs"
	       " (short header, command outside the spec, second dump on a socket): %u\n", st.core_nomsg);

	check(r == 0 && st.sent >= count,
	      "%s: seed %u: %u messages sent in %.0f s (bounds: %u messages, %u s)%s", label, seed, st.sent,
	      (double)ms / 1000, count, seconds, st.sent >= count ? "" : ": the clock ended the run first");
	check(tables_complete(),
	      "%s: the fuzzer's tables cover every command (%u) and attribute (%u) of netlink/kmdump.h",
	      label, KMDUMP_CMD_MAX, KMDUMP_A_MAX);
	check(!missing_cmd, "%s: every command of the spec was sent%s%s", label,
	      missing_cmd ? "; never:" : "", miss);
	check(!unserved, "%s: every request command was served at least once%s%s", label,
	      unserved ? "; never:" : "", unsrv);
	check(!missing_attr, "%s: every attribute of the spec was sent%s%s", label,
	      missing_attr ? "; never:" : "", amiss);
	check(st.unanswered == 0, "%s: every request was answered within %d s (%u were not)", label,
	      ANSWER_WAIT_MS / 1000, st.unanswered);
	check(st.nomsg == 0,
	      "%s: every refusal of a spec command carries an extended-ack message (%u did not; examples above)",
	      label, st.nomsg);
	check(st.kind_nomsg == 0,
	      "%s: a spec command sent as the wrong kind (NLM_F_DUMP on a do op, none on a dump op, the"
	      " status-ntf event) is refused with a message (%u were refused by genetlink without one)",
	      label, st.kind_nomsg);
	check(st.unmapped == 0, "%s: every refusal has an errno the contract's HRESULT table maps (%u did not)",
	      label, st.unmapped);
	check(st.other_accepted == 0 && st.other_wrong == 0 && st.other_sent > 0,
	      "%s: no request naming another socket's session was served: %u sent, %u served, %u refused with another errno than ENOENT",
	      label, st.other_sent, st.other_accepted, st.other_wrong);
	check(st.closed_accepted == 0 && st.double_hold == 0,
	      "%s: no request naming a closed session was served (%u sent, %u served), no target was held by two sessions (%u times)",
	      label, st.closed_sent, st.closed_accepted, st.double_hold);
	check(!st.tainted, "%s: the kernel's taint flags did not change (%lu -> %lu)", label, st.taint_from,
	      st.tainted ? st.taint_to : st.taint_from);
}

/* The targets must not outlive the fuzzer, however it ends. */
static void stop_targets(void)
{
	int i;

	for (i = 0; i < NTARGETS; i++)
		if (T[i].t.pid > 0)
			kill(T[i].t.pid, SIGKILL);
}

static void on_signal(int sig)
{
	stop_targets();
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	unsigned int count, seconds, seed, i;
	const char *label;
	uint64_t t0, ms;
	unsigned long moved;
	int r, ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 6)
		return fprintf(stderr, "usage: fuzz COUNTER-TARGET DIR COUNT SECONDS SEED [LABEL]\n"), 2;
	count = (unsigned int)strtoul(argv[3], NULL, 0);
	seconds = (unsigned int)strtoul(argv[4], NULL, 0);
	seed = (unsigned int)strtoul(argv[5], NULL, 0);
	label = argc > 6 ? argv[6] : "fuzz";
	rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed << 17 | seed);
	is_root = geteuid() == 0;
	if (relay_output())
		return printf("not ok 1 - %s: set up output\n", label), 1;
	printf("# %s: seed %u (replay: KMDUMP_FUZZ_SEED=%u; this part: fuzz %s %s %u %u %u %s)\n", label,
	       seed, seed, argv[1], argv[2], count, seconds, seed, label);
	find_task_size();
	if (start_watcher(label, seed))
		return printf("not ok 1 - %s: start the watcher\n", label), 1;
	atexit(stop_targets);
	atexit(exiting);
#if defined(__SANITIZE_ADDRESS__)
	/* the targets' blocked threads would pin the module */
	__sanitizer_set_death_callback(stop_targets);
#endif
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	if (setup_world(argv[1], argv[2]))
		return printf("not ok 1 - %s: set up the targets and descriptors (%s)\n", label,
			      strerror(errno)), 1;
	if (sock_open(&A) || sock_open(&B) || resolve_family())
		return printf("not ok 1 - %s: resolve the family %s\n", label, KMDUMP_FAMILY_NAME), 1;
	printf("# targets %d %d %d, TASK_SIZE_MAX 0x%llx, family %u\n", (int)T[0].t.pid, (int)T[1].t.pid,
	       (int)T[2].t.pid, (unsigned long long)task_size_max, family);
	st.taint_from = read_taint();
	t0 = now_ms();
	r = fuzz(count, seconds);
	ms = now_ms() - t0;
	close(A.fd);
	close(B.fd);
	report(label, seed, count, seconds, ms, r);
	check(after_check(),
	      "%s: after fuzzing, a new socket opens a session, reads the target's memory correctly and closes it",
	      label);
	ok = 1;
	for (i = 0; i < NTARGETS; i++) {
		counter_mark(&T[i].t);
		if (counter_all_move_within(&T[i].t, now_ms(), 10000, &moved) < 0) {
			printf("# target %d: %lu of 4 threads counted within 10 s\n", (int)T[i].t.pid, moved);
			ok = 0;
		}
	}
	check(ok, "%s: every target runs: all their threads count", label);
	for (i = 0; i < NTARGETS; i++)
		counter_stop(&T[i].t);
	return tap_done();
}
