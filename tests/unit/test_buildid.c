// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GNU build ids from ELF images in memory (elf_buildid.c) and for a source's modules
 * (module_ids.c): this process's own images against readelf -n, crafted 64- and 32-bit
 * images, and hostile ones (cut inside every structure, program header tables and note
 * segments that overflow or leave the window, notes whose sizes run past their segment,
 * ids longer than 64 bytes, wrong class, byte order or magic). A hostile image must give
 * an error, never a read outside the bytes given (each parse gets an exact-size copy, and
 * ASan watches) and never a made-up id. These are the checks of the module's KUnit suite
 * from when the kernel parsed build ids, and more.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf_buildid.h"
#include "harness.h"

#define IMG_SIZE 8192
#define PH_OFF 64
#define NOTE_OFF 256

static _Alignas(8) uint8_t img[IMG_SIZE];

static const uint8_t id20[20] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
};

static const char abi_tag[16] = { 0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0 };

static size_t pad(size_t n, uint32_t align)
{
	return (n + align - 1) / align * align;
}

/* Write one note at p; returns the bytes it took, padding included. */
static size_t put_note(uint8_t *p, uint32_t type, const char *name, const void *desc,
		       uint32_t descsz, uint32_t align)
{
	Elf64_Nhdr h = { (uint32_t)strlen(name) + 1, descsz, type };
	size_t off;

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), name, h.n_namesz);
	off = pad(sizeof(h) + h.n_namesz, align);
	memcpy(p + off, desc, descsz);
	return pad(off + descsz, align);
}

static Elf64_Ehdr *eh64(void)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *ph64(int i)
{
	return (Elf64_Phdr *)(img + PH_OFF) + i;
}

/* A 64-bit ET_DYN image: a PT_LOAD over all of it and an empty PT_NOTE at note_off. */
static void make_elf64(uint64_t note_off, uint64_t align)
{
	Elf64_Ehdr *eh = eh64();

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = PH_OFF;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	ph64(0)->p_type = PT_LOAD;
	ph64(0)->p_filesz = IMG_SIZE;
	ph64(1)->p_type = PT_NOTE;
	ph64(1)->p_offset = note_off;
	ph64(1)->p_align = align;
}

/* An ABI tag note, then the 20-byte build id, at note_off; returns the notes' size. */
static size_t make_elf64_with_id(uint64_t note_off)
{
	size_t n;

	make_elf64(note_off, 4);
	n = put_note(img + note_off, NT_GNU_ABI_TAG, "GNU", abi_tag, sizeof(abi_tag), 4);
	n += put_note(img + note_off + n, NT_GNU_BUILD_ID, "GNU", id20, sizeof(id20), 4);
	ph64(1)->p_filesz = n;
	return n;
}

/* A 32-bit image with one PT_NOTE holding the build id. */
static void make_elf32(void)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + PH_OFF);

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_386;
	eh->e_phoff = PH_OFF;
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_NOTE;
	ph->p_offset = NOTE_OFF;
	ph->p_filesz = (uint32_t)put_note(img + NOTE_OFF, NT_GNU_BUILD_ID, "GNU", id20, 20, 4);
}

static uint8_t id[KMDUMP_BUILD_ID_MAX];
static size_t need;

/* Parse the first len bytes of img from an exact-size copy, so overreads are caught. */
static int parse(size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, img, len);
	memset(id, 0xee, sizeof(id));
	need = 0;
	r = kmd_elf_build_id(copy, len, id, &need);
	free(copy);
	return r;
}

START_TEST(elf64_build_id)
{
	make_elf64_with_id(NOTE_OFF);
	ck_assert_int_eq(parse(IMG_SIZE), 20);
	ck_assert_mem_eq(id, id20, 20);
}
END_TEST

START_TEST(notes_aligned_to_8)
{
	size_t n;

	make_elf64(NOTE_OFF, 8);
	n = put_note(img + NOTE_OFF, NT_GNU_PROPERTY_TYPE_0, "GNU", "abcdefghijkl", 12, 8);
	n += put_note(img + NOTE_OFF + n, NT_GNU_BUILD_ID, "GNU", id20, 16, 8);
	ph64(1)->p_filesz = n;
	ck_assert_int_eq(parse(IMG_SIZE), 16);
	ck_assert_mem_eq(id, id20, 16);
}
END_TEST

START_TEST(elf32_build_id)
{
	make_elf32();
	ck_assert_int_eq(parse(IMG_SIZE), 20);
	ck_assert_mem_eq(id, id20, 20);
	/* its header is 52 bytes, not 64 */
	ck_assert_int_eq(parse(40), -ENODATA);
	ck_assert_uint_eq(need, sizeof(Elf32_Ehdr));
}
END_TEST

