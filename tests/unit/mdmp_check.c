// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "mdmp_check.h"

static int bad(struct md *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -1;
}

static bool in_bounds(const struct md *m, uint64_t rva, uint64_t size)
{
	return rva <= m->len && size <= m->len - rva;
}

const void *md_stream(const struct md *m, uint32_t type, uint32_t *size)
{
	uint32_t i;

	for (i = 0; m->h && i < m->h->NumberOfStreams; i++)
		if (m->dir[i].StreamType == type) {
			if (size)
				*size = m->dir[i].Location.DataSize;
			return m->p + m->dir[i].Location.Rva;
		}
	return NULL;
}

const CONTEXT *md_context(const struct md *m, MINIDUMP_LOCATION_DESCRIPTOR loc)
{
	return in_bounds(m, loc.Rva, sizeof(CONTEXT)) ? (const CONTEXT *)(m->p + loc.Rva) : NULL;
}

const char *md_string(const struct md *m, uint32_t rva)
{
	static char out[1024];
	uint32_t len, i, k = 0;
	const uint16_t *w;

	if (!in_bounds(m, rva, 4))
		return NULL;
	memcpy(&len, m->p + rva, 4);
	if (!in_bounds(m, rva + 4, (uint64_t)len + 2))
		return NULL;
	w = (const uint16_t *)(m->p + rva + 4);
	for (i = 0; i < len / 2 && k < sizeof(out) - 4; i++) {
		uint32_t c = w[i];

		if (c >= 0xD800 && c < 0xDC00 && i + 1 < len / 2)
			c = 0x10000 + ((c - 0xD800) << 10) + (w[++i] - 0xDC00);
		if (c < 0x80) {
			out[k++] = (char)c;
		} else if (c < 0x800) {
			out[k++] = (char)(0xC0 | (c >> 6));
			out[k++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			out[k++] = (char)(0xE0 | (c >> 12));
			out[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[k++] = (char)(0x80 | (c & 0x3F));
		} else {
			out[k++] = (char)(0xF0 | (c >> 18));
			out[k++] = (char)(0x80 | ((c >> 12) & 0x3F));
			out[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[k++] = (char)(0x80 | (c & 0x3F));
		}
	}
	out[k] = '\0';
	return out;
}

const MINIDUMP_THREAD *md_thread(const struct md *m, uint32_t tid)
{
	const MINIDUMP_THREAD_LIST *l = md_stream(m, ThreadListStream, NULL);
	uint32_t i;

	for (i = 0; l && i < l->NumberOfThreads; i++)
		if (l->Threads[i].ThreadId == tid)
			return &l->Threads[i];
	return NULL;
}

int md_memory(const struct md *m, uint64_t addr, void *out, size_t len, bool mem64)
{
	uint8_t *o = out;
	size_t done = 0;

	while (done < len) {
		uint64_t a = addr + done;
		bool found = false;
		uint32_t i;

		if (!mem64) {
			const MINIDUMP_MEMORY_LIST *l = md_stream(m, MemoryListStream, NULL);

			for (i = 0; l && i < l->NumberOfMemoryRanges && !found; i++) {
				const MINIDUMP_MEMORY_DESCRIPTOR *d = &l->MemoryRanges[i];

				if (a >= d->StartOfMemoryRange && a - d->StartOfMemoryRange < d->Memory.DataSize) {
					o[done++] = m->p[d->Memory.Rva + (a - d->StartOfMemoryRange)];
					found = true;
				}
			}
		} else {
			const MINIDUMP_MEMORY64_LIST *l = md_stream(m, Memory64ListStream, NULL);
			uint64_t rva = l ? l->BaseRva : 0;

			for (i = 0; l && i < l->NumberOfMemoryRanges && !found; i++) {
				const MINIDUMP_MEMORY_DESCRIPTOR64 *d = &l->MemoryRanges[i];

				if (a >= d->StartOfMemoryRange && a - d->StartOfMemoryRange < d->DataSize) {
					o[done++] = m->p[rva + (a - d->StartOfMemoryRange)];
					found = true;
				}
				rva += d->DataSize;
			}
		}
		if (!found)
			return -1;
	}
	return 0;
}

static int check_list(struct md *m, const MINIDUMP_DIRECTORY *d, uint32_t entry)
{
	uint32_t n;

	if (d->Location.DataSize < 4)
		return bad(m, "stream %u: %u bytes, too small for a list", d->StreamType, d->Location.DataSize);
	memcpy(&n, m->p + d->Location.Rva, 4);
	if (d->Location.DataSize != 4 + (uint64_t)n * entry)
		return bad(m, "stream %u: DataSize %u is not exactly 4 + %u * %u", d->StreamType,
			   d->Location.DataSize, n, entry);
	return 0;
}

static int check_context(struct md *m, MINIDUMP_LOCATION_DESCRIPTOR loc, const char *what)
{
	const CONTEXT *c = md_context(m, loc);

	if (loc.DataSize != 1248)
		return bad(m, "%s: context DataSize %u, want 1248", what, loc.DataSize);
	if (!c || !in_bounds(m, loc.Rva, loc.DataSize))
		return bad(m, "%s: context out of bounds", what);
	if ((c->ContextFlags & 0xFFFFFF00u) != CONTEXT_AMD64)
		return bad(m, "%s: context flags 0x%x lack exactly the AMD64 CPU bits", what, c->ContextFlags);
	return 0;
}

static int check_threads(struct md *m, const MINIDUMP_DIRECTORY *d)
{
	const MINIDUMP_THREAD_LIST *l = (const void *)(m->p + d->Location.Rva);
	uint32_t i;

	if (check_list(m, d, sizeof(MINIDUMP_THREAD)))
		return -1;
	for (i = 0; i < l->NumberOfThreads; i++) {
		const MINIDUMP_THREAD *t = &l->Threads[i];
		uint8_t probe;

		if (check_context(m, t->ThreadContext, "thread"))
			return -1;
		if (!in_bounds(m, t->Stack.Memory.Rva, t->Stack.Memory.DataSize))
			return bad(m, "thread %u: stack out of bounds", t->ThreadId);
		if (t->Stack.Memory.DataSize &&
		    md_memory(m, t->Stack.StartOfMemoryRange, &probe, 1, false))
			return bad(m, "thread %u: stack not in the MemoryList", t->ThreadId);
	}
	return 0;
}

static int check_modules(struct md *m, const MINIDUMP_DIRECTORY *d)
{
	const MINIDUMP_MODULE_LIST *l = (const void *)(m->p + d->Location.Rva);
	uint32_t i, len, sig;

	if (check_list(m, d, sizeof(MINIDUMP_MODULE)))
		return -1;
	for (i = 0; i < l->NumberOfModules; i++) {
		const MINIDUMP_MODULE *mod = &l->Modules[i];

		if (!in_bounds(m, mod->ModuleNameRva, 4))
			return bad(m, "module %u: name out of bounds", i);
		memcpy(&len, m->p + mod->ModuleNameRva, 4);
		if ((len & 1) || !in_bounds(m, mod->ModuleNameRva + 4, (uint64_t)len + 2) ||
		    m->p[mod->ModuleNameRva + 4 + len] || m->p[mod->ModuleNameRva + 5 + len])
			return bad(m, "module %u: bad MINIDUMP_STRING", i);
		if (mod->CvRecord.DataSize) {
			if (!in_bounds(m, mod->CvRecord.Rva, mod->CvRecord.DataSize) || mod->CvRecord.DataSize < 4)
				return bad(m, "module %u: CodeView out of bounds", i);
			memcpy(&sig, m->p + mod->CvRecord.Rva, 4);
			if (sig != KMDUMP_CV_SIGNATURE_ELF)
				return bad(m, "module %u: CodeView signature 0x%x", i, sig);
		}
	}
	return 0;
}

static int check_memory(struct md *m, const MINIDUMP_DIRECTORY *d)
{
	const MINIDUMP_MEMORY_LIST *l = (const void *)(m->p + d->Location.Rva);
	uint32_t i;

	if (check_list(m, d, sizeof(MINIDUMP_MEMORY_DESCRIPTOR)))
		return -1;
	for (i = 0; i < l->NumberOfMemoryRanges; i++) {
		const MINIDUMP_MEMORY_DESCRIPTOR *r = &l->MemoryRanges[i];

		if (!in_bounds(m, r->Memory.Rva, r->Memory.DataSize))
			return bad(m, "memory range %u out of bounds", i);
		if (i && r->StartOfMemoryRange < l->MemoryRanges[i - 1].StartOfMemoryRange +
						     l->MemoryRanges[i - 1].Memory.DataSize &&
		    r->StartOfMemoryRange + r->Memory.DataSize > l->MemoryRanges[i - 1].StartOfMemoryRange)
			return bad(m, "memory ranges %u and %u overlap", i - 1, i);
	}
	return 0;
}

static int check_memory64(struct md *m, const MINIDUMP_DIRECTORY *d)
{
	const MINIDUMP_MEMORY64_LIST *l = (const void *)(m->p + d->Location.Rva);
	uint64_t total = 0, i;

	if (d->Location.DataSize < 16 || d->Location.DataSize != 16 + 16 * l->NumberOfMemoryRanges)
		return bad(m, "Memory64List DataSize %u is not exactly 16 + 16N", d->Location.DataSize);
	for (i = 0; i < l->NumberOfMemoryRanges; i++)
		total += l->MemoryRanges[i].DataSize;
	if (!in_bounds(m, l->BaseRva, total))
		return bad(m, "Memory64List data out of bounds");
	return 0;
}

static int check_sized_header(struct md *m, const MINIDUMP_DIRECTORY *d, uint32_t hsize,
			      uint32_t esize, bool count64)
{
	const uint8_t *p = m->p + d->Location.Rva;
	uint32_t sh, se;
	uint64_t n = 0;

	memcpy(&sh, p, 4);
	memcpy(&se, p + 4, 4);
	memcpy(&n, p + 8, count64 ? 8 : 4);
	if (sh != hsize || se != esize || d->Location.DataSize != hsize + n * esize)
		return bad(m, "stream 0x%x: header %u/%u, %llu entries, DataSize %u", d->StreamType,
			   sh, se, (unsigned long long)n, d->Location.DataSize);
	return 0;
}

static int check_stream(struct md *m, const MINIDUMP_DIRECTORY *d)
{
	switch (d->StreamType) {
	case ThreadListStream:
		return check_threads(m, d);
	case ModuleListStream:
		return check_modules(m, d);
	case MemoryListStream:
		return check_memory(m, d);
	case Memory64ListStream:
		return check_memory64(m, d);
	case ThreadNamesStream:
		return check_list(m, d, sizeof(MINIDUMP_THREAD_NAME));
	case MemoryInfoListStream:
		return check_sized_header(m, d, 16, 48, true);
	case ThreadInfoListStream:
		return check_sized_header(m, d, 12, 64, false);
	case KMDUMP_STREAM_THREAD_KSTACKS:
		return check_sized_header(m, d, 16, 112, false);
	case SystemInfoStream:
		return d->Location.DataSize == 56 ? 0 : bad(m, "SystemInfo size %u", d->Location.DataSize);
	case ExceptionStream: {
		const MINIDUMP_EXCEPTION_STREAM *x = (const void *)(m->p + d->Location.Rva);

		if (d->Location.DataSize != 168)
			return bad(m, "Exception size %u", d->Location.DataSize);
		return x->ThreadContext.DataSize ? check_context(m, x->ThreadContext, "exception") : 0;
	}
	case MiscInfoStream: {
		uint32_t s;

		memcpy(&s, m->p + d->Location.Rva, 4);
		return (s == d->Location.DataSize && (s == 24 || s == 44)) ? 0
			: bad(m, "MiscInfo SizeOfInfo %u, DataSize %u", s, d->Location.DataSize);
	}
	default:
		return 0;
	}
}

static int validate(struct md *m)
{
	uint32_t i, j;

	if (m->len < sizeof(MINIDUMP_HEADER))
		return bad(m, "%zu bytes: shorter than a header", m->len);
	m->h = (const MINIDUMP_HEADER *)m->p;
	if (m->h->Signature != MINIDUMP_SIGNATURE)
		return bad(m, "signature 0x%08x is not MDMP", m->h->Signature);
	if ((m->h->Version & 0xFFFF) != MINIDUMP_VERSION)
		return bad(m, "version 0x%x", m->h->Version);
	if (!in_bounds(m, m->h->StreamDirectoryRva, (uint64_t)m->h->NumberOfStreams * 12))
		return bad(m, "directory out of bounds");
	m->dir = (const MINIDUMP_DIRECTORY *)(m->p + m->h->StreamDirectoryRva);
	for (i = 0; i < m->h->NumberOfStreams; i++) {
		const MINIDUMP_DIRECTORY *d = &m->dir[i];

		if (!in_bounds(m, d->Location.Rva, d->Location.DataSize))
			return bad(m, "stream %u (type 0x%x) out of bounds", i, d->StreamType);
		for (j = 0; j < i; j++)
			if (d->StreamType && m->dir[j].StreamType == d->StreamType)
				return bad(m, "stream type 0x%x appears twice", d->StreamType);
		if (d->StreamType && check_stream(m, d))
			return -1;
	}
	return 0;
}

int md_load(struct md *m, const void *buf, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->p = malloc(len ? len : 1);
	memcpy(m->p, buf, len);
	m->len = len;
	return validate(m);
}

int md_load_fd(struct md *m, int fd)
{
	struct stat st;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	if (fstat(fd, &st))
		return bad(m, "fstat failed");
	m->len = (size_t)st.st_size;
	m->p = malloc(m->len ? m->len : 1);
	n = pread(fd, m->p, m->len, 0);
	if (n < 0 || (size_t)n != m->len)
		return bad(m, "short read");
	return validate(m);
}

void md_free(struct md *m)
{
	free(m->p);
	memset(m, 0, sizeof(*m));
}
