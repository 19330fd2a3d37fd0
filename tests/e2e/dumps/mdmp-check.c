// SPDX-License-Identifier: GPL-2.0
/*
 * mdmp-check: reads a minidump with its own parser (offsets from the MDMP format, not
 * libkmdump's headers, so a layout mistake in the writer cannot hide here) and prints or
 * checks what the readers' tests compare:
 *
 *   mdmp-check streams DUMP            one line per directory entry: "<type hex> <size>"
 *   mdmp-check stream DUMP TYPE        the bytes of the stream of TYPE, to stdout
 *   mdmp-check threads DUMP            one line per thread: "<tid> <rip> <rsp> <rbp>"
 *                                      (hex registers from its ThreadList context)
 *   mdmp-check seen-threads DUMP       the same, with the Exception stream's context in
 *                                      place of its thread's (what readers unwind from)
 *   mdmp-check exception DUMP          "<tid> <code> <flags> <address> <rip> <rsp> <rbp>"
 *                                      from the Exception stream and its context
 *   mdmp-check expect LEN              writes the pattern's first LEN bytes to stdout
 *   mdmp-check pattern DUMP ADDR LEN   the Memory64List holds [ADDR, ADDR+LEN) and every
 *                                      byte equals pattern_byte(offset) (pattern.h)
 *   mdmp-check block DUMP ADDR LEN     the MemoryList has a block holding [ADDR, ADDR+LEN)
 *                                      and its bytes equal pattern_byte(offset)
 *   mdmp-check stacks DUMP             every thread's Stack bytes (MemoryList) equal the
 *                                      Memory64List's bytes at the same addresses
 *
 * Exit status 0 when the check holds, 1 with a message on stderr when not, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pattern.h"

#define MDMP_SIGNATURE		0x504d444du /* "MDMP" */
#define STREAM_THREAD_LIST	3
#define STREAM_MEMORY_LIST	5
#define STREAM_EXCEPTION	6
#define STREAM_MEMORY64_LIST	9
#define THREAD_SIZE		48
#define CTX_RSP			0x98
#define CTX_RBP			0xa0
#define CTX_RIP			0xf8
#define CTX_MIN_SIZE		1232

struct dump {
	const unsigned char *p;
	uint64_t size;
	const char *path;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("mdmp-check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static uint32_t u32(const struct dump *d, uint64_t off)
{
	uint32_t v = 0;

	if (off + 4 <= d->size)
		memcpy(&v, d->p + off, 4);
	return v;
}

static uint64_t u64(const struct dump *d, uint64_t off)
{
	uint64_t v = 0;

	if (off + 8 <= d->size)
		memcpy(&v, d->p + off, 8);
	return v;
}

static int open_dump(const char *path, struct dump *d)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		return fail("%s: %s", path, strerror(errno));
	d->size = (uint64_t)st.st_size;
	d->path = path;
	d->p = d->size ? mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (d->size < 32 || d->p == MAP_FAILED)
		return fail("%s: too short or unreadable (%" PRIu64 " bytes)", path, d->size);
	if (u32(d, 0) != MDMP_SIGNATURE || (u32(d, 4) & 0xffff) != 0xa793)
		return fail("%s: not a minidump (signature %#x, version %#x)", path, u32(d, 0),
			    u32(d, 4));
	if (u32(d, 12) + (uint64_t)u32(d, 8) * 12 > d->size)
		return fail("%s: the stream directory runs past the end of the file", path);
	return 0;
}

/* The directory entry of a stream type: its size and RVA; 0 when absent. */
static int find_stream(const struct dump *d, uint32_t type, uint32_t *size, uint32_t *rva)
{
	uint32_t n = u32(d, 8), dir = u32(d, 12);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t e = dir + (uint64_t)i * 12;

		if (u32(d, e) == type) {
			*size = u32(d, e + 4);
			*rva = u32(d, e + 8);
			if ((uint64_t)*rva + *size > d->size)
				return fail("stream %#x runs past the end of the file", type);
			return 1;
		}
	}
	return 0;
}

static int need_stream(const struct dump *d, uint32_t type, uint32_t *size, uint32_t *rva)
{
	int r = find_stream(d, type, size, rva);

	if (r == 0)
		fail("%s has no stream %#x", d->path, type);
	return r == 1 ? 0 : 1;
}

static int cmd_streams(const struct dump *d)
{
	uint32_t n = u32(d, 8), dir = u32(d, 12);

	for (uint32_t i = 0; i < n; i++)
		printf("%#x %u\n", u32(d, dir + i * 12), u32(d, dir + i * 12 + 4));
	return 0;
}

static int cmd_stream(const struct dump *d, uint32_t type)
{
	uint32_t n = u32(d, 8), dir = u32(d, 12);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t size = u32(d, dir + i * 12 + 4), rva = u32(d, dir + i * 12 + 8);

		if (u32(d, dir + i * 12) != type)
			continue;
		if ((uint64_t)rva + size > d->size)
			return fail("stream %#x: %u bytes at %#x end past the file", type, size, rva);
		return fwrite(d->p + rva, 1, size, stdout) == size && !fflush(stdout) ? 0 : 1;
	}
	return fail("no stream of type %#x", type);
}

