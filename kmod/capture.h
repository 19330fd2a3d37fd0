/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmdump capture engine: the interface between the session layer (kmod-core)
 * and the code that freezes a target and captures its state.
 *
 * Who calls what, and from where
 * ------------------------------
 * - Requester context (the genl doit): only resolve what depends on the
 *   caller (the pid in the caller's pid namespace, the proof-of-access mem
 *   file and its mm, output files by fd) and fill a struct kmd_target.
 *   Nothing in this header may be called from a doit except kmd_target_*()
 *   helpers, because every other entry point can sleep for up to its deadline.
 * - Session worker (a kthread or an unbound workqueue item owned by the
 *   session layer): kmd_capture_new(), kmd_capture_freeze(),
 *   kmd_capture_snapshot(), kmd_mem_read_to_file(), kmd_mem_read_buf(),
 *   kmd_kdump_write(), kmd_capture_thaw(), kmd_capture_free().
 *   One worker at a time per capture: the engine does not lock against
 *   concurrent calls on the same struct kmd_capture, except for
 *   kmd_capture_cancel(), kmd_capture_thaw() and kmd_capture_pause_ns(),
 *   which any context that may sleep (thaw) or any context at all (cancel,
 *   pause_ns) may call at any time, e.g. from a NETLINK_URELEASE notifier
 *   (cancel only: it does not sleep) or from the watchdog.
 *
 * Lifetime
 * --------
 * - struct kmd_capture is created by kmd_capture_new() and destroyed by
 *   kmd_capture_free(), which thaws first if needed. The session layer
 *   refcounts its own session; it calls kmd_capture_free() exactly once, when
 *   its last reference goes.
 * - Per-thread park works outlive the capture: task_work cannot be cancelled,
 *   so each queued work holds its own reference (and a module reference) until
 *   its callback has run, possibly long after kmd_capture_free(). A callback
 *   whose capture has been thawed returns at once. rmmod is therefore refused
 *   while a thread that was blocked during a capture has not yet returned to
 *   user mode (or exited); that is intended.
 * - The snapshot (struct kmd_snapshot) belongs to the capture and is valid
 *   from a successful kmd_capture_snapshot() until kmd_capture_free(); it is
 *   never modified after kmd_capture_snapshot() returns, so any number of
 *   netlink dump callbacks may read it concurrently while they hold a
 *   reference to the session.
 *
 * Locks: the engine takes no lock of its own across calls (park state and
 * freeze counters are atomics with release/acquire ordering). It takes the
 * target's mmap_lock for read, alone and for a bounded time (trylock
 * polling), never while writing to an output file; task_lock and mm->arg_lock
 * only around field reads. The session layer may hold its own per-session
 * mutex around every call (it does: io_lock -> mmap_lock, io_lock -> the
 * output file's locks), but must not hold a spinlock.
 *
 * Memory accounting
 * -----------------
 * Every allocation the engine makes for a capture is charged to
 * kmd_capture.mem_used and refused with -EDQUOT once it would pass
 * kmd_capture.mem_limit (set by the session layer from its per-session
 * limit). -EDQUOT from any entry point therefore means "the session memory
 * limit was reached" (E_NOT_ENOUGH_QUOTA in the shared table). Memory
 * reads stream through one fixed bounce buffer and charge only that.
 *
 * Errors: every entry point returns 0 or a negative errno; the session layer
 * maps it through the shared errno->HRESULT table. Engine-specific meanings:
 *   -ETIMEDOUT  the deadline passed (freeze: some thread never parked; the
 *               capture stays usable, that thread is reported with
 *               KMDUMP_THREAD_FREEZE_NOT_PARKED)
 *   -ECANCELED  kmd_capture_cancel() was called
 *   -ESRCH      the target exited or exec'd (its mm is no longer the
 *               authorised one)
 *   -EDQUOT     the per-session or per-user memory limit would be exceeded
 *               (c->limit_msg says which)
 *   -EAGAIN     a park-work limit was reached (c->limit_msg says which)
 *   -EACCES     the target exec'd or changed credentials during the freeze
 *   -E2BIG      a fixed bound below was passed (KMD_MAX_THREADS, ...)
 */
#ifndef KMDUMP_CAPTURE_H
#define KMDUMP_CAPTURE_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/sched.h>
#include <linux/path.h>
#include "kmdump.h"

struct file;
struct pid;
struct pid_namespace;
struct user_namespace;
struct mm_struct;
struct task_struct;

/* Bounds: what a single snapshot may hold. Past them capture fails with
 * -E2BIG rather than silently truncating.
 */