START_TEST(no_build_id)
{
	size_t n;

	make_elf64(NOTE_OFF, 4);
	n = put_note(img + NOTE_OFF, NT_GNU_ABI_TAG, "GNU", abi_tag, 8, 4);
	n += put_note(img + NOTE_OFF + n, NT_GNU_BUILD_ID, "GNX", id20, 20, 4); /* wrong owner */
	n += put_note(img + NOTE_OFF + n, NT_GNU_BUILD_ID, "GNU", id20, 0, 4);  /* empty */
	ph64(1)->p_filesz = n;
	ck_assert_int_eq(parse(IMG_SIZE), -ENOENT);
	ck_assert_uint_eq(id[0], 0xee);
	make_elf64_with_id(NOTE_OFF);
	ph64(1)->p_type = PT_DYNAMIC; /* no PT_NOTE at all */
	ck_assert_int_eq(parse(IMG_SIZE), -ENOENT);
	eh64()->e_phnum = 0; /* no program headers */
	ck_assert_int_eq(parse(IMG_SIZE), -ENOENT);
	ck_assert_uint_eq(id[0], 0xee);
}
END_TEST

/* Cut inside the header, the program headers and the notes: each time the parser says
 * how much would answer, and that much does. */
START_TEST(truncated_headers)
{
	size_t n = make_elf64_with_id(NOTE_OFF);
	const size_t cuts[] = { 0, 10, 40, PH_OFF + 60, NOTE_OFF + 10, NOTE_OFF + n - 1 };
	const size_t wants[] = { 64, 64, 64, PH_OFF + 2 * sizeof(Elf64_Phdr), NOTE_OFF + n,
				 NOTE_OFF + n };
	size_t i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		ck_assert_int_eq(parse(cuts[i]), -ENODATA);
		ck_assert_uint_eq(need, wants[i]);
		ck_assert_uint_eq(id[0], 0xee);
	}
	ck_assert_int_eq(parse(NOTE_OFF + n), 20);
	ck_assert_mem_eq(id, id20, 20);
}
END_TEST

/* Note sizes that run past their segment (or wrap) while the image goes on. */
START_TEST(note_sizes_past_segment)
{
	size_t n = make_elf64_with_id(NOTE_OFF), first = pad(12 + 4, 4) + sizeof(abi_tag);
	uint32_t v;

	ph64(1)->p_filesz = n - 4; /* the build id's desc runs past the segment */
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ph64(1)->p_filesz = n;
	v = 200; /* namesz past the segment, inside the image */
	memcpy(img + NOTE_OFF + first, &v, 4);
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	v = 0xffffffff;
	memcpy(img + NOTE_OFF + first, &v, 4);
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	v = 4;
	memcpy(img + NOTE_OFF + first, &v, 4);
	v = 0xfffffff0; /* descsz */
	memcpy(img + NOTE_OFF + first + 4, &v, 4);
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	v = 20;
	memcpy(img + NOTE_OFF + first + 4, &v, 4);
	ck_assert_int_eq(parse(IMG_SIZE), 20);
	/* the last note may omit its trailing padding */
	make_elf64(NOTE_OFF, 4);
	ph64(1)->p_filesz = put_note(img + NOTE_OFF, NT_GNU_BUILD_ID, "GNU", id20, 18, 4) - 2;
	ck_assert_int_eq(parse(IMG_SIZE), 18);
}
END_TEST

/* PT_NOTE offsets and sizes that wrap or leave the 64 KiB window; a later good one wins. */
START_TEST(note_segment_overflow)
{
	const uint64_t offs[] = { NOTE_OFF, NOTE_OFF, UINT64_MAX - 8, KMD_ELF_WINDOW + 16 };
	const uint64_t sizes[] = { UINT64_MAX - NOTE_OFF + 1, KMD_ELF_WINDOW, 16, 16 };
	size_t n, i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		n = make_elf64_with_id(NOTE_OFF);
		ph64(1)->p_offset = offs[i];
		ph64(1)->p_filesz = sizes[i];
		ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
		ck_assert_uint_eq(id[0], 0xee);
		*ph64(2) = *ph64(1); /* then a sound one after it */
		ph64(2)->p_offset = NOTE_OFF;
		ph64(2)->p_filesz = n;
		eh64()->e_phnum = 3;
		ck_assert_int_eq(parse(IMG_SIZE), 20);
	}
}
END_TEST

START_TEST(phdr_table_overflow)
{
	make_elf64_with_id(NOTE_OFF);
	eh64()->e_phnum = 0xffff; /* PN_XNUM */
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	eh64()->e_phnum = KMD_ELF_MAX_PHDRS + 1;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	eh64()->e_phnum = 2;
	eh64()->e_phentsize = 8; /* smaller than a program header */
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	eh64()->e_phentsize = 0xffff; /* the table leaves the window */
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	eh64()->e_phentsize = sizeof(Elf64_Phdr);
	eh64()->e_phoff = UINT64_MAX - 16; /* the table wraps around */
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	eh64()->e_phoff = KMD_ELF_WINDOW - 8;
	ck_assert_int_eq(parse(IMG_SIZE), -EINVAL);
	ck_assert_uint_eq(id[0], 0xee);
}
END_TEST

