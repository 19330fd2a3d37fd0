// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: GNU build-id parsing over crafted ELF images: well-formed 64- and
 * 32-bit images, several notes, 8-byte note alignment, and hostile ones
 * (truncated at every structure, huge note and segment sizes, absurd program
 * header counts, wrong class, byte order or magic, oversized ids). Every
 * hostile image must give an error, never a read outside the buffer (KASAN
 * watches) and never a made-up id.
 */
#include <kunit/test.h>
#include <linux/elf.h>
#include <linux/string.h>
#include "engine.h"

#define IMG_SIZE	1024
#define PH_OFF		64
#define NOTE_OFF	256

struct img {
	u8 *buf;
	size_t len;
};

/* Reads past the end fail like a short file read does. */
static int img_rd(void *ctx, u64 off, void *buf, u32 len)
{
	struct img *im = ctx;

	if (off > im->len || len > im->len - off)
		return -EINVAL;
	memcpy(buf, im->buf + off, len);
	return 0;
}

static const u8 id20[20] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
};

/* Append a note at *off; returns the bytes it took. */
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

/* A 64-bit ET_DYN image: one PT_LOAD, one PT_NOTE holding @notes_len bytes. */
static u8 *make_elf64(struct kunit *test, size_t notes_len, u64 align)
{
	u8 *b = kunit_kzalloc(test, IMG_SIZE, GFP_KERNEL);
	struct elf64_hdr *eh = (void *)b;
	struct elf64_phdr *ph = (void *)(b + PH_OFF);

	KUNIT_ASSERT_NOT_NULL(test, b);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = PH_OFF;
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0].p_type = PT_LOAD;
	ph[0].p_filesz = IMG_SIZE;
	ph[1].p_type = PT_NOTE;
	ph[1].p_offset = NOTE_OFF;
	ph[1].p_filesz = notes_len;
	ph[1].p_align = align;
	return b;
}

static int parse(u8 *b, size_t len, u8 *id, u32 *id_len)
{
	struct img im = { .buf = b, .len = len };

	memset(id, 0xee, KMD_BUILD_ID_MAX);
	return kmd_buildid_parse(img_rd, &im, len, id, id_len);
}

static void buildid_elf64(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 4), id[KMD_BUILD_ID_MAX];
	size_t n;
	u32 len;

	n = put_note(b + NOTE_OFF, 1, "GNU", "\0\0\0\0\3\0\0\0\2\0\0\0\0\0\0\0", 16, 4);
	n += put_note(b + NOTE_OFF + n, 3, "GNU", id20, sizeof(id20), 4);
	((struct elf64_phdr *)(b + PH_OFF))[1].p_filesz = n;
	KUNIT_ASSERT_EQ(test, parse(b, IMG_SIZE, id, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 20U);
	KUNIT_EXPECT_MEMEQ(test, id, id20, 20);
}

static void buildid_align8(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 8), id[KMD_BUILD_ID_MAX];
	size_t n;
	u32 len;

	n = put_note(b + NOTE_OFF, 5, "GNU", "abcdefghijkl", 12, 8);
	n += put_note(b + NOTE_OFF + n, 3, "GNU", id20, 16, 8);
	((struct elf64_phdr *)(b + PH_OFF))[1].p_filesz = n;
	KUNIT_ASSERT_EQ(test, parse(b, IMG_SIZE, id, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 16U);
	KUNIT_EXPECT_MEMEQ(test, id, id20, 16);
}

static void buildid_elf32(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, IMG_SIZE, GFP_KERNEL), id[KMD_BUILD_ID_MAX];
	struct elf32_hdr *eh = (void *)b;
	struct elf32_phdr *ph = (void *)(b + PH_OFF);
	u32 len;

	KUNIT_ASSERT_NOT_NULL(test, b);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_phoff = PH_OFF;
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_NOTE;
	ph->p_offset = NOTE_OFF;
	ph->p_filesz = put_note(b + NOTE_OFF, 3, "GNU", id20, 20, 4);
	KUNIT_ASSERT_EQ(test, parse(b, IMG_SIZE, id, &len), 0);
	KUNIT_EXPECT_EQ(test, len, 20U);
	KUNIT_EXPECT_MEMEQ(test, id, id20, 20);
}

static void buildid_none(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 4), id[KMD_BUILD_ID_MAX];
	u32 len = 99;

	/* A PT_NOTE with only an ABI tag, and a note named "GNX" of type 3. */
	size_t n = put_note(b + NOTE_OFF, 1, "GNU", "\0\0\0\0\3\0\0\0", 8, 4);

	n += put_note(b + NOTE_OFF + n, 3, "GNX", id20, 20, 4);
	((struct elf64_phdr *)(b + PH_OFF))[1].p_filesz = n;
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -ENOENT);
	KUNIT_EXPECT_EQ(test, len, 0U);
	/* No program headers at all. */
	((struct elf64_hdr *)b)->e_phnum = 0;
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -ENOENT);
}