/* rip, rsp and rbp of a CONTEXT at rva of size bytes. */
static int context_regs(const struct dump *d, uint32_t size, uint32_t rva, uint64_t r[3])
{
	if (size < CTX_MIN_SIZE || (uint64_t)rva + size > d->size)
		return fail("a thread context is %u bytes at %#x (want >= %d inside the file)",
			    size, rva, CTX_MIN_SIZE);
	r[0] = u64(d, rva + CTX_RIP);
	r[1] = u64(d, rva + CTX_RSP);
	r[2] = u64(d, rva + CTX_RBP);
	return 0;
}

static int cmd_threads(const struct dump *d, bool seen)
{
	uint32_t size, rva, n, xsize, xrva, xtid = 0;
	uint64_t r[3], xr[3];

	if (need_stream(d, STREAM_THREAD_LIST, &size, &rva))
		return 1;
	if (seen && find_stream(d, STREAM_EXCEPTION, &xsize, &xrva) == 1) {
		xtid = u32(d, xrva);
		if (xsize < 168 || context_regs(d, u32(d, xrva + 160), u32(d, xrva + 164), xr))
			return fail("the Exception stream has no usable context");
	}
	n = u32(d, rva);
	if (size != 4 + n * THREAD_SIZE && size != 8 + n * THREAD_SIZE)
		return fail("ThreadList DataSize %u does not fit %u threads", size, n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t t = rva + 4 + (uint64_t)i * THREAD_SIZE;

		if (context_regs(d, u32(d, t + 40), u32(d, t + 44), r))
			return 1;
		if (xtid && u32(d, t) == xtid)
			memcpy(r, xr, sizeof(r));
		printf("%u %#" PRIx64 " %#" PRIx64 " %#" PRIx64 "\n", u32(d, t), r[0], r[1], r[2]);
	}
	return 0;
}

static int cmd_exception(const struct dump *d)
{
	uint32_t size, rva;
	uint64_t r[3];

	if (need_stream(d, STREAM_EXCEPTION, &size, &rva))
		return 1;
	if (size != 168)
		return fail("the Exception stream is %u bytes, not 168", size);
	if (context_regs(d, u32(d, rva + 160), u32(d, rva + 164), r))
		return 1;
	printf("%u %#x %#x %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 "\n",
	       u32(d, rva), u32(d, rva + 8), u32(d, rva + 12), u64(d, rva + 24), r[0], r[1], r[2]);
	return 0;
}

static int check_pattern(const unsigned char *b, uint64_t addr, uint64_t len);

struct mem64 {
	uint64_t count, base; /* ranges, RVA of the first range's bytes */
	uint64_t table;       /* file offset of the first descriptor */
};

static int load_mem64(const struct dump *d, struct mem64 *m)
{
	uint32_t size, rva;
	uint64_t at, total = 0, prev_end = 0;

	if (need_stream(d, STREAM_MEMORY64_LIST, &size, &rva))
		return 1;
	m->count = u64(d, rva);
	m->base = u64(d, rva + 8);
	m->table = rva + 16;
	if (size != 16 + 16 * m->count)
		return fail("Memory64List DataSize %u is not 16 + 16 * %" PRIu64, size, m->count);
	for (uint64_t i = 0; i < m->count; i++) {
		uint64_t start = u64(d, m->table + i * 16), len = u64(d, m->table + i * 16 + 8);

		if (i && start < prev_end)
			return fail("Memory64List range %" PRIu64 " at %#" PRIx64
				    " overlaps or is out of order", i, start);
		prev_end = start + len;
		total += len;
	}
	at = m->base + total;
	if (at > d->size)
		return fail("Memory64List data (%" PRIu64 " bytes from %#" PRIx64
			    ") runs past the end of the file (%" PRIu64 ")", total, m->base, d->size);
	return 0;
}

/*
 * The file bytes for [addr, addr+len) in the Memory64List, or NULL when that span is not
 * inside one range (adjacent ranges are contiguous in the file as well, so a span over
 * several adjacent ranges is found too).
 */
static const unsigned char *mem64_find(const struct dump *d, const struct mem64 *m,
				       uint64_t addr, uint64_t len)
{
	uint64_t off = m->base;

	for (uint64_t i = 0; i < m->count; i++) {
		uint64_t start = u64(d, m->table + i * 16), n = u64(d, m->table + i * 16 + 8);
		uint64_t end = start + n, j = i + 1, o2 = off + n;

		if (addr >= start && addr < end) {
			/* Extend over ranges that continue exactly where this one ends. */
			while (addr + len > end && j < m->count &&
			       u64(d, m->table + j * 16) == end) {
				end += u64(d, m->table + j * 16 + 8);
				o2 += u64(d, m->table + j * 16 + 8);
				j++;
			}
			return addr + len <= end ? d->p + off + (addr - start) : NULL;
		}
		off = o2;
	}
	return NULL;
}