START_TEST(build_id_longer_than_64)
{
	uint8_t big[KMDUMP_BUILD_ID_MAX + 4] = { 0 };
	size_t n;

	make_elf64(NOTE_OFF, 4);
	n = put_note(img + NOTE_OFF, NT_GNU_BUILD_ID, "GNU", big, sizeof(big), 4);
	ph64(1)->p_filesz = n;
	ck_assert_int_eq(parse(IMG_SIZE), -E2BIG);
	ck_assert_uint_eq(id[0], 0xee);
	ph64(1)->p_filesz = put_note(img + NOTE_OFF, NT_GNU_BUILD_ID, "GNU", big, 64, 4);
	ck_assert_int_eq(parse(IMG_SIZE), 64);
	/* the note scanner alone, with a small limit or too few bytes */
	n = put_note(img + NOTE_OFF, NT_GNU_BUILD_ID, "GNU", id20, 20, 4);
	ck_assert_int_eq(kmd_elf_note_build_id(img + NOTE_OFF, n, 4, id, 8), -E2BIG);
	ck_assert_int_eq(kmd_elf_note_build_id(img + NOTE_OFF, 11, 4, id, 8), -ENOENT);
}
END_TEST

START_TEST(wrong_class_or_byte_order)
{
	make_elf64_with_id(NOTE_OFF);
	img[EI_CLASS] = 3;
	ck_assert_int_eq(parse(IMG_SIZE), -ENOEXEC);
	img[EI_CLASS] = ELFCLASSNONE;
	ck_assert_int_eq(parse(IMG_SIZE), -ENOEXEC);
	img[EI_CLASS] = ELFCLASS64;
	img[EI_DATA] = ELFDATA2MSB;
	ck_assert_int_eq(parse(IMG_SIZE), -ENOEXEC);
	img[EI_DATA] = ELFDATA2LSB;
	img[1] = 'e';
	ck_assert_int_eq(parse(IMG_SIZE), -ENOEXEC);
	/* a 64-bit header whose class says 32: its fields misread, but never an id */
	img[1] = 'E';
	img[EI_CLASS] = ELFCLASS32;
	ck_assert_int_lt(parse(IMG_SIZE), 0);
	ck_assert_uint_eq(id[0], 0xee);
}
END_TEST

/* ---- real images: this process's executable and libc, as they lie in memory ---- */

static int readelf_id(const char *path, uint8_t *out)
{
	char cmd[600], line[512], *p;
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "Build ID: ");
		if (!p)
			continue;
		for (p += 10; n < KMDUMP_BUILD_ID_MAX && sscanf(p, "%2hhx", &out[n]) == 1; p += 2)
			n++;
		break;
	}
	pclose(f);
	return n;
}

struct real {
	int checked;
};

/* The image starts where its first PT_LOAD maps file offset 0. */
static int check_real_image(struct dl_phdr_info *info, size_t size, void *arg)
{
	char exe[512] = "";
	const char *path = info->dlpi_name[0] ? info->dlpi_name : exe;
	uint8_t want[KMDUMP_BUILD_ID_MAX], got[KMDUMP_BUILD_ID_MAX];
	const ElfW(Phdr) *load = NULL;
	struct real *r = arg;
	const uint8_t *base;
	int i, n, want_len;

	(void)size;
	if (info->dlpi_name[0] && !strstr(info->dlpi_name, "/libc.so"))
		return 0;
	/* readelf's own /proc/self/exe would be readelf */
	if (!info->dlpi_name[0])
		ck_assert_int_gt(readlink("/proc/self/exe", exe, sizeof(exe) - 1), 0);
	for (i = 0; i < info->dlpi_phnum && !load; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD)
			load = &info->dlpi_phdr[i];
	ck_assert_ptr_nonnull(load);
	ck_assert_uint_eq(load->p_offset, 0);
	base = (const uint8_t *)(info->dlpi_addr + (load->p_vaddr & ~(uint64_t)0xfff));
	n = kmd_elf_build_id(base, load->p_filesz < 4096 ? load->p_filesz : 4096, got, &need);
	if (n == -ENODATA && need <= load->p_filesz)
		n = kmd_elf_build_id(base, need, got, &need);
	want_len = readelf_id(path, want);
	ck_assert_msg(want_len > 0, "readelf -n finds no build id in %s", path);
	ck_assert_int_eq(n, want_len);
	ck_assert_mem_eq(got, want, (size_t)want_len);
	r->checked++;
	return 0;
}

