/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake process source for the engine: synthetic threads, mappings and modules,
 * memory whose every byte is a function of its address (so tests can check what was
 * written) except where a test placed bytes of its own (ELF images), holes that cannot be
 * read, and failure injection.
 */
#ifndef KMDUMP_TEST_FAKE_SOURCE_H
#define KMDUMP_TEST_FAKE_SOURCE_H

#include "engine.h"

#define FAKE_MAX 16

/* Addresses of the default process (fake_init). */
#define FAKE_EXE_BASE 0x400000ull
#define FAKE_EXE_TEXT 0x401000ull
#define FAKE_EXE_DATA 0x403000ull
#define FAKE_HEAP 0x600000ull
#define FAKE_HEAP_END 0x640000ull
#define FAKE_LIB_BASE 0x7f0000000000ull
#define FAKE_STACK 0x7ff000000000ull
#define FAKE_STACK_END 0x7ff000020000ull
#define FAKE_GUARD 0x7ff100000000ull
#define FAKE_TID0 1000u
#define FAKE_TID1 1001u
#define FAKE_PID 1000u

struct fake {
	struct kmd_source src;
	struct kmd_src_process proc;
	struct kmd_src_thread threads[FAKE_MAX];
	size_t nthreads;
	struct kmd_src_vma vmas[FAKE_MAX];
	size_t nvmas;
	struct kmd_src_module modules[FAKE_MAX];
	size_t nmodules;
	struct kmd_range holes[FAKE_MAX];
	size_t nholes;
	struct {
		uint64_t addr;
		uint64_t value;
	} pokes[FAKE_MAX];
	size_t npokes;
	struct {
		uint64_t addr;
		const uint8_t *bytes; /* the test's, not copied */
		size_t len;
	} placed[FAKE_MAX];
	size_t nplaced;
	const char *files[KMD_FILE_COUNT];
	size_t file_len[KMD_FILE_COUNT]; /* 0: strlen */
	HRESULT capture_hr;   /* returned by capture */
	HRESULT kdump_hr;     /* returned by kernel_dump */
	int kdump_fd;         /* the descriptor kernel_dump got, -1 if never called */
	uint32_t capture_flags;
	unsigned int reads, direct_reads, batches, thaws, captures;
	bool emit_status;     /* send a status event from capture and thaw */
};

void fake_init(struct fake *f);
uint8_t fake_byte(uint64_t addr);
bool fake_readable(const struct fake *f, uint64_t addr);
void fake_add_hole(struct fake *f, uint64_t start, uint64_t end);
void fake_poke64(struct fake *f, uint64_t addr, uint64_t value);
/* Memory at [addr, addr+len) holds bytes (kept by the caller) instead of the pattern. */
void fake_place(struct fake *f, uint64_t addr, const void *bytes, size_t len);

#endif
