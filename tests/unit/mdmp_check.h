/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reads a minidump back and checks its structure the way lldb, Breakpad and
 * rust-minidump do (minidump-format.md §4, §6): header, directory in bounds, each
 * stream type once, list sizes exact, every RVA in bounds, contexts, strings, CodeView.
 */
#ifndef KMDUMP_TEST_MDMP_CHECK_H
#define KMDUMP_TEST_MDMP_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <kmdump/kmdump.h>
#include <kmdump/streams.h>

struct md {
	uint8_t *p;
	size_t len;
	const MINIDUMP_HEADER *h;
	const MINIDUMP_DIRECTORY *dir;
	char err[512];
};

/* Loads the bytes of fd (from offset 0) and validates them; 0 when valid, else -1 + err. */
int md_load_fd(struct md *m, int fd);
/* Validates bytes the caller owns (copied). */
int md_load(struct md *m, const void *buf, size_t len);
void md_free(struct md *m);

/* A stream's bytes and size, or NULL. */
const void *md_stream(const struct md *m, uint32_t type, uint32_t *size);
/* Copies target memory [addr, addr+len) from MemoryList or Memory64List; 0 if all found. */
int md_memory(const struct md *m, uint64_t addr, void *out, size_t len, bool mem64);
const MINIDUMP_THREAD *md_thread(const struct md *m, uint32_t tid);
const CONTEXT *md_context(const struct md *m, MINIDUMP_LOCATION_DESCRIPTOR loc);
/* UTF-8 copy of a MINIDUMP_STRING at rva (static buffer). */
const char *md_string(const struct md *m, uint32_t rva);

#endif