#define KMD_MAX_THREADS		65536
#define KMD_MAX_VMAS		262144	/* well above vm.max_map_count's default */
#define KMD_MAX_KFRAMES		64	/* kernel stack frames per thread */
#define KMD_MAX_CMDLINE		(128 * 1024)
#define KMD_MAX_ENVIRON		(128 * 1024)
#define KMD_MAX_AUXV		4096
#define KMD_FREEZE_ROUNDS	16	/* rescans for threads cloned meanwhile */
#define KMD_BUILD_ID_MAX	64	/* kdump.c: longer GNU build ids are refused */

/* What the session layer resolved in the requester's context. */
struct kmd_target {
	struct pid *pid;		/* the thread group's pid (ref held by caller) */
	struct mm_struct *mm;		/* the authorised mm (mmgrab held by caller) */
	struct pid_namespace *ns;	/* requester's pid ns (ref held by caller) */
	/* requester's user ns for uids/gids (ref held by caller; NULL: init) */
	struct user_namespace *user_ns;
	/* excluded from the freeze if in the group; only compared (ref held by caller) */
	struct task_struct *requester;
	/* requester's root directory: paths are reported relative to it (ref held) */
	struct path root;
};

/* Capture options (bit flags). */
#define KMD_CAP_ENVIRON		BIT(0)	/* copy the environment block */
/* symbolized kernel stacks (the caller checked CAP_SYS_ADMIN and lockdown) */
#define KMD_CAP_KSTACKS		BIT(1)

/*
 * Wire-visible values (thread freeze outcome, scheduler state, thread flags,
 * VMA flags and skip reasons) are the uapi enums of netlink/kmdump.h:
 * enum kmdump_thread_freeze, kmdump_thread_state, kmdump_thread_flags,
 * kmdump_vma_flags, kmdump_vma_skip. The engine uses them directly.
 */

struct kmd_thread {
	pid_t tid;			/* in the requester's pid ns, 0 if invisible */
	char comm[TASK_COMM_LEN];
	u32 status;			/* enum kmdump_thread_freeze */
	u32 state;			/* enum kmdump_thread_state at capture time */
	u32 flags;			/* enum kmdump_thread_flags */
	u64 sp, ip;
	s64 syscall_nr;			/* KMDUMP_THREAD_FLAGS_IN_SYSCALL */
	u64 syscall_args[6];
	u64 debugreg[8];		/* DR0-3, 0, 0, DR6, DR7 */
	void *gpregs;			/* NT_PRSTATUS payload (user_regs_struct) */
	u32 gpregs_len;
	void *fpregs;			/* NT_PRFPREG payload (512-byte FXSAVE) */
	u32 fpregs_len;
	void *xstate;			/* NT_X86_XSTATE payload (UABI XSAVE) */
	u32 xstate_len;
	/* Kernel stack: kframes NUL-terminated strings "func+0x1a/0x40 [mod]",
	 * packed back to back in kstack (kstack_len bytes in all).
	 */
	char *kstack;
	u32 kstack_len;
	u32 kframes;
	/* Wait channel: the first frame outside the scheduler, as a function
	 * name (no offset) at kstack + wchan_off, wchan_len bytes, not
	 * NUL-terminated; wchan_len 0 when unknown.
	 */
	u32 wchan_off, wchan_len;
	u64 utime_ns, stime_ns;
	u64 start_boottime_ns;
	u32 on_cpu;			/* CPU last run on */
	s32 prio, nice;
	u64 nvcsw, nivcsw;
	/* engine-private */
	struct task_struct *task;	/* ref held until kmd_capture_free */
	const struct cred *cred;	/* the credentials authorised (ref held) */
	struct kmd_park *park;		/* NULL when no work was queued */
};

#define KMD_VMA_NOREAD_MASK	(KMDUMP_VMA_FLAGS_IO | KMDUMP_VMA_FLAGS_UFFD | \
				 KMDUMP_VMA_FLAGS_DONTDUMP)

struct kmd_vma {
	u64 start, end;
	u64 pgoff;		/* file offset in bytes */
	u64 inode;
	u32 dev_major, dev_minor;
	u32 flags;		/* enum kmdump_vma_flags */
	u32 skip;		/* enum kmdump_vma_skip */
	/* path from the requester's root, "[stack]", ... or NULL (also for a
	 * file outside the requester's root: its device and inode only)
	 */
	const char *path;
	u32 path_len;		/* strlen(path) */
};

struct kmd_ids {
	u32 uid, euid, suid, fsuid;
	u32 gid, egid, sgid, fsgid;
};

