// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel stacks as symbolized frames, the way /proc/<pid>/stack prints them
 * ("%pB": function+offset/size [module]), never as raw addresses: a frame
 * the kernel cannot symbolize would print as hex, which leaks the KASLR
 * base, so it is dropped.
 *
 * Only off-CPU tasks are walked (an on-CPU stack changes under the unwinder).
 * For a thread of a frozen target the pending park work keeps it from
 * passing exit_task_work(), so its stack stays; for any other task the
 * compat walker relies on RCU-delayed stack freeing (compat.h).
 */
#include <linux/kallsyms.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "capture_internal.h"
#include "compat.h"

/* Render @t's kernel stack into @out (NUL-separated frames). Returns the
 * number of frames, 0 if the task is on a CPU or nothing resolved.
 */
int kmd_kstack_render(struct task_struct *t, char *out, u32 out_size, u32 *used)
{
	unsigned long entries[KMD_MAX_KFRAMES];
	char sym[KSYM_SYMBOL_LEN];
	unsigned int n, i;
	u32 len = 0, frames = 0;
	int k;

	*used = 0;
	if (READ_ONCE(t->on_cpu) || READ_ONCE(t->__state) == TASK_RUNNING)
		return 0;
	n = kmd_stack_save_tsk(t, entries, ARRAY_SIZE(entries));
	for (i = 0; i < n; i++) {
		k = scnprintf(sym, sizeof(sym), "%pB", (void *)entries[i]);
		if (k < 3 || (sym[0] == '0' && sym[1] == 'x'))
			continue;	/* unresolved: would be a raw address */
		if (len + k + 1 > out_size)
			break;
		memcpy(out + len, sym, k + 1);
		len += k + 1;
		frames++;
	}
	*used = len;
	return frames;
}

static bool kmd_is_sched_frame(const char *f)
{
	static const char * const sched[] = {
		"__schedule", "schedule", "preempt_schedule", "io_schedule",
		"schedule_timeout", "schedule_hrtimeout", "schedule_preempt",
		"__cond_resched", "__wait_", "do_wait_", "bit_wait",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sched); i++)
		if (!strncmp(f, sched[i], strlen(sched[i])))
			return true;
	return false;
}

/*
 * The wait channel of a rendered stack, as /proc/<pid>/wchan names it: the
 * first function outside the scheduler. Sets its offset and length (without
 * the "+0x.." part) and returns true, or false if there is none.
 */
bool kmd_kstack_wchan(const char *frames, u32 len, u32 *off, u32 *name_len)
{
	u32 o = 0;

	while (o < len) {
		const char *f = frames + o;
		u32 n = strnlen(f, len - o);

		if (!kmd_is_sched_frame(f)) {
			*off = o;
			*name_len = strcspn(f, "+");
			return *name_len > 0;
		}
		o += n + 1;
	}
	return false;
}

int kmd_kstack_capture(struct kmd_capture *c, struct kmd_thread *th)
{
	const u32 size = KMD_MAX_KFRAMES * 96;
	char *buf, *fit;
	u32 used;
	int frames;

	buf = kmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	frames = kmd_kstack_render(th->task, buf, size, &used);
	if (frames > 0) {
		fit = kmd_alloc(c, used);
		if (!fit) {
			kfree(buf);
			return -EDQUOT;
		}
		memcpy(fit, buf, used);
		th->kstack = fit;
		th->kstack_len = used;
		th->kframes = frames;
		th->flags |= KMDUMP_THREAD_FLAGS_KSTACK_VALID;
		if (!kmd_kstack_wchan(fit, used, &th->wchan_off, &th->wchan_len))
			th->wchan_len = 0;
	}
	kfree(buf);
	return 0;
}
