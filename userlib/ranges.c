// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sorted, non-overlapping sets of address ranges [start, end). */
#include <stdlib.h>
#include <string.h>
#include "engine.h"

static int ranges_reserve(struct kmd_ranges *r, size_t want)
{
	struct kmd_range *v;
	size_t cap;

	if (want <= r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : 16;
	while (cap < want)
		cap *= 2;
	v = realloc(r->v, cap * sizeof(*v));
	if (!v)
		return -1;
	r->v = v;
	r->cap = cap;
	return 0;
}

/* Adds [start, end), merging with ranges it overlaps or touches. */
int kmd_ranges_add(struct kmd_ranges *r, uint64_t start, uint64_t end)
{
	size_t i = 0, j;

	if (start >= end)
		return 0;
	while (i < r->n && r->v[i].end < start)
		i++;
	j = i;
	while (j < r->n && r->v[j].start <= end) {
		if (r->v[j].start < start)
			start = r->v[j].start;
		if (r->v[j].end > end)
			end = r->v[j].end;
		j++;
	}
	if (j == i) {
		if (ranges_reserve(r, r->n + 1))
			return -1;
		memmove(&r->v[i + 1], &r->v[i], (r->n - i) * sizeof(*r->v));
		r->n++;
	} else if (j > i + 1) {
		memmove(&r->v[i + 1], &r->v[j], (r->n - j) * sizeof(*r->v));
		r->n -= j - i - 1;
	}
	r->v[i].start = start;
	r->v[i].end = end;
	return 0;
}

/* Cuts [start, end) out of every range, splitting one if the cut is inside it. */
int kmd_ranges_remove(struct kmd_ranges *r, uint64_t start, uint64_t end)
{
	size_t i;

	if (start >= end)
		return 0;
	for (i = 0; i < r->n; i++) {
		struct kmd_range *x = &r->v[i];

		if (x->end <= start || x->start >= end)
			continue;
		if (x->start < start && x->end > end) {
			uint64_t tail = x->end;

			if (ranges_reserve(r, r->n + 1))
				return -1;
			x = &r->v[i];
			memmove(&r->v[i + 2], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
			r->n++;
			x->end = start;
			r->v[i + 1].start = end;
			r->v[i + 1].end = tail;
			return 0;
		}
		if (x->start >= start && x->end <= end) {
			memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
			r->n--;
			i--;
			continue;
		}
		if (x->start < start)
			x->end = start;
		else
			x->start = end;
	}
	return 0;
}

bool kmd_ranges_contains(const struct kmd_ranges *r, uint64_t addr)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < r->v[mid].start)
			hi = mid;
		else if (addr >= r->v[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void kmd_ranges_free(struct kmd_ranges *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int kmd_descs_push(struct eng_descs *d, uint64_t start, uint64_t size, uint64_t rva)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct eng_desc *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n].start = start;
	d->v[d->n].size = size;
	d->v[d->n].rva = rva;
	d->n++;
	return 0;
}
