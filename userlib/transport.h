/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * transport: the library's one client of the kmdump generic netlink family
 * (netlink/kmdump.yaml), on libnl-3/libnl-genl-3. Everything else in the
 * library (the source adapter, the callback engine) and the e2e test client
 * talk to the module through this API only.
 *
 * Model
 * - struct kmd_tr is one request socket. A session belongs to the socket that
 *   opened it: every call naming a session must use the same kmd_tr, and
 *   closing the kmd_tr ends its sessions (the module thaws the target). One
 *   kmd_tr is not thread-safe; use one per thread (or per dump).
 * - Every call returns an HRESULT. Failures reported by the module come back
 *   as their errno mapped through the contract's one table, and the module's
 *   extended-ack text is kept: kmd_tr_errmsg() says what was wrong and what
 *   to do. S_FALSE means "done, but not everything was captured".
 * - Dumps (threads, VMAs, memory) call a function per item with a
 *   view valid only during the call; a non-zero return stops the walk (the
 *   rest is drained) and the call returns E_ABORT.
 * - Events (struct kmd_tr_events) are a separate socket joined to the
 *   admin-only "status" group (CAP_SYS_ADMIN); sessions of other sockets are
 *   reported there too: filter by session_id.
 */
#ifndef KMDUMP_TRANSPORT_H
#define KMDUMP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <kmdump/hresult.h>

struct kmd_tr;
struct kmd_tr_events;

/*
 * kmd_tr_open() - connect and resolve the family. Fails with
 * HRESULT_FROM_WIN32(ERROR_NOT_FOUND) and a message naming the module to load
 * when the kmdump module is not loaded.
 */
HRESULT kmd_tr_open(struct kmd_tr **out);
void kmd_tr_close(struct kmd_tr *tr);
/* Text of the last failure on @tr (the module's extended ack, or ours). */
const char *kmd_tr_errmsg(const struct kmd_tr *tr);
/* The socket's netlink port id (the owner id of its sessions). */
uint32_t kmd_tr_port(const struct kmd_tr *tr);
/* Replace the socket's receive buffer size (bytes; default libnl's). */
HRESULT kmd_tr_set_rcvbuf(struct kmd_tr *tr, int bytes);

struct kmd_tr_session {
	HRESULT hr;		/* S_OK, or S_FALSE when a thread never parked */
	uint32_t session_id;
	uint32_t pid;		/* in the caller's pid namespace */
	uint32_t threads, vmas;
	uint64_t freeze_ns;	/* freeze + snapshot */
	uint64_t pause_ns;	/* target paused so far */
};

/*
 * kmd_tr_session_open() - freeze @pid and snapshot it. @mem_fd is an open
 * /proc/<pid>/mem (the proof of access); @capture_flags are
 * KMDUMP_CAPTURE_FLAGS_*; @watchdog_ms 0 means the module's default.
 */
HRESULT kmd_tr_session_open(struct kmd_tr *tr, uint32_t pid, int mem_fd,
			    uint32_t capture_flags, uint32_t watchdog_ms,
			    struct kmd_tr_session *out);
/* State of a session; also re-arms its watchdog (a keep-alive). */
HRESULT kmd_tr_session_get(struct kmd_tr *tr, uint32_t session_id,
			   struct kmd_tr_session *out);
/* End a session and thaw; @pause_ns (may be NULL) gets the total pause. */
HRESULT kmd_tr_session_close(struct kmd_tr *tr, uint32_t session_id, uint64_t *pause_ns);

struct kmd_tr_process {
	HRESULT hr;
	uint32_t pid, tgid, ppid, tracer_pid, threads, flags;	/* flags: KMDUMP_PROCESS_FLAGS_* */
	char comm[16];
	uint32_t uid[4], gid[4];	/* real, effective, saved, fs */
	uint64_t start_time_ns, start_realtime_ns, vm_size, vm_rss;
	uint64_t arg_start, arg_end, env_start, env_end;
	/* the facts of /proc/<pid>/status (proc_status.c formats them); sizes in bytes */
	uint32_t umask, state;	/* state: the leader's KMDUMP_THREAD_STATE_* */
	uint64_t vm_peak, vm_hwm, vm_data, vm_stk, vm_exe, vm_lib, vm_pte, vm_swap;
	uint64_t sig_pending, sig_shared_pending, sig_blocked;
	/* malloc'd; free with kmd_tr_process_free() */
	char *exe_path;
	void *cmdline, *environ, *auxv;
	size_t cmdline_len, environ_len, auxv_len;
};

HRESULT kmd_tr_process_get(struct kmd_tr *tr, uint32_t session_id, struct kmd_tr_process *out);
void kmd_tr_process_free(struct kmd_tr_process *p);

#define KMD_TR_MAX_FRAMES 64

struct kmd_tr_thread {
	HRESULT hr;
	uint32_t tid, freeze, state, flags, cpu;	/* KMDUMP_THREAD_FREEZE_/STATE_/FLAGS_* */
	char comm[16];
	const void *regs, *fpregs, *xstate, *debugregs;	/* NULL when absent */
	uint32_t regs_len, fpregs_len, xstate_len, debugregs_len;
	int64_t syscall_nr;
	const uint64_t *syscall_args;	/* six, or NULL when not in a syscall */
	uint64_t sp;
	uint64_t utime_ns, stime_ns, start_time_ns;
	int32_t prio, nice;
	const char *kframes[KMD_TR_MAX_FRAMES];	/* symbolized, innermost first */
	const char *wchan;	/* where a blocked thread waits; NULL when not reported */
	uint32_t nkframes;
};

