/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Engine-internal interface between the capture engine files (freeze, regs,
 * procinfo, vma, kstack). The session layer uses capture.h only.
 */
#ifndef KMDUMP_CAPTURE_INTERNAL_H
#define KMDUMP_CAPTURE_INTERNAL_H

#include "capture.h"

/* Register buffers one thread fills for itself (parked) or that the worker
 * fills from outside (blocked). Sizes come from the thread's regset view.
 */
struct kmd_regbufs {
	void *gp, *fp, *xs;
	u32 gp_len, fp_len, xs_len;	/* buffer sizes */
	u32 flags;			/* enum kmdump_thread_flags */
	u64 debugreg[8];
	/*
	 * Taken from pt_regs at the same moment as the regsets, while the
	 * thread's stack is known to be alive: it may be freed right after.
	 */
	u64 sp, ip;
	s64 syscall_nr;			/* valid with KMDUMP_THREAD_FLAGS_IN_SYSCALL */
	u64 syscall_args[6];
};

struct kmd_freeze *kmd_freeze_new(struct kmd_capture *c);
void kmd_freeze_put(struct kmd_freeze *fz);
bool kmd_freeze_started(const struct kmd_freeze *fz);
bool kmd_freeze_changed(const struct kmd_freeze *fz);
bool kmd_park_read_outside(struct kmd_park *p, struct task_struct *t,
			   struct kmd_regbufs *rb);

/* regs.c */
int kmd_regbufs_alloc(struct kmd_capture *c, struct task_struct *t,
		      struct kmd_regbufs *rb);
void kmd_regbufs_free(struct kmd_capture *c, struct kmd_regbufs *rb);
void kmd_regs_read(struct task_struct *t, struct kmd_regbufs *rb);
void kmd_regs_read_debug(struct kmd_regbufs *rb);
void kmd_regs_fill_thread(struct kmd_thread *th, const struct kmd_regbufs *rb);

/* Take over the registers a parked thread saved (NULL if it did not park). */
bool kmd_park_take_regs(struct kmd_park *p, struct kmd_regbufs *rb);
void kmd_park_release(struct kmd_capture *c, struct kmd_park *p);

/* target_read.c, vma.c: pure helpers over VMA flags (KUnit-tested) */
int kmd_vma_refusal(unsigned long vm_flags);
u32 kmd_vma_flags(unsigned long vm_flags);
u32 kmd_vma_skip_reason(unsigned long vm_flags);

/* mm.c: the target's mm (a leaf) */
int kmd_mmap_lock_bounded(struct mm_struct *mm, struct kmd_capture *c);
bool kmd_group_uses_mm(struct task_struct *leader, struct mm_struct *mm);

/* notes.c: GNU build id in a blob of ELF notes in memory (kdump.c's, pure) */
int kmd_note_find_build_id(const void *notes, size_t len, u32 align, u8 *id,
			   u32 max);

/* rootpath.c: a file's name as the requester sees it (NULL: outside its root) */
const char *kmd_path_in_root(const struct path *p, const struct path *root,
			     char *buf, char *rbuf);

/* procinfo.c, vma.c, kstack.c */
int kmd_procinfo_capture(struct kmd_capture *c, struct task_struct *leader,
			 struct mm_struct *mm);
void kmd_procinfo_free(struct kmd_capture *c);
int kmd_vmas_capture(struct kmd_capture *c, struct mm_struct *mm);
void kmd_vmas_free(struct kmd_capture *c);
int kmd_kstack_capture(struct kmd_capture *c, struct kmd_thread *th);
int kmd_kstack_render(struct task_struct *t, char *out, u32 out_size, u32 *used);
bool kmd_kstack_wchan(const char *frames, u32 len, u32 *off, u32 *name_len);
u32 kmd_task_state(struct task_struct *t);

#endif /* KMDUMP_CAPTURE_INTERNAL_H */
