/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process source: what the dump engine needs to know about a captured process.
 * The real source (source_kmod.c) is a thin adapter over the netlink client
 * (transport.c); the unit tests plug in a fake one with synthetic threads, maps,
 * memory with holes and failure injection. Everything the engine decides (callbacks,
 * policy, layout) stays out of the sources.
 */
#ifndef KMDUMP_SOURCE_H
#define KMDUMP_SOURCE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <sys/user.h>
#include <kmdump/hresult.h>

/* Thread facts (flags) */
#define KMD_SRC_T_REGS 0x01u      /* regs valid */
#define KMD_SRC_T_FPREGS 0x02u    /* fxsave valid */
#define KMD_SRC_T_DEBUGREGS 0x04u /* dr[] valid */
#define KMD_SRC_T_KSTACK 0x10u    /* kstack valid */
#define KMD_SRC_T_KSTACK_REFUSED 0x20u
#define KMD_SRC_T_SYSCALL 0x40u   /* syscall_nr valid */

struct kmd_src_thread {
	uint32_t tid;
	char name[16];
	uint32_t facts;         /* KMD_SRC_T_* */
	uint32_t freeze;        /* contract thread-freeze outcome */
	uint32_t sched_state;   /* contract thread-state (scheduler state) */
	uint32_t wire_flags;    /* contract thread-flags, passed through to the dump */
	uint32_t cpu, on_cpu;
	uint64_t nvcsw, nivcsw, start_boottime_ns;
	struct user_regs_struct regs;
	uint8_t fxsave[512];
	uint64_t dr[8];         /* DR0-DR3, -, -, DR6, DR7 */
	int64_t syscall_nr;
	const char *kstack;     /* kframes NUL-terminated strings back to back */
	uint32_t kstack_len, kframes;
	uint64_t utime_ns, stime_ns;
	uint64_t start_realtime_ns; /* 0 if unknown */
	int32_t prio, nice;
	bool exiting;
};

/* VMA protection and facts */
#define KMD_SRC_V_READ 0x01u
#define KMD_SRC_V_WRITE 0x02u
#define KMD_SRC_V_EXEC 0x04u
#define KMD_SRC_V_SHARED 0x08u
#define KMD_SRC_V_NOREAD 0x10u /* the module will not read it (io, dontdump, uffd) */
#define KMD_SRC_V_STACK 0x20u
#define KMD_SRC_V_ANON 0x40u
#define KMD_SRC_V_VDSO 0x80u /* the vDSO (a module, though not a file) */

struct kmd_src_vma {
	uint64_t start, end, pgoff, inode;
	uint32_t dev_major, dev_minor;
	uint32_t flags; /* KMD_SRC_V_* */
	const char *path; /* NULL for anonymous */
};

struct kmd_src_module {
	uint64_t base, size;
	const char *path;
	uint8_t build_id[KMDUMP_BUILD_ID_MAX]; /* GNU build id, from the image in memory */
	uint32_t build_id_len;                  /* 0: none */
};

struct kmd_src_process {
	uint32_t pid, ppid;
	uint64_t start_realtime_ns;
	uint64_t utime_ns, stime_ns;
	uint64_t pause_ns; /* filled by thaw */
};

/* One range of a batched read. */
struct kmd_src_read {
	uint64_t addr;
	void *buf;
	size_t len;
	size_t done;  /* out: bytes read from the start */
	HRESULT hr;   /* out: S_OK when all len bytes were read */
};

struct kmd_blob {
	void *data;
	size_t len;
};

/* Text and binary files the Linux streams carry. */
enum kmd_src_file {
	KMD_FILE_MAPS,
	KMD_FILE_STATUS,
	KMD_FILE_CMDLINE,
	KMD_FILE_ENVIRON,
	KMD_FILE_AUXV,
	KMD_FILE_CPUINFO,
	KMD_FILE_LSB_RELEASE,
	KMD_FILE_COUNT
};

/* Called by a source whenever the module reports a status event for this session. */
typedef void (*kmd_status_fn)(void *arg, HRESULT status);

/* Called by read_ranges for each contiguous run it could not read. */
typedef void (*kmd_fail_fn)(void *arg, uint64_t addr, uint64_t len, HRESULT why);

struct kmd_source_ops {
	/* Freeze the process and capture it (threads, VMAs, modules, process info). */
	HRESULT (*capture)(void *ctx, uint32_t capture_flags);
	HRESULT (*process)(void *ctx, struct kmd_src_process *out);
	/* Arrays owned by the source, valid until close. */
	HRESULT (*threads)(void *ctx, const struct kmd_src_thread **v, size_t *n);
	HRESULT (*vmas)(void *ctx, const struct kmd_src_vma **v, size_t *n);
	HRESULT (*modules)(void *ctx, const struct kmd_src_module **v, size_t *n);
	/*
	 * Read [addr, addr+len) into buf. Returns S_OK when every byte was read; otherwise
	 * the failure HRESULT with *done = the bytes read from the start (the rest of buf
	 * is undefined). len <= 1 MiB.
	 */
	HRESULT (*read)(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done);
	/*
	 * Optional (NULL: not offered): read [addr, addr+len) straight into fd, each
	 * readable byte a at file offset off + (a - addr), without passing through this
	 * process. Unreadable runs are not written; each is reported through fail, in
	 * address order. S_OK when the call completed (failures included), else why not.
	 */
	HRESULT (*read_to_fd)(void *ctx, int fd, uint64_t addr, uint64_t len, uint64_t off,
			      kmd_fail_fn fail, void *arg);
	/*
	 * Optional (NULL: not offered): read n ranges in one request, each with its own
	 * result. Returns S_OK when the request completed (per-range results set).
	 */
	HRESULT (*read_batch)(void *ctx, struct kmd_src_read *r, size_t n);
	/* A Linux stream's content (malloc'd into out), or an error when unavailable. */
	HRESULT (*file)(void *ctx, enum kmd_src_file which, struct kmd_blob *out);
	/* Write a kernel minidump of the target's threads to fd; returns its HRESULT. */
	HRESULT (*kernel_dump)(void *ctx, int fd);
	/* Release the target (idempotent); fills pause time into the next process(). */
	void (*thaw)(void *ctx);
	void (*close)(void *ctx);
};

#define KMD_CAPTURE_ENVIRON 0x1u
#define KMD_CAPTURE_KSTACKS 0x2u
#define KMD_CAPTURE_DEBUGREGS 0x4u

struct kmd_source {
	const struct kmd_source_ops *ops;
	void *ctx;
	/* set by the engine before capture; sources call it for status events */
	kmd_status_fn on_status;
	void *status_arg;
};

/*
 * Fill each module's build id from the ELF notes at its base, read through src's own
 * reads (module_ids.c); a module without one gets build_id_len 0. Sources whose module
 * list comes without build ids call it from capture. Fails only when out of memory.
 */
HRESULT kmd_src_find_build_ids(const struct kmd_source *src, struct kmd_src_module *v,
			       size_t n);

#endif /* KMDUMP_SOURCE_H */
