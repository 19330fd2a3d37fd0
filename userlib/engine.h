/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dump engine: one struct eng per dump, shared by the files that build it.
 *   engine.c   the callback sequence (the order documented in kmdump.h)
 *   dispatch.c failures, the caller's callback and cancel polls, for every part
 *   sink.c     where bytes go: pwrite on the descriptor or IoWriteAll callbacks
 *   ranges.c   sets of address ranges (blocks to dump, cuts)
 *   memread.c  reads of target memory (VmPreRead/VmPostRead, ReadMemoryFailure)
 *   policy.c   dump type flags: validation and which memory each flag adds
 *   streams.c  the MDMP streams
 *   directory.c the directory and header, written last
 *   context.c  AMD64 CONTEXT from Linux registers
 *   sysinfo.c  SystemInfo and MiscInfo facts about this machine
 */
#ifndef KMDUMP_ENGINE_H
#define KMDUMP_ENGINE_H

#include <time.h>
#include <kmdump/kmdump.h>
#include <kmdump/minidumpapiset.h>
#include <kmdump/streams.h>
#include "source.h"

#define KMD_PAGE 4096ull
#define KMD_DEFAULT_STACK (32u * 1024u)
#define KMD_IP_WINDOW 256u
#define KMD_READ_CHUNK (1024u * 1024u)
#define KMD_CONTEXT_BLOB 1248u /* 1232-byte CONTEXT + 16 zero bytes (lldb) */
#define KMD_MAX_DIRECTORY 64u
#define KMD_MAX_USER_STREAMS (KMD_MAX_DIRECTORY - 24) /* beside our 19 and spare */

/* Internal arguments: the public API and MiniDumpWriteDump both end up here. */
struct kmd_dump_args {
	uint32_t pid;
	int pidfd;
	int fd;
	uint32_t dump_type;
	uint32_t flags; /* KMDUMP_FLAG_* */
	const struct kmdump_exception *exception;
	/* Windows form (MiniDumpWriteDump); with ClientPointers it is read from the target */
	const MINIDUMP_EXCEPTION_INFORMATION *win_exception;
	const struct kmdump_user_stream *user_streams;
	uint32_t user_stream_count;
	kmdump_callback_fn callback;
	void *callback_param;
	uint64_t max_size;
	uint32_t stack_limit;
	time_t now; /* TimeDateStamp; tests pin it */
};

struct kmd_range {
	uint64_t start, end;
};

struct kmd_ranges {
	struct kmd_range *v;
	size_t n, cap;
};

struct eng_thread {
	const struct kmd_src_thread *src;
	uint32_t flags;   /* THREAD_WRITE_FLAGS */
	CONTEXT *ctx;     /* 16-byte aligned */
	uint64_t stack_lo, stack_hi; /* range to write; lo == hi: none */
	uint8_t *stack;   /* its bytes, read after ThreadCallback */
	uint64_t stack_rva, stack_written;
	uint64_t ctx_rva;
	uint64_t teb;
	bool excluded;
};

struct eng_module {
	const struct kmd_src_module *src;
	uint32_t flags; /* MODULE_WRITE_FLAGS */
	bool excluded, referenced;
	uint8_t cv[4 + KMDUMP_BUILD_ID_MAX];
	uint32_t cv_len;
	uint16_t *wpath; /* UTF-16, NUL-terminated */
	uint32_t wpath_units;
};

/* A written memory range, for the MemoryList / Memory64List tables. */
struct eng_desc {
	uint64_t start, size, rva;
};

struct eng_descs {
	struct eng_desc *v;
	size_t n, cap;
};

struct eng_dir {
	uint32_t type, size;
	uint64_t rva;
};

struct eng {
	const struct kmd_dump_args *a;
	struct kmd_source *src;
	struct kmdump_result *res;
	HRESULT err;

	/* negotiated by the first callbacks */
	bool polling, vm_on, io_redirect;
	uint32_t secondary;

	/* output */
	int64_t base;      /* fd offset where the dump starts */
	uint64_t end;      /* next free offset */
	uint64_t cap;      /* size cap, UINT64_MAX for none */
	uint64_t tail;     /* bytes still to come after the memory being written */
	bool capped;       /* the cap has left memory out; write no more */
	uint64_t hiwater;  /* highest offset written (direct reads may leave bytes past end) */
	bool header_written;

	/* the process */
	struct kmd_src_process proc;
	const struct kmd_src_thread *sthreads;
	size_t nthreads;
	const struct kmd_src_vma *vmas;
	size_t nvmas;
	const struct kmd_src_module *smodules;
	size_t nmodules;

	struct eng_thread *threads;
	struct eng_module *modules;
	struct kmd_ranges blocks;   /* MemoryList blocks besides stacks */
	struct kmd_ranges module_spans; /* [base, base+size) of every module */
	struct kmd_ranges stack_spans;  /* the stack range of every written thread */
	size_t *mod_order;          /* module indexes sorted by base */
	struct eng_descs mem;       /* MemoryList ranges written */
	struct eng_descs mem64;     /* Memory64List ranges written */
	uint64_t mem64_base;
	size_t mem64_slots;        /* descriptors reserved for the Memory64List */
	bool vmquery_stopped;

