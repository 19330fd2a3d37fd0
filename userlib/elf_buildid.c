// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GNU build ids of ELF images in memory (elf_buildid.h). Nothing in the image is trusted:
 * every offset and size is checked against the bytes given and against overflow, and
 * nothing past KMD_ELF_WINDOW is ever asked for.
 *
 * Offsets are file offsets (p_offset), as in Breakpad's FindElfSegments: the first PT_LOAD
 * maps file offset 0 at the image's base, so inside it they equal offsets from the base,
 * and every common linker puts the headers and the build-id note there. A file mapped as
 * plain data is read right the same way.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <kmdump/uapi.h>
#include "elf_buildid.h"

/* What the program header table looks like, whatever the class. */
struct kmd_elf {
	uint64_t phoff;
	uint32_t phnum, phentsize;
	bool is64;
};

struct kmd_note_seg {
	uint64_t off, size, align;
};

static size_t pad(size_t n, uint32_t align)
{
	return (n + align - 1) & ~(size_t)(align - 1);
}

/* The ELF header. Fields are read in host order: the library runs on x86, like its images. */
static int elf_header(const uint8_t *img, size_t len, struct kmd_elf *e, size_t *need)
{
	Elf64_Ehdr h64;
	Elf32_Ehdr h32;

	if (len < EI_NIDENT) {
		*need = sizeof(h64);
		return -ENODATA;
	}
	if (memcmp(img, ELFMAG, SELFMAG) || img[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	if (img[EI_CLASS] == ELFCLASS64) {
		if (len < sizeof(h64)) {
			*need = sizeof(h64);
			return -ENODATA;
		}
		memcpy(&h64, img, sizeof(h64));
		*e = (struct kmd_elf){ h64.e_phoff, h64.e_phnum, h64.e_phentsize, true };
		return 0;
	}
	if (img[EI_CLASS] == ELFCLASS32) {
		if (len < sizeof(h32)) {
			*need = sizeof(h32);
			return -ENODATA;
		}
		memcpy(&h32, img, sizeof(h32));
		*e = (struct kmd_elf){ h32.e_phoff, h32.e_phnum, h32.e_phentsize, false };
		return 0;
	}
	return -ENOEXEC;
}

/* The program header table must be plausible, inside the window and inside @len. */
static int elf_phdrs_fit(const struct kmd_elf *e, size_t len, size_t *need)
{
	size_t entry = e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t end;

	if (!e->phnum)
		return -ENOENT;
	if (e->phnum > KMD_ELF_MAX_PHDRS || e->phentsize < entry || e->phoff > KMD_ELF_WINDOW)
		return -EINVAL; /* PN_XNUM (0xffff) is refused here too */
	end = e->phoff + (uint64_t)e->phnum * e->phentsize; /* both bounded: cannot wrap */
	if (end > KMD_ELF_WINDOW)
		return -EINVAL;
	if (end > len) {
		*need = (size_t)end;
		return -ENODATA;
	}
	return 0;
}

/* Program header @i, if it is a PT_NOTE (the table was checked by elf_phdrs_fit). */
static bool elf_note_seg(const uint8_t *img, const struct kmd_elf *e, uint32_t i,
			 struct kmd_note_seg *s)
{
	const uint8_t *p = img + e->phoff + (size_t)i * e->phentsize;
	Elf64_Phdr p64;
	Elf32_Phdr p32;

	if (e->is64) {
		memcpy(&p64, p, sizeof(p64));
		*s = (struct kmd_note_seg){ p64.p_offset, p64.p_filesz, p64.p_align };
		return p64.p_type == PT_NOTE;
	}
	memcpy(&p32, p, sizeof(p32));
	*s = (struct kmd_note_seg){ p32.p_offset, p32.p_filesz, p32.p_align };
	return p32.p_type == PT_NOTE;
}

int kmd_elf_build_id(const uint8_t *img, size_t len, uint8_t *id, size_t *need)
{
	struct kmd_note_seg s;
	struct kmd_elf e;
	uint64_t further = 0;
	uint32_t i;
	int r, err = -ENOENT;

	*need = 0;
	if (len > KMD_ELF_WINDOW)
		len = KMD_ELF_WINDOW;
	r = elf_header(img, len, &e, need);
	if (!r)
		r = elf_phdrs_fit(&e, len, need);
	if (r)
		return r;
	for (i = 0; i < e.phnum; i++) {
		if (!elf_note_seg(img, &e, i, &s) || !s.size)
			continue;
		if (s.off > KMD_ELF_WINDOW || s.size > KMD_ELF_WINDOW - s.off) {
			err = -EINVAL; /* a later segment may still hold the id */
			continue;
		}
		if (s.off + s.size > len) {
			further = s.off + s.size > further ? s.off + s.size : further;
			continue;
		}
		r = kmd_elf_note_build_id(img + s.off, (size_t)s.size, s.align == 8 ? 8 : 4, id,
					  KMDUMP_BUILD_ID_MAX);
		if (r > 0)
			return r;
		if (r != -ENOENT)
			err = r;
	}
	if (further) {
		*need = (size_t)further;
		return -ENODATA;
	}
	return err;
}

int kmd_elf_note_build_id(const uint8_t *notes, size_t len, uint32_t align, uint8_t *id,
			  uint32_t max)
{
	size_t off = 0, desc, next;
	bool too_long = false;
	Elf64_Nhdr h; /* the same three words in both classes */

	if (align != 8)
		align = 4;
	while (len - off >= sizeof(h)) {
		memcpy(&h, notes + off, sizeof(h));
		off += sizeof(h);
		if (h.n_namesz > len - off)
			return -EINVAL;
		desc = pad(off + h.n_namesz, align);
		if (desc > len || h.n_descsz > len - desc)
			return -EINVAL;
		next = pad(desc + h.n_descsz, align);
		if (next > len)
			next = len; /* the last note may omit its padding */
		if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 &&
		    !memcmp(notes + off, "GNU", 4) && h.n_descsz) {
			if (h.n_descsz <= max) {
				memcpy(id, notes + desc, h.n_descsz);
				return (int)h.n_descsz;
			}
			too_long = true;
		}
		off = next;
	}
	return too_long ? -E2BIG : -ENOENT;
}