START_TEST(real_images_match_readelf)
{
	struct real r = { 0 };

	dl_iterate_phdr(check_real_image, &r);
	ck_assert_int_eq(r.checked, 2);
}
END_TEST

/* ---- the modules of a source: the fake's memory holds the images ---- */

static struct fake F;

static void fake_with_exe_image(uint64_t note_off)
{
	fake_init(&F);
	make_elf64_with_id(note_off);
	fake_place(&F, FAKE_EXE_BASE, img, IMG_SIZE);
}

START_TEST(module_ids_from_first_pages)
{
	fake_with_exe_image(NOTE_OFF);
	ck_assert_int_eq(kmd_src_find_build_ids(&F.src, F.modules, F.nmodules), S_OK);
	ck_assert_uint_eq(F.modules[0].build_id_len, 20);
	ck_assert_mem_eq(F.modules[0].build_id, id20, 20);
	/* the library's bytes are no ELF image: the id the fake came with is dropped */
	ck_assert_uint_eq(F.modules[1].build_id_len, 0);
	ck_assert_uint_eq(F.batches, 1); /* one round trip for every module */
	ck_assert_uint_eq(F.reads, 0);
}
END_TEST

START_TEST(module_ids_past_first_page)
{
	fake_with_exe_image(0x1800);
	ck_assert_int_eq(kmd_src_find_build_ids(&F.src, F.modules, 1), S_OK);
	ck_assert_uint_eq(F.modules[0].build_id_len, 20);
	ck_assert_mem_eq(F.modules[0].build_id, id20, 20);
	ck_assert_uint_eq(F.reads, 1);
	/* notes that lie past the module's end are not read */
	fake_with_exe_image(0x1800);
	F.modules[0].size = 0x1000;
	ck_assert_int_eq(kmd_src_find_build_ids(&F.src, F.modules, 1), S_OK);
	ck_assert_uint_eq(F.modules[0].build_id_len, 0);
	ck_assert_uint_eq(F.reads, 0);
}
END_TEST

START_TEST(module_ids_unreadable)
{
	fake_with_exe_image(NOTE_OFF);
	fake_add_hole(&F, FAKE_EXE_BASE + 0x100, FAKE_EXE_BASE + 0x200);
	ck_assert_int_eq(kmd_src_find_build_ids(&F.src, F.modules, 1), S_OK);
	ck_assert_uint_eq(F.modules[0].build_id_len, 0);
	ck_assert_uint_eq(F.reads, 0); /* a cut first page is not read further */
	fake_with_exe_image(0x1800);
	fake_add_hole(&F, FAKE_EXE_BASE + 0x1800, FAKE_EXE_BASE + 0x1900);
	ck_assert_int_eq(kmd_src_find_build_ids(&F.src, F.modules, 1), S_OK);
	ck_assert_uint_eq(F.modules[0].build_id_len, 0);
	ck_assert_uint_eq(F.reads, 1);
}
END_TEST

START_TEST(module_ids_without_batched_reads)
{
	struct kmd_source_ops ops;

	fake_with_exe_image(NOTE_OFF);
	ops = *F.src.ops;
	ops.read_batch = NULL;
	F.src.ops = &ops;
	ck_assert_int_eq(kmd_src_find_build_ids(&F.src, F.modules, F.nmodules), S_OK);
	ck_assert_uint_eq(F.modules[0].build_id_len, 20);
	ck_assert_mem_eq(F.modules[0].build_id, id20, 20);
	ck_assert_uint_eq(F.modules[1].build_id_len, 0);
	ck_assert_uint_eq(F.reads, 2);
	ck_assert_uint_eq(F.batches, 0);
}
END_TEST

Suite *buildid_suite(void)
{
	Suite *s = suite_create("buildid");
	TCase *tc = tcase_create("buildid");

	tcase_add_test(tc, elf64_build_id);
	tcase_add_test(tc, notes_aligned_to_8);
	tcase_add_test(tc, elf32_build_id);
	tcase_add_test(tc, no_build_id);
	tcase_add_test(tc, truncated_headers);
	tcase_add_test(tc, note_sizes_past_segment);
	tcase_add_test(tc, note_segment_overflow);
	tcase_add_test(tc, phdr_table_overflow);
	tcase_add_test(tc, build_id_longer_than_64);
	tcase_add_test(tc, wrong_class_or_byte_order);
	tcase_add_test(tc, real_images_match_readelf);
	tcase_add_test(tc, module_ids_from_first_pages);
	tcase_add_test(tc, module_ids_past_first_page);
	tcase_add_test(tc, module_ids_unreadable);
	tcase_add_test(tc, module_ids_without_batched_reads);
	suite_add_tcase(s, tc);
	return s;
}
