// SPDX-License-Identifier: GPL-2.0
/*
 * User registers through the regset view, exactly as an ELF core dump gets
 * them (fs/binfmt_elf.c fill_thread_core_info): NT_PRSTATUS (general
 * registers with orig_ax, fs_base and gs_base), NT_PRFPREG (FXSAVE) and
 * NT_X86_XSTATE (UABI XSAVE, xfeatures mask in sw_reserved).
 *
 * A parked thread reads its own set: the x86 regset getters call
 * sync_fpstate(), which saves the live FPU registers when target == current.
 * A blocked thread is read from outside: it is switched out, so its FPU
 * state is already in memory (switch_fpu_prepare).
 */
#include <linux/regset.h>
#include <linux/elf.h>
#include <linux/perf_event.h>
#include <linux/sched/task_stack.h>
#include <asm/syscall.h>
#include <asm/ptrace.h>
#include "capture_internal.h"

/*
 * entry_SYSCALL_64 leaves minus errno 38 ("function not implemented") in
 * pt_regs->ax until the syscall returns.
 */
#define KMD_SYSCALL_ENTRY_AX	((unsigned long)-38L)

static int kmd_regset_slot(unsigned int note)
{
	switch (note) {
	case NT_PRSTATUS:
		return 0;
	case NT_PRFPREG:
		return 1;
	case NT_X86_XSTATE:
		return 2;
	}
	return -1;
}

static void **kmd_rb_buf(struct kmd_regbufs *rb, int slot, u32 **len)
{
	switch (slot) {
	case 0:
		*len = &rb->gp_len;
		return &rb->gp;
	case 1:
		*len = &rb->fp_len;
		return &rb->fp;
	default:
		*len = &rb->xs_len;
		return &rb->xs;
	}
}

static const u32 kmd_slot_flag[] = {
	KMDUMP_THREAD_FLAGS_REGS_VALID,
	KMDUMP_THREAD_FLAGS_FPREGS_VALID,
	KMDUMP_THREAD_FLAGS_XSTATE_VALID,
};

/*
 * task_user_regset_view() reads the thread's pt_regs, i.e. its stack, which
 * an exited thread no longer has (VMAP stacks are freed after an RCU grace
 * period, and t->stack is cleared first). Look only while the stack is there,
 * inside an RCU read section that keeps a just-released stack mapped.
 * Callers that need the registers themselves hold the thread's stack through
 * its queued park work (kmd_park_read_outside()).
 */
static const struct user_regset_view *kmd_regset_view(struct task_struct *t)
{
	const struct user_regset_view *view = NULL;

	rcu_read_lock();
	preempt_disable();
	if (!(READ_ONCE(t->flags) & PF_EXITING) && !READ_ONCE(t->exit_state) &&
	    READ_ONCE(t->stack))
		view = task_user_regset_view(t);
	preempt_enable();
	rcu_read_unlock();
	return view;
}

int kmd_regbufs_alloc(struct kmd_capture *c, struct task_struct *t,
		      struct kmd_regbufs *rb)
{
	const struct user_regset_view *view;
	unsigned int i;
	void **buf;
	u32 *len;
	int slot;

	memset(rb, 0, sizeof(*rb));
	view = kmd_regset_view(t);
	if (!view)
		return -ESRCH;
	for (i = 0; i < view->n; i++) {
		const struct user_regset *r = &view->regsets[i];
		size_t size = (size_t)r->n * r->size;

		slot = kmd_regset_slot(r->core_note_type);
		if (slot < 0 || !size || size > SZ_1M)
			continue;
		buf = kmd_rb_buf(rb, slot, &len);
		if (*buf)
			continue;	/* IA32 view lists FP twice (FSAVE, FXSAVE) */
		*buf = kmd_alloc(c, size);
		if (!*buf) {
			kmd_regbufs_free(c, rb);
			return -EDQUOT;
		}
		*len = size;
	}
	return 0;
}

void kmd_regbufs_free(struct kmd_capture *c, struct kmd_regbufs *rb)
{
	kmd_free(c, rb->gp, rb->gp_len);
	kmd_free(c, rb->fp, rb->fp_len);
	kmd_free(c, rb->xs, rb->xs_len);
	memset(rb, 0, sizeof(*rb));
}