struct kmd_tr_vma {
	HRESULT hr;
	uint64_t start, end, pgoff, inode;
	uint32_t flags, skip, dev_major, dev_minor;	/* KMDUMP_VMA_FLAGS_*, KMDUMP_VMA_SKIP_* */
	const char *path;	/* NULL for anonymous memory */
};

typedef int (*kmd_tr_thread_fn)(void *arg, const struct kmd_tr_thread *t);
typedef int (*kmd_tr_vma_fn)(void *arg, const struct kmd_tr_vma *v);

HRESULT kmd_tr_threads(struct kmd_tr *tr, uint32_t session_id, kmd_tr_thread_fn fn, void *arg);
HRESULT kmd_tr_vmas(struct kmd_tr *tr, uint32_t session_id, kmd_tr_vma_fn fn, void *arg);

/* Memory. A range's bytes go to file offset @offset (reads to a descriptor only). */
struct kmd_tr_range {
	uint64_t addr, len, offset;
};

struct kmd_tr_extent {
	uint64_t addr, len;
	HRESULT hr;	/* why it was not read (the piece's hr from a module that does not say) */
};

#define KMD_TR_MAX_EXTENTS 80

/*
 * One piece of a range: [addr, addr+len) of ranges[range_index]. Pieces of a
 * range arrive in order; the last one ends at the range's end. @hr is S_OK or
 * HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY) with the unreadable extents listed
 * (their bytes were not written / are zero in @data).
 */
struct kmd_tr_piece {
	HRESULT hr;
	uint32_t range_index;
	uint64_t addr, len, done;
	const struct kmd_tr_extent *failed;
	uint32_t nfailed;
	const void *data;	/* kmd_tr_read() only */
	uint32_t data_len;
};

typedef int (*kmd_tr_piece_fn)(void *arg, const struct kmd_tr_piece *p);

/* Read @n ranges straight into @fd (a regular file open for writing, not O_APPEND). */
HRESULT kmd_tr_read_to_fd(struct kmd_tr *tr, uint32_t session_id, int fd,
			  const struct kmd_tr_range *ranges, size_t n,
			  kmd_tr_piece_fn fn, void *arg);
/* Read @n ranges into netlink messages (offsets are ignored). */
HRESULT kmd_tr_read(struct kmd_tr *tr, uint32_t session_id,
		    const struct kmd_tr_range *ranges, size_t n, kmd_tr_piece_fn fn, void *arg);
/*
 * Read [addr, addr+len) into @buf. S_OK when every byte was read, else
 * ERROR_PARTIAL_COPY with *done = readable bytes from the start (unreadable
 * bytes of @buf are zero), or the failure.
 */
HRESULT kmd_tr_read_buf(struct kmd_tr *tr, uint32_t session_id, uint64_t addr,
			void *buf, size_t len, size_t *done);

/*
 * kmd_tr_kernel_dump() - start a kernel minidump into @fd: of the session's
 * target, or of the whole system with @session_id 0 (CAP_SYS_ADMIN). It runs
 * asynchronously: *job_id names it in the kernel-dump-finished status event,
 * which carries the final HRESULT (kmd_tr_events_wait_kdump()).
 */
HRESULT kmd_tr_kernel_dump(struct kmd_tr *tr, uint32_t session_id, int fd, uint32_t *job_id);

struct kmd_tr_event {
	HRESULT hr;
	uint32_t type;		/* KMDUMP_EVENT_TYPE_* */
	uint32_t session_id, pid, requester_pid;	/* pids: initial pid namespace */
	uint64_t freeze_ns, pause_ns, addr, len, bytes;
};

/* Join the status group (E_ACCESSDENIED without CAP_SYS_ADMIN). */
HRESULT kmd_tr_events_open(struct kmd_tr_events **out);
void kmd_tr_events_close(struct kmd_tr_events *ev);
int kmd_tr_events_fd(const struct kmd_tr_events *ev);	/* for poll() */
/*
 * Next event, waiting up to @timeout_ms (-1: forever). S_FALSE on timeout.
 * Events lost to a full socket buffer give HRESULT_FROM_WIN32(
 * ERROR_NOT_ENOUGH_MEMORY): resynchronise with kmd_tr_session_get().
 */
HRESULT kmd_tr_events_next(struct kmd_tr_events *ev, struct kmd_tr_event *out, int timeout_ms);
/* Wait for the kernel-dump-finished event of @job_id; *status gets its HRESULT. */
HRESULT kmd_tr_events_wait_kdump(struct kmd_tr_events *ev, uint32_t job_id,
				 int timeout_ms, HRESULT *status, uint64_t *bytes);

/*
 * kmd_tr_raw() - send @len bytes of generic netlink payload (genl header and
 * attributes, taken verbatim, nothing checked) with @nlmsg_flags, and wait for
 * the answer; replies are counted into *replies and dropped. More than
 * @max_replies replies give E_ABORT and leave the socket unusable (close it).
 * For robustness tests only: the family must survive any such message.
 */
HRESULT kmd_tr_raw(struct kmd_tr *tr, uint16_t nlmsg_flags, const void *payload, size_t len,
		   unsigned int max_replies, unsigned int *replies);

#endif /* KMDUMP_TRANSPORT_H */