struct kmd_procinfo {
	pid_t pid, tgid, ppid, tracer_pid;	/* requester's pid ns */
	char comm[TASK_COMM_LEN];
	struct kmd_ids ids;			/* in the requester's user ns */
	u64 start_boottime_ns;			/* identity key with the pid */
	u64 start_realtime_ns;			/* wall clock at process start */
	u32 nr_threads;				/* signal->nr_threads at capture */
	u32 umask;
	u32 state;		/* the leader's, enum kmdump_thread_state */
	u64 vm_peak_kb, vm_size_kb, vm_rss_kb, vm_hwm_kb, vm_data_kb,
	    vm_stk_kb, vm_exe_kb, vm_lib_kb, vm_pte_kb, vm_swap_kb;
	u64 start_code, end_code, start_data, end_data;
	u64 start_brk, brk, start_stack, arg_start, arg_end, env_start, env_end;
	u64 sig_pending, sig_shared, sig_blocked_leader;
	u32 dumpable;
	char *cmdline;		/* raw NUL-separated bytes */
	u32 cmdline_len;
	char *environ;		/* only with KMD_CAP_ENVIRON */
	u32 environ_len;
	u64 *auxv;		/* raw Elf64_auxv_t pairs, ending with AT_NULL */
	u32 auxv_len;		/* bytes */
	char *exe_path;
	u32 exe_path_len;
};

struct kmd_snapshot {
	struct kmd_procinfo proc;
	struct kmd_thread *threads;
	u32 nr_threads;
	struct kmd_vma *vmas;
	u32 nr_vmas;
	char *strings;		/* arena holding every VMA path */
	u32 strings_len;	/* arena size in bytes */
};

/* Freeze state: struct kmd_freeze is private to freeze.c and refcounted,
 * because park works can run after their capture is freed.
 */
struct kmd_freeze;
struct kmd_park;

struct kmd_user;

struct kmd_capture {
	struct kmd_target target;
	u32 opts;			/* KMD_CAP_* */
	atomic_t cancel;		/* set by kmd_capture_cancel() */
	u64 mem_limit;			/* bytes; 0 = unlimited */
	atomic64_t mem_used;
	struct kmd_user *user;		/* charged too (user_mem_max_mb); may be NULL */
	/* why a limit refused the capture (names the module parameter) */
	const char *limit_msg;
	u64 hold_limit_ns;		/* a parked thread resumes by itself after this */
	struct kmd_freeze *fz;		/* lock order: see top of file */
	struct kmd_snapshot snap;
	bool have_snap;
	/* engine-private */
	u32 threads_cap;		/* allocated entries in snap.threads */
	u32 vmas_cap;			/* allocated entries in snap.vmas */
	u32 freeze_rounds;		/* thread-list scans the freeze needed */
	u32 parks;			/* works queued or re-pointed (max_parks_per_target) */
};

/* --- lifecycle (session worker) --- */

/**
 * kmd_capture_new() - allocate a capture for a target
 * @t: the target; no references of its own are taken on its members: the
 *     caller keeps them until kmd_capture_free()
 * @opts: KMD_CAP_*
 * @mem_limit: per-session byte limit (0: none)
 * @hold_limit_ns: the longest a parked thread waits for the thaw before it
 *     resumes by itself (a backstop below the session watchdog; 0: 30 s). The
 *     session layer should pass its watchdog plus a margin.
 *
 * Return: the capture, or NULL when out of memory.
 */
struct kmd_capture *kmd_capture_new(const struct kmd_target *t, u32 opts,
				    u64 mem_limit, u64 hold_limit_ns);

/**
 * kmd_capture_target_changed() - did the target change since it was authorised?
 * @c: the capture
 *
 * A target that exec'd, or one of whose threads changed credentials, is
 * released at once (freeze.c) and its session must fail. Any context that may
 * take rcu_read_lock().
 *
 * Return: true when the target exec'd or a thread changed credentials.
 */
bool kmd_capture_target_changed(struct kmd_capture *c);

/**
 * kmd_capture_freeze() - hold every thread of the target (DESIGN decision 2)
 * @c: the capture
 * @timeout_ns: bound on the whole freeze, rescans included
 *
 * Return: 0 when every thread is parked or blocked, -ETIMEDOUT when some
 * thread did not park in time (the others stay held; kmd_capture_snapshot
 * reports the stragglers), -ESRCH if the target is gone or exec'd, or
 * -ECANCELED. On any error other than -ETIMEDOUT the target is already thawed.
 */
int kmd_capture_freeze(struct kmd_capture *c, u64 timeout_ns);

/**
 * kmd_capture_snapshot() - capture the frozen target into c->snap
 * @c: the capture; kmd_capture_freeze() must have returned 0 or -ETIMEDOUT
 *
 * Captures the process facts, the threads (registers, syscall, stack pointer,
 * kernel stacks with KMD_CAP_KSTACKS), the VMAs and the mapped files.
 *
 * Return: 0, or a negative errno (-EDQUOT when a limit was hit).
 */
int kmd_capture_snapshot(struct kmd_capture *c);

/** kmd_capture_thaw() - release the target. Idempotent; may sleep briefly. */
void kmd_capture_thaw(struct kmd_capture *c);

