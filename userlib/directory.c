// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stream directory and the header: each stream is appended and listed here; the
 * directory and then the header are written last, so a dump that fails midway never
 * carries a signature (streams.c lays out what goes into the streams).
 */
#include <string.h>
#include "engine.h"

HRESULT kmd_dir_add(struct eng *e, uint32_t type, uint64_t size, uint64_t rva)
{
	if (e->ndir >= e->dir_slots)
		return kmd_eng_fail(e, E_FAIL, "internal error: directory full (stream 0x%x)", type);
	e->dir[e->ndir].type = type;
	e->dir[e->ndir].size = (uint32_t)size;
	e->dir[e->ndir].rva = rva;
	e->ndir++;
	return S_OK;
}

/* Appends one stream body and names it in the directory. */
HRESULT kmd_put_stream(struct eng *e, uint32_t type, const void *buf, size_t len)
{
	uint64_t rva;

	if (FAILED(kmd_sink_align(e, 4)) || FAILED(kmd_sink_append(e, buf, len, &rva)))
		return e->err;
	return kmd_dir_add(e, type, len, rva);
}

/* A context blob: the 1232-byte CONTEXT and 16 zero bytes (DataSize 1248, lldb). */
HRESULT kmd_put_context(struct eng *e, const CONTEXT *c, uint64_t *rva)
{
	static const uint8_t zeros[KMD_CONTEXT_BLOB - sizeof(CONTEXT)];

	if (FAILED(kmd_sink_align(e, 16)) || FAILED(kmd_sink_append(e, c, sizeof(*c), rva)) ||
	    FAILED(kmd_sink_append(e, zeros, sizeof(zeros), NULL)))
		return e->err;
	return S_OK;
}

HRESULT kmd_dir_write(struct eng *e)
{
	MINIDUMP_HEADER h;
	uint32_t i;

	for (i = 0; i < e->ndir; i++) {
		MINIDUMP_DIRECTORY d = { e->dir[i].type, { e->dir[i].size, (RVA)e->dir[i].rva } };

		if (e->dir[i].rva > UINT32_MAX)
			return kmd_eng_fail(e, (HRESULT)KMDUMP_E_FILE_TOO_LARGE,
					"stream 0x%x lies beyond 4 GiB", e->dir[i].type);
		if (FAILED(kmd_sink_write(e, e->dir_rva + i * sizeof(d), &d, sizeof(d))))
			return e->err;
	}
	memset(&h, 0, sizeof(h));
	h.Signature = MINIDUMP_SIGNATURE;
	h.Version = MINIDUMP_VERSION;
	h.NumberOfStreams = e->ndir;
	h.StreamDirectoryRva = (RVA)e->dir_rva;
	h.TimeDateStamp = (ULONG32)e->a->now;
	h.Flags = e->a->dump_type;
	if (FAILED(kmd_sink_write(e, 0, &h, sizeof(h))))
		return e->err;
	e->header_written = true;
	return S_OK;
}
