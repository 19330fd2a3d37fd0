/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The GNU build id of an ELF image as it lies in the target's memory: the ELF header at
 * the image's first byte, its program headers, and an NT_GNU_BUILD_ID note (owner "GNU")
 * in a PT_NOTE segment. Pure (bytes in, build id out) and bounded, so the unit tests can
 * feed it crafted and hostile images: the bytes come from a process that may be hostile.
 */
#ifndef KMDUMP_ELF_BUILDID_H
#define KMDUMP_ELF_BUILDID_H

#include <stddef.h>
#include <stdint.h>

/* Never look further into an image: linkers put the headers and notes in its first page. */
#define KMD_ELF_WINDOW (64u * 1024u)
/* Real images have a few dozen program headers at most. */
#define KMD_ELF_MAX_PHDRS 256u

/*
 * kmd_elf_build_id() - the GNU build id of the image whose first @len bytes are @img.
 * @id gets the id and must have room for KMDUMP_BUILD_ID_MAX bytes. Little-endian images
 * of both classes are read (a 32-bit image in a 64-bit process is legal). Returns the id's
 * length, or:
 *   -ENODATA  @img is too short to answer: *@need bytes would (never more than
 *             KMD_ELF_WINDOW); call again with that many
 *   -ENOENT   the image has no build id
 *   -ENOEXEC  not a little-endian ELF image
 *   -EINVAL   headers or notes that are malformed, overflow, or reach past KMD_ELF_WINDOW
 *   -E2BIG    the only build ids are longer than KMDUMP_BUILD_ID_MAX
 */
int kmd_elf_build_id(const uint8_t *img, size_t len, uint8_t *id, size_t *need);

/*
 * kmd_elf_note_build_id() - find an NT_GNU_BUILD_ID note named "GNU" in the bytes of one
 * PT_NOTE segment, whose fields are padded to @align (8 for segments aligned to 8, else
 * 4). Returns the id length copied to @id, -ENOENT if there is none, -E2BIG if the only
 * build ids are longer than @max, -EINVAL if the notes are malformed before one is found.
 */
int kmd_elf_note_build_id(const uint8_t *notes, size_t len, uint32_t align, uint8_t *id,
			  uint32_t max);

#endif /* KMDUMP_ELF_BUILDID_H */