/** kmd_capture_cancel() - make running and future engine calls stop with
 * -ECANCELED. Atomic context safe; does not thaw.
 */
void kmd_capture_cancel(struct kmd_capture *c);

/** kmd_capture_free() - thaw if needed and free everything. Worker context. */
void kmd_capture_free(struct kmd_capture *c);

/** Freeze duration: from freeze start until every thread was held. */
u64 kmd_capture_freeze_ns(const struct kmd_capture *c);
/** Pause so far: from freeze start until now, or until thaw. */
u64 kmd_capture_pause_ns(const struct kmd_capture *c);
/** Parked threads that gave up waiting (hold limit) before the thaw. */
u32 kmd_capture_self_released(const struct kmd_capture *c);

/* --- memory reads (session worker, target frozen or not) --- */

struct kmd_mem_range {
	u64 addr;		/* in: target virtual address */
	u64 len;		/* in: bytes (<= KMD_MEM_RANGE_MAX) */
	u64 file_off;		/* in: where addr's byte goes in the file */
	s32 status;		/* out: 0 all read, -EFAULT partly/none, ... */
	u64 bytes_read;		/* out: bytes written to the file */
};

#define KMD_MEM_RANGE_MAX	BIT_ULL(40)

/*
 * Called once per contiguous extent of a range that could not be read (after
 * coalescing neighbouring pages with the same reason). @reason is a
 * negative errno: -EFAULT unmapped or unreadable, -EIO VM_IO/PFNMAP,
 * -EPERM DONTDUMP, -EDEADLK userfaultfd-armed, -ENOMEM/-EINTR transient.
 */
typedef void (*kmd_read_fail_fn)(void *arg, u32 range_idx, u64 addr, u64 len,
				 int reason);

/**
 * kmd_mem_read_to_file() - read target memory into a file
 * @c: the capture
 * @ranges: what to read; each range's results are filled in
 * @nr: number of @ranges
 * @out: a regular file opened for writing
 * @fail: called for each unreadable extent
 * @arg: passed to @fail
 *
 * Each range's bytes are kernel_write()n to @out at range->file_off +
 * (addr - range->addr). Bytes that cannot be read are not written (the caller
 * learns exactly which through @fail) and the next readable byte is written
 * at its own offset.
 *
 * Return: 0 if the call completed (per-range results are in @ranges), or a
 * negative errno that stopped it early (-ECANCELED, -ESRCH, a write error;
 * ranges not reached have status -ECANCELED).
 */
int kmd_mem_read_to_file(struct kmd_capture *c, struct kmd_mem_range *ranges,
			 u32 nr, struct file *out, kmd_read_fail_fn fail,
			 void *arg);

/**
 * kmd_mem_read_buf() - read target memory into a buffer
 * @c: the capture
 * @addr: target virtual address
 * @buf: where the bytes go
 * @len: bytes to read (at most 1 MiB)
 * @fail: called for each unreadable extent (range_idx 0)
 * @arg: passed to @fail
 *
 * Unreadable bytes are zero-filled.
 *
 * Return: the number of bytes actually read from the target, or a negative
 * errno (-ESRCH, -ECANCELED, -EINVAL).
 */
long kmd_mem_read_buf(struct kmd_capture *c, u64 addr, void *buf, u32 len,
		      kmd_read_fail_fn fail, void *arg);

/* --- kernel dump (session worker; caller checked CAP_SYS_ADMIN/lockdown) --- */

/**
 * kmd_kdump_write() - write a kernel minidump (MDMP, see kdump.c for the streams)
 * @c: the capture whose threads are dumped; NULL: every task on the system
 * @ns: the pid namespace pids are reported in
 * @out: the file, written from offset 0
 * @cancel: polled between tasks (may be NULL)
 *
 * Return: 0 or a negative errno; on error the file content is not a valid
 * dump (the header is written last).
 */
int kmd_kdump_write(struct kmd_capture *c, struct pid_namespace *ns,
		    struct file *out, atomic_t *cancel);

/* --- building blocks shared between engine files (not for the session layer) --- */

int kmd_mem_charge(struct kmd_capture *c, u64 bytes);
void kmd_mem_uncharge(struct kmd_capture *c, u64 bytes);
void *kmd_alloc(struct kmd_capture *c, size_t size);	/* charged kvzalloc */
void kmd_free(struct kmd_capture *c, void *p, size_t size);
/* Records which limit refused the capture: @msg names its module parameter. */
static inline void kmd_limit_hit(struct kmd_capture *c, const char *msg)
{
	c->limit_msg = msg;
}

static inline bool kmd_cancelled(const struct kmd_capture *c)
{
	return atomic_read(&c->cancel) != 0;
}

#endif /* KMDUMP_CAPTURE_H */
