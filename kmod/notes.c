// SPDX-License-Identifier: GPL-2.0
/*
 * The GNU build id in a blob of ELF notes that is already in memory. Only the
 * kernel dump (kdump.c) uses it, for the kernel's own notes
 * (/sys/kernel/notes, /sys/module/<m>/notes): the module never parses a
 * target's files or images, the library reads their build ids from target
 * memory. Nothing in the blob is trusted: sizes are checked against its
 * length and against overflow.
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include "capture_internal.h"

/* The ELF gABI note type; no kernel header exports it to modules. */
#define KMD_NT_GNU_BUILD_ID	3

struct kmd_note_hdr {
	u32 namesz, descsz, type;
};

/*
 * Find an NT_GNU_BUILD_ID note named "GNU" in @notes. Fields are padded to
 * @align (4, or 8 for segments with p_align 8). Returns the id length copied
 * to @id, -ENOENT if there is none, -E2BIG if the only build id notes are
 * longer than @max, -EINVAL if the notes are malformed before one was found.
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