/* Cut the image inside the header, the program headers and the notes. */
static void buildid_truncated(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 4), id[KMD_BUILD_ID_MAX];
	size_t n = put_note(b + NOTE_OFF, 3, "GNU", id20, 20, 4);
	u32 len;

	((struct elf64_phdr *)(b + PH_OFF))[1].p_filesz = n;
	KUNIT_EXPECT_EQ(test, parse(b, 0, id, &len), -ENOEXEC);
	KUNIT_EXPECT_EQ(test, parse(b, 40, id, &len), -ENOEXEC);
	KUNIT_EXPECT_EQ(test, parse(b, PH_OFF + 60, id, &len), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse(b, NOTE_OFF + 10, id, &len), -EINVAL);
	KUNIT_EXPECT_EQ(test, parse(b, NOTE_OFF + n - 1, id, &len), -EINVAL);
	KUNIT_EXPECT_EQ(test, len, 0U);
	KUNIT_EXPECT_EQ(test, parse(b, NOTE_OFF + n, id, &len), 0);
}

/* Note and segment sizes chosen to overflow or run past the buffer. */
static void buildid_huge_sizes(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 4), id[KMD_BUILD_ID_MAX];
	struct elf64_phdr *ph = (void *)(b + PH_OFF);
	size_t n = put_note(b + NOTE_OFF, 3, "GNU", id20, 20, 4);
	u32 big = 0xffffffff, len;

	ph[1].p_filesz = n;
	memcpy(b + NOTE_OFF, &big, 4);			/* namesz */
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
	big = 4;
	memcpy(b + NOTE_OFF, &big, 4);
	big = 0xfffffff0;
	memcpy(b + NOTE_OFF + 4, &big, 4);		/* descsz */
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
	big = 20;
	memcpy(b + NOTE_OFF + 4, &big, 4);
	ph[1].p_filesz = U64_MAX - NOTE_OFF + 1;	/* offset + size wraps */
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
	ph[1].p_filesz = IMG_SIZE;			/* runs past the image */
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
	ph[1].p_offset = U64_MAX - 8;
	ph[1].p_filesz = 16;
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
	KUNIT_EXPECT_EQ(test, len, 0U);
}

static void buildid_bad_phdrs(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 4), id[KMD_BUILD_ID_MAX];
	struct elf64_hdr *eh = (void *)b;
	u32 len;

	eh->e_phnum = 0xffff;				/* PN_XNUM and beyond */
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
	eh->e_phnum = 2;
	eh->e_phentsize = 8;				/* smaller than a phdr */
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
	eh->e_phentsize = sizeof(struct elf64_phdr);
	eh->e_phoff = U64_MAX - 16;			/* table wraps around */
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -EINVAL);
}

static void buildid_wrong_class(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 4), id[KMD_BUILD_ID_MAX];
	u32 len;

	b[EI_CLASS] = 3;
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -ENOEXEC);
	b[EI_CLASS] = ELFCLASSNONE;
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -ENOEXEC);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = ELFDATA2MSB;
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -ENOEXEC);
	b[EI_DATA] = ELFDATA2LSB;
	b[1] = 'e';
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -ENOEXEC);
	/* A 64-bit header whose class says 32: phdrs are read as 32-bit, no id. */
	b[1] = 'E';
	b[EI_CLASS] = ELFCLASS32;
	KUNIT_EXPECT_NE(test, parse(b, IMG_SIZE, id, &len), 0);
}

static void buildid_oversized_id(struct kunit *test)
{
	u8 *b = make_elf64(test, 0, 4), id[KMD_BUILD_ID_MAX], big[KMD_BUILD_ID_MAX + 4] = {};
	size_t n = put_note(b + NOTE_OFF, 3, "GNU", big, sizeof(big), 4);
	u32 len;

	((struct elf64_phdr *)(b + PH_OFF))[1].p_filesz = n;
	KUNIT_EXPECT_EQ(test, parse(b, IMG_SIZE, id, &len), -E2BIG);
	/* The note scanner on its own, with a small limit. */
	KUNIT_EXPECT_EQ(test, kmd_note_find_build_id(b + NOTE_OFF, n, 4, id, 8), -E2BIG);
	KUNIT_EXPECT_EQ(test, kmd_note_find_build_id(b + NOTE_OFF, 11, 4, id, 8), -ENOENT);
}

static struct kunit_case buildid_cases[] = {
	KUNIT_CASE(buildid_elf64),
	KUNIT_CASE(buildid_align8),
	KUNIT_CASE(buildid_elf32),
	KUNIT_CASE(buildid_none),
	KUNIT_CASE(buildid_truncated),
	KUNIT_CASE(buildid_huge_sizes),
	KUNIT_CASE(buildid_bad_phdrs),
	KUNIT_CASE(buildid_wrong_class),
	KUNIT_CASE(buildid_oversized_id),
	{}
};

static struct kunit_suite buildid_suite = {
	.name = "kmdump_buildid",
	.test_cases = buildid_cases,
};

kunit_test_suites(&buildid_suite);
