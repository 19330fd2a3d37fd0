// SPDX-License-Identifier: GPL-2.0
/*
 * GNU build id of an ELF image, parsed by us (build_id_parse() is not
 * exported): the ELF header, then the program headers, then every PT_NOTE
 * segment, looking for an NT_GNU_BUILD_ID note named "GNU".
 *
 * The image is only ever reached through a read callback, so the same code
 * runs over a mapped file (modules.c), over target memory (the vDSO), and over
 * crafted buffers in KUnit. Nothing in the image is trusted: every offset and
 * size is checked against the image size and against overflow, program header
 * counts and note segment sizes are capped, and both ELF classes are
 * accepted (a 32-bit image in a 64-bit process, or the reverse, is legal:
 * think of x32 or a loaded data file).
 */
#include <linux/kernel.h>
#include <linux/elf.h>
#include <linux/slab.h>
#include <linux/overflow.h>
#include "engine.h"

#define KMD_MAX_PHDRS		256
#define KMD_MAX_NOTE_SEG	(64 * 1024)
/* The ELF gABI note type; no kernel header exports it to modules. */
#define KMD_NT_GNU_BUILD_ID	3

struct kmd_note_hdr {
	u32 namesz, descsz, type;
};

/*
 * Find an NT_GNU_BUILD_ID note in a PT_NOTE segment's bytes. Fields are
 * padded to @align (4, or 8 for segments with p_align 8). Returns the id
 * length copied to @id, -ENOENT if there is none, -E2BIG if the only build
 * id notes are longer than @max, -EINVAL if the notes are malformed before
 * one was found.
 */
int kmd_note_find_build_id(const void *notes, size_t len, u32 align, u8 *id,
			   u32 max)
{
	const u8 *p = notes;
	size_t off = 0, name_end, desc_end;
	struct kmd_note_hdr h;
	bool too_big = false;

	if (align != 8)
		align = 4;
	while (len - off >= sizeof(h)) {
		memcpy(&h, p + off, sizeof(h));
		off += sizeof(h);
		/* Offsets are relative to the (aligned) segment start. */
		if (check_add_overflow(off, (size_t)h.namesz, &name_end) ||
		    name_end > len)
			return -EINVAL;
		name_end = ALIGN(name_end, align);
		if (check_add_overflow(name_end, (size_t)h.descsz, &desc_end) ||
		    desc_end > len)
			return -EINVAL;
		/* The last note may omit its trailing padding. */
		desc_end = min_t(size_t, ALIGN(desc_end, align), len);
		if (h.type == KMD_NT_GNU_BUILD_ID && h.namesz == 4 &&
		    !memcmp(p + off, "GNU", 4) && h.descsz > 0) {
			if (h.descsz <= max) {
				memcpy(id, p + name_end, h.descsz);
				return h.descsz;
			}
			too_big = true;
		}
		off = desc_end;
	}
	return too_big ? -E2BIG : -ENOENT;
}

struct kmd_note_seg {
	u64 off, size;
	u32 align;
};

/* Read the program headers and collect PT_NOTE segments (both classes). */
static int kmd_elf_notes(kmd_img_read_fn rd, void *ctx, u64 img_size,
			 struct kmd_note_seg *segs, u32 max)
{
	union {
		struct elf64_hdr e64;
		struct elf32_hdr e32;
	} eh = {};
	union {
		struct elf64_phdr p64;
		struct elf32_phdr p32;
	} ph;
	u64 phoff, span, pos;
	u32 phnum, phentsize, want, i, n = 0;
	bool is64;
	int err;

	if (img_size < sizeof(struct elf32_hdr))
		return -ENOEXEC;
	err = rd(ctx, 0, &eh, min_t(u64, img_size, sizeof(eh)));
	if (err)
		return err;
	if (memcmp(eh.e64.e_ident, ELFMAG, SELFMAG))
		return -ENOEXEC;
	if (eh.e64.e_ident[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;	/* x86 images are little-endian */
	switch (eh.e64.e_ident[EI_CLASS]) {
	case ELFCLASS64:
		if (img_size < sizeof(struct elf64_hdr))
			return -ENOEXEC;
		is64 = true;
		phoff = eh.e64.e_phoff;
		phnum = eh.e64.e_phnum;
		phentsize = eh.e64.e_phentsize;
		want = sizeof(struct elf64_phdr);
		break;
	case ELFCLASS32:
		is64 = false;
		phoff = eh.e32.e_phoff;
		phnum = eh.e32.e_phnum;
		phentsize = eh.e32.e_phentsize;
		want = sizeof(struct elf32_phdr);
		break;
	default:
		return -ENOEXEC;
	}
	if (!phnum)
		return 0;
	if (phnum > KMD_MAX_PHDRS || phentsize < want)
		return -EINVAL;
	if (check_mul_overflow((u64)phnum, (u64)phentsize, &span) ||
	    check_add_overflow(phoff, span, &span) || span > img_size)
		return -EINVAL;
	for (i = 0; i < phnum && n < max; i++) {
		pos = phoff + (u64)i * phentsize;
		err = rd(ctx, pos, &ph, want);
		if (err)
			return err;
		if (is64 && ph.p64.p_type == PT_NOTE) {
			segs[n].off = ph.p64.p_offset;
			segs[n].size = ph.p64.p_filesz;
			segs[n].align = ph.p64.p_align == 8 ? 8 : 4;
			n++;
		} else if (!is64 && ph.p32.p_type == PT_NOTE) {
			segs[n].off = ph.p32.p_offset;
			segs[n].size = ph.p32.p_filesz;
			segs[n].align = ph.p32.p_align == 8 ? 8 : 4;
			n++;
		}
	}
	return n;
}

/**
 * kmd_buildid_parse() - the GNU build id of the image behind @rd.
 * Returns 0 with @id/@id_len set, -ENOENT if the image has none, -ENOEXEC if
 * it is not a little-endian ELF image, -EINVAL if it is malformed or
 * truncated, -E2BIG if the id is longer than KMD_BUILD_ID_MAX, or the error
 * of @rd.
 */
int kmd_buildid_parse(kmd_img_read_fn rd, void *ctx, u64 img_size, u8 *id,
		      u32 *id_len)
{
	struct kmd_note_seg segs[8];
	u64 end;
	void *buf;
	int n, i, r, err = -ENOENT;

	*id_len = 0;
	n = kmd_elf_notes(rd, ctx, img_size, segs, ARRAY_SIZE(segs));
	if (n < 0)
		return n;
	buf = kmalloc(KMD_MAX_NOTE_SEG, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!segs[i].size)
			continue;
		if (check_add_overflow(segs[i].off, segs[i].size, &end) ||
		    end > img_size) {
			err = -EINVAL;	/* truncated image */
			continue;
		}
		if (segs[i].size > KMD_MAX_NOTE_SEG) {
			err = -EINVAL;	/* absurd note segment */
			continue;
		}
		r = rd(ctx, segs[i].off, buf, segs[i].size);
		if (r) {
			err = r;
			continue;
		}
		r = kmd_note_find_build_id(buf, segs[i].size, segs[i].align, id,
					   KMD_BUILD_ID_MAX);
		if (r > 0) {
			*id_len = r;
			err = 0;
			break;
		}
		/* Keep the most telling failure; a later segment may still hold it. */
		if (r != -ENOENT)
			err = r;
	}
	kfree(buf);
	return err;
}