/*
 * A thread blocked in a syscall has orig_ax = the syscall number and ax =
 * -ENOSYS (the entry code's placeholder until the syscall returns). An
 * exception leaves its error code in orig_ax and the user's ax untouched,
 * so both are checked. Only meaningful for a thread read from outside: a
 * parked thread is on its way out of the kernel with its result in ax.
 */
static void kmd_syscall_read(struct task_struct *t, struct pt_regs *regs,
			     struct kmd_regbufs *rb)
{
	unsigned long args[6];
	int i;

	if ((long)regs->orig_ax < 0 || regs->ax != KMD_SYSCALL_ENTRY_AX)
		return;
	rb->syscall_nr = syscall_get_nr(t, regs);
	syscall_get_arguments(t, regs, args);
	for (i = 0; i < 6; i++)
		rb->syscall_args[i] = args[i];
	rb->flags |= KMDUMP_THREAD_FLAGS_IN_SYSCALL;
}

/*
 * Fill @rb from @t's regsets and pt_regs. @t is current (parked) or switched
 * out with its stack pinned by its queued park work (kmd_park_read_outside()):
 * the only two moments its pt_regs are known to exist.
 */
void kmd_regs_read(struct task_struct *t, struct kmd_regbufs *rb)
{
	const struct user_regset_view *view = task_user_regset_view(t);
	struct pt_regs *regs = task_pt_regs(t);
	unsigned int i;
	void **buf;
	u32 *len;
	int slot, got;

	rb->sp = user_stack_pointer(regs);
	rb->ip = instruction_pointer(regs);
	if (t != current)
		kmd_syscall_read(t, regs, rb);
	if (view->e_machine != EM_X86_64)
		rb->flags |= KMDUMP_THREAD_FLAGS_COMPAT32;
	for (i = 0; i < view->n; i++) {
		const struct user_regset *r = &view->regsets[i];

		slot = kmd_regset_slot(r->core_note_type);
		if (slot < 0)
			continue;
		buf = kmd_rb_buf(rb, slot, &len);
		if (!*buf || (rb->flags & kmd_slot_flag[slot]))
			continue;
		if (r->active && r->active(t, r) <= 0 && slot == 2)
			continue;	/* no XSAVE on this CPU */
		got = regset_get(t, r, *len, *buf);
		if (got == *len)
			rb->flags |= kmd_slot_flag[slot];
	}
}

/*
 * Debug registers of the current thread, as PTRACE_PEEKUSER shows them
 * (arch/x86/kernel/ptrace.c ptrace_get_debugreg). Only read for current:
 * a tracer may swap the perf events of a stopped tracee from outside.
 */
void kmd_regs_read_debug(struct kmd_regbufs *rb)
{
	struct thread_struct *th = &current->thread;
	struct perf_event *bp;
	int i;

	for (i = 0; i < HBP_NUM; i++) {
		bp = READ_ONCE(th->ptrace_bps[i]);
		rb->debugreg[i] = bp ? bp->attr.bp_addr : 0;
	}
	rb->debugreg[6] = th->virtual_dr6;
	rb->debugreg[7] = th->ptrace_dr7;
	rb->flags |= KMDUMP_THREAD_FLAGS_DEBUGREGS_VALID;
}

/* Move @rb's buffers and the facts read with them into @th. */
void kmd_regs_fill_thread(struct kmd_thread *th, const struct kmd_regbufs *rb)
{
	th->gpregs = rb->gp;
	th->gpregs_len = rb->gp ? rb->gp_len : 0;
	th->fpregs = rb->fp;
	th->fpregs_len = rb->fp ? rb->fp_len : 0;
	th->xstate = rb->xs;
	th->xstate_len = rb->xs ? rb->xs_len : 0;
	th->flags |= rb->flags;
	memcpy(th->debugreg, rb->debugreg, sizeof(th->debugreg));
	th->sp = rb->sp;
	th->ip = rb->ip;
	th->syscall_nr = rb->syscall_nr;
	memcpy(th->syscall_args, rb->syscall_args, sizeof(th->syscall_args));
}
