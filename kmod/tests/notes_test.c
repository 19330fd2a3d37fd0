// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the note scanner the kernel dump uses on the kernel's own notes
 * (notes.c): a build id after other notes, 8-byte note alignment, notes that
 * are not build ids, and hostile blobs (cut inside a note, sizes that
 * overflow or run past the blob, ids longer than the caller's room). A bad
 * blob must give an error, never a read outside it (KASAN watches) and never
 * a made-up id.
 */
#include <kunit/test.h>
#include <linux/string.h>
#include "capture_internal.h"

#define BLOB_SIZE	512

static const u8 id20[20] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
};

/* Write one note at @p; returns the bytes it took, padding included. */
static size_t put_note(u8 *p, u32 type, const char *name, const void *desc,
		       u32 descsz, u32 align)
{
	u32 namesz = strlen(name) + 1;
	size_t off = 12;

	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	memcpy(p + off, name, namesz);
	off = ALIGN(off + namesz, align);
	memcpy(p + off, desc, descsz);
	return ALIGN(off + descsz, align);
}

static int find(const u8 *b, size_t len, u32 align, u8 *id, u32 max)
{
	memset(id, 0xee, KMD_BUILD_ID_MAX);
	return kmd_note_find_build_id(b, len, align, id, max);
}

static void notes_after_other_notes(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, BLOB_SIZE, GFP_KERNEL), id[KMD_BUILD_ID_MAX];
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, b);
	n = put_note(b, 1, "GNU", "\0\0\0\0\3\0\0\0\2\0\0\0\0\0\0\0", 16, 4);
	n += put_note(b + n, 3, "GNU", id20, sizeof(id20), 4);
	KUNIT_ASSERT_EQ(test, find(b, n, 4, id, KMD_BUILD_ID_MAX), 20);
	KUNIT_EXPECT_MEMEQ(test, id, id20, 20);
	/* The last note may omit its trailing padding. */
	n = put_note(b, 3, "GNU", id20, 18, 4);
	KUNIT_EXPECT_EQ(test, find(b, n - 2, 4, id, KMD_BUILD_ID_MAX), 18);
}

static void notes_align8(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, BLOB_SIZE, GFP_KERNEL), id[KMD_BUILD_ID_MAX];
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, b);
	n = put_note(b, 5, "GNU", "abcdefghijkl", 12, 8);
	n += put_note(b + n, 3, "GNU", id20, 16, 8);
	KUNIT_ASSERT_EQ(test, find(b, n, 8, id, KMD_BUILD_ID_MAX), 16);
	KUNIT_EXPECT_MEMEQ(test, id, id20, 16);
}

static void notes_without_build_id(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, BLOB_SIZE, GFP_KERNEL), id[KMD_BUILD_ID_MAX];
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, b);
	n = put_note(b, 1, "GNU", "\0\0\0\0\3\0\0\0", 8, 4);
	n += put_note(b + n, 3, "GNX", id20, 20, 4);	/* type 3, wrong owner */
	n += put_note(b + n, 3, "GNU", id20, 0, 4);	/* empty id */
	KUNIT_EXPECT_EQ(test, find(b, n, 4, id, KMD_BUILD_ID_MAX), -ENOENT);
	KUNIT_EXPECT_EQ(test, find(b, 11, 4, id, KMD_BUILD_ID_MAX), -ENOENT);
	KUNIT_EXPECT_EQ(test, find(b, 0, 4, id, KMD_BUILD_ID_MAX), -ENOENT);
	KUNIT_EXPECT_EQ(test, id[0], 0xee);
}

static void notes_truncated_or_huge(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, BLOB_SIZE, GFP_KERNEL), id[KMD_BUILD_ID_MAX];
	u32 big = 0xffffffff;
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, b);
	n = put_note(b, 3, "GNU", id20, 20, 4);
	KUNIT_EXPECT_EQ(test, find(b, 14, 4, id, KMD_BUILD_ID_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, find(b, n - 1, 4, id, KMD_BUILD_ID_MAX), -EINVAL);
	memcpy(b, &big, 4);				/* namesz */
	KUNIT_EXPECT_EQ(test, find(b, n, 4, id, KMD_BUILD_ID_MAX), -EINVAL);
	big = 4;
	memcpy(b, &big, 4);
	big = 0xfffffff0;
	memcpy(b + 4, &big, 4);				/* descsz */
	KUNIT_EXPECT_EQ(test, find(b, n, 4, id, KMD_BUILD_ID_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, id[0], 0xee);
}

static void notes_oversized_id(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, BLOB_SIZE, GFP_KERNEL), id[KMD_BUILD_ID_MAX];
	u8 big[KMD_BUILD_ID_MAX + 4] = {};
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, b);
	n = put_note(b, 3, "GNU", big, sizeof(big), 4);
	KUNIT_EXPECT_EQ(test, find(b, n, 4, id, KMD_BUILD_ID_MAX), -E2BIG);
	n = put_note(b, 3, "GNU", id20, 20, 4);
	KUNIT_EXPECT_EQ(test, find(b, n, 4, id, 8), -E2BIG);
	KUNIT_EXPECT_EQ(test, id[0], 0xee);
}

static struct kunit_case notes_cases[] = {
	KUNIT_CASE(notes_after_other_notes),
	KUNIT_CASE(notes_align8),
	KUNIT_CASE(notes_without_build_id),
	KUNIT_CASE(notes_truncated_or_huge),
	KUNIT_CASE(notes_oversized_id),
	{}
};

static struct kunit_suite notes_suite = {
	.name = "kmdump_notes",
	.test_cases = notes_cases,
};

kunit_test_suites(&notes_suite);
