// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Build ids of a source's modules, read from the target's memory through the source's own
 * reads (for the real source, the kernel module's mem-read). Nobody opens the files the
 * target mapped, so what is read is what the process runs, and a file whose server never
 * answers (FUSE) can no longer hang the kernel module's worker: a read of such a mapping
 * waits in the caller's own request, killable, like any read of that memory.
 *
 * The target is held while this runs, so round trips are pause time: the first page of
 * every module (headers and notes of every common image) comes in one batched read, and
 * only an image whose notes lie further in costs one more read, of just what it needs.
 */
#include <errno.h>
#include <stdlib.h>
#include "elf_buildid.h"
#include "source.h"

#define KMD_ID_FIRST 4096u /* bytes of each module read up front */
#define KMD_ID_BATCH 256u  /* modules per batched read */

static size_t first_len(const struct kmd_src_module *m)
{
	return m->size < KMD_ID_FIRST ? (size_t)m->size : KMD_ID_FIRST;
}

/* The first page of each module; r[i].done says how much of it could be read. */
static void read_first_pages(const struct kmd_source *src, struct kmd_src_read *r, size_t n)
{
	size_t i;

	if (src->ops->read_batch) {
		if (FAILED(src->ops->read_batch(src->ctx, r, n)))
			for (i = 0; i < n; i++)
				r[i].done = 0; /* no ids: the dump's own reads will say why */
		return;
	}
	for (i = 0; i < n; i++)
		r[i].hr = src->ops->read(src->ctx, r[i].addr, r[i].buf, r[i].len, &r[i].done);
}

/* An image whose notes lie past its first page: read what the parser asks for. */
static HRESULT read_further(const struct kmd_source *src, struct kmd_src_module *m,
			    size_t need)
{
	size_t done = 0, again;
	uint8_t *buf;
	int r;

	if (need > m->size)
		return S_OK; /* the headers point past the image: it has no build id */
	buf = malloc(need);
	if (!buf)
		return E_OUTOFMEMORY;
	src->ops->read(src->ctx, m->base, buf, need, &done);
	r = kmd_elf_build_id(buf, done < need ? done : need, m->build_id, &again);
	if (r > 0)
		m->build_id_len = (uint32_t)r;
	free(buf);
	return S_OK;
}

static HRESULT identify(const struct kmd_source *src, struct kmd_src_module *m,
			const struct kmd_src_read *r)
{
	size_t len = r->done < r->len ? r->done : r->len, need;
	int id_len = kmd_elf_build_id(r->buf, len, m->build_id, &need);

	if (id_len > 0) {
		m->build_id_len = (uint32_t)id_len;
		return S_OK;
	}
	/* a first page that could not be read whole will not read further either */
	if (id_len == -ENODATA && len == r->len)
		return read_further(src, m, need);
	return S_OK;
}

static HRESULT identify_batch(const struct kmd_source *src, struct kmd_src_module *v,
			      size_t n, struct kmd_src_read *r, uint8_t *pages)
{
	HRESULT hr = S_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].build_id_len = 0;
		r[i] = (struct kmd_src_read){ .addr = v[i].base, .buf = pages + i * KMD_ID_FIRST,
					      .len = first_len(&v[i]) };
	}
	read_first_pages(src, r, n);
	for (i = 0; i < n && SUCCEEDED(hr); i++)
		hr = identify(src, &v[i], &r[i]);
	return hr;
}

HRESULT kmd_src_find_build_ids(const struct kmd_source *src, struct kmd_src_module *v,
			       size_t n)
{
	size_t batch = n < KMD_ID_BATCH ? n : KMD_ID_BATCH, i;
	struct kmd_src_read *r = calloc(batch + 1, sizeof(*r));
	uint8_t *pages = malloc((batch + 1) * (size_t)KMD_ID_FIRST);
	HRESULT hr = r && pages ? S_OK : E_OUTOFMEMORY;

	for (i = 0; i < n && SUCCEEDED(hr); i += batch)
		hr = identify_batch(src, v + i, n - i < batch ? n - i : batch, r, pages);
	free(r);
	free(pages);
	return hr;
}
