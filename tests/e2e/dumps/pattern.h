/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The byte pattern dumps-target writes and mdmp-check compares a full-memory dump
 * against: every 8-byte word is a different mix of its index, so a page read from the
 * wrong place, shifted, truncated or zeroed cannot match.
 */
#ifndef KMDUMP_E2E_DUMPS_PATTERN_H
#define KMDUMP_E2E_DUMPS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define PATTERN_LEN ((size_t)3 << 20) /* 3 MiB, several ranges' worth of pages */

static inline unsigned char pattern_byte(size_t i)
{
	uint64_t x = (uint64_t)(i >> 3) + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (unsigned char)(x >> ((i & 7) * 8));
}

#endif