static int cmd_pattern(const struct dump *d, uint64_t addr, uint64_t len)
{
	const unsigned char *b;
	struct mem64 m;

	if (load_mem64(d, &m))
		return 1;
	b = mem64_find(d, &m, addr, len);
	if (!b)
		return fail("the Memory64List does not hold [%#" PRIx64 ", %#" PRIx64 ")", addr,
			    addr + len);
	if (check_pattern(b, addr, len))
		return 1;
	printf("pattern: %" PRIu64 " bytes at %#" PRIx64 " read back byte-exact (%" PRIu64
	       " Memory64List ranges in the dump)\n", len, addr, m.count);
	return 0;
}

/* The pattern's first LEN bytes at ADDR, found in BYTES (file bytes for that address). */
static int check_pattern(const unsigned char *b, uint64_t addr, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (b[i] != pattern_byte(i))
			return fail("byte %#" PRIx64 " of the pattern (address %#" PRIx64
				    ") is %#x, the target wrote %#x", i, addr + i, b[i],
				    pattern_byte(i));
	return 0;
}

static int cmd_block(const struct dump *d, uint64_t addr, uint64_t len)
{
	uint32_t size, rva, n;

	if (need_stream(d, STREAM_MEMORY_LIST, &size, &rva))
		return 1;
	n = u32(d, rva);
	if (size != 4 + n * 16 && size != 8 + n * 16)
		return fail("MemoryList DataSize %u does not fit %u blocks", size, n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t e = rva + (size - n * 16) + (uint64_t)i * 16, start = u64(d, e);
		uint32_t blen = u32(d, e + 8), at = u32(d, e + 12);

		if (addr < start || addr + len > start + blen)
			continue;
		if ((uint64_t)at + blen > d->size)
			return fail("MemoryList block %u runs past the end of the file", i);
		if (check_pattern(d->p + at + (addr - start), addr, len))
			return 1;
		printf("block: %" PRIu64 " bytes at %#" PRIx64 " are in MemoryList block %u "
		       "[%#" PRIx64 ", +%u), byte-exact\n", len, addr, i, start, blen);
		return 0;
	}
	return fail("no MemoryList block holds [%#" PRIx64 ", %#" PRIx64 ")", addr, addr + len);
}

static int cmd_stacks(const struct dump *d)
{
	uint32_t size, rva, n;
	struct mem64 m;

	if (load_mem64(d, &m) || need_stream(d, STREAM_THREAD_LIST, &size, &rva))
		return 1;
	n = u32(d, rva);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t t = rva + 4 + (uint64_t)i * THREAD_SIZE;
		uint64_t start = u64(d, t + 24);
		uint32_t len = u32(d, t + 32), at = u32(d, t + 36);
		const unsigned char *b;

		if ((uint64_t)at + len > d->size)
			return fail("thread %u's stack runs past the end of the file", u32(d, t));
		b = mem64_find(d, &m, start, len);
		if (!b)
			return fail("thread %u's stack [%#" PRIx64 ", +%u) is not in the Memory64List",
				    u32(d, t), start, len);
		if (memcmp(b, d->p + at, len))
			return fail("thread %u's stack differs between MemoryList and Memory64List",
				    u32(d, t));
	}
	printf("stacks: %u threads' stacks are the same in MemoryList and Memory64List\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct dump d;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "expect")) {
		for (size_t i = 0, n = strtoull(argv[2], NULL, 0); i < n; i++)
			putchar(pattern_byte(i));
		return fflush(stdout) ? 1 : 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: mdmp-check streams|threads|seen-threads|exception|stacks DUMP\n"
				"       mdmp-check stream DUMP TYPE\n"
				"       mdmp-check pattern|block DUMP ADDR LEN\n"
				"       mdmp-check expect LEN\n");
		return 2;
	}
	if (open_dump(argv[2], &d))
		return 1;
	if (!strcmp(argv[1], "streams"))
		rc = cmd_streams(&d);
	else if (!strcmp(argv[1], "stream") && argc == 4)
		rc = cmd_stream(&d, (uint32_t)strtoul(argv[3], NULL, 0));
	else if (!strcmp(argv[1], "threads"))
		rc = cmd_threads(&d, false);
	else if (!strcmp(argv[1], "seen-threads"))
		rc = cmd_threads(&d, true);
	else if (!strcmp(argv[1], "exception"))
		rc = cmd_exception(&d);
	else if (!strcmp(argv[1], "stacks"))
		rc = cmd_stacks(&d);
	else if (!strcmp(argv[1], "block") && argc == 5)
		rc = cmd_block(&d, strtoull(argv[3], NULL, 16), strtoull(argv[4], NULL, 0));
	else if (!strcmp(argv[1], "pattern") && argc == 5)
		rc = cmd_pattern(&d, strtoull(argv[3], NULL, 16), strtoull(argv[4], NULL, 0));
	else
		rc = 2;
	munmap((void *)d.p, d.size);
	return rc;
}