	struct eng_dir dir[KMD_MAX_DIRECTORY];
	uint32_t ndir, dir_slots;
	uint64_t dir_rva;
	/* the exception given by the caller, resolved before the threads are visited */
	bool exc_given;
	MINIDUMP_EXCEPTION_STREAM exc;
	CONTEXT *exc_ctx;           /* registers at the exception, NULL: the thread's */
};

/* engine.c */
/* The argument checks of kmd_engine_run(), for callers that want them before opening. */
HRESULT kmd_engine_check_args(const struct kmd_dump_args *a, struct kmdump_result *res);
HRESULT kmd_engine_run(struct kmd_source *src, const struct kmd_dump_args *a,
		       struct kmdump_result *res);

/* dispatch.c: the first failure, the caller's callback, the cancel poll */
BOOL kmd_eng_callback(struct eng *e, ULONG type, MINIDUMP_CALLBACK_INPUT *in,
		  MINIDUMP_CALLBACK_OUTPUT *out);
HRESULT kmd_eng_fail(struct eng *e, HRESULT hr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
HRESULT kmd_eng_poll_cancel(struct eng *e);

/* sink.c */
HRESULT kmd_sink_write(struct eng *e, uint64_t off, const void *buf, size_t len);
HRESULT kmd_sink_append(struct eng *e, const void *buf, size_t len, uint64_t *rva);
HRESULT kmd_sink_align(struct eng *e, unsigned int align);
HRESULT kmd_sink_finish(struct eng *e);
void kmd_sink_invalidate(struct eng *e);

/* ranges.c */
int kmd_ranges_add(struct kmd_ranges *r, uint64_t start, uint64_t end);
int kmd_ranges_remove(struct kmd_ranges *r, uint64_t start, uint64_t end);
bool kmd_ranges_contains(const struct kmd_ranges *r, uint64_t addr);
void kmd_ranges_free(struct kmd_ranges *r);
int kmd_descs_push(struct eng_descs *d, uint64_t start, uint64_t size, uint64_t rva);

/* memread.c */
HRESULT kmd_mem_read(struct eng *e, uint64_t addr, void *buf, size_t len, size_t *done);
HRESULT kmd_mem_write_block(struct eng *e, uint64_t start, uint64_t end, bool full_memory);
uint64_t kmd_mem_room(struct eng *e, uint64_t want, uint64_t tail);

/* policy.c */
HRESULT kmd_policy_build_spans(struct eng *e);
long kmd_policy_module_index(const struct eng *e, uint64_t addr);
HRESULT kmd_policy_check_type(struct eng *e);
uint32_t kmd_policy_thread_flags(uint32_t dump_type);
uint32_t kmd_policy_module_flags(uint32_t dump_type);
const struct kmd_src_vma *kmd_vma_find(const struct eng *e, uint64_t addr);
HRESULT kmd_policy_add_blocks(struct eng *e);
void kmd_policy_filter_stack(const struct eng *e, uint8_t *buf, uint64_t lo, uint64_t len);
bool kmd_policy_is_module_vma(const struct eng *e, const struct kmd_src_vma *v);

/* streams.c */
HRESULT kmd_streams_write_metadata(struct eng *e);
HRESULT kmd_streams_write_memory_list(struct eng *e);
HRESULT kmd_streams_write_thread_list(struct eng *e);
HRESULT kmd_streams_write_memory64(struct eng *e);
uint32_t kmd_streams_count(const struct eng *e);

/* directory.c: the directory entry of each stream, the header */
HRESULT kmd_dir_add(struct eng *e, uint32_t type, uint64_t size, uint64_t rva);
HRESULT kmd_put_stream(struct eng *e, uint32_t type, const void *buf, size_t len);
HRESULT kmd_put_context(struct eng *e, const CONTEXT *c, uint64_t *rva);
HRESULT kmd_dir_write(struct eng *e);

/* exception.c */
HRESULT kmd_exception_resolve(struct eng *e);
uint64_t kmd_exception_stack_pointer(const struct eng *e, const struct eng_thread *t);
HRESULT kmd_exception_write(struct eng *e);
int kmd_utf8_to_utf16(const char *s, uint16_t **out, uint32_t *units);

/* hresult.c: the contract's errno -> HRESULT table */
HRESULT kmd_hresult_from_errno(int err);

/* context.c */
void kmd_context_from_regs(CONTEXT *c, const struct kmd_src_thread *t);

/* sysinfo.c */
void kmd_sysinfo_fill(MINIDUMP_SYSTEM_INFO *si, char *csd, size_t csdlen);
void kmd_sysinfo_power(MINIDUMP_MISC_INFO_2 *mi);

#endif /* KMDUMP_ENGINE_H */
