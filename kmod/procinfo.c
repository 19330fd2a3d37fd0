// SPDX-License-Identifier: GPL-2.0
/*
 * Process information: what /proc/<pid>/{status,cmdline,environ,auxv,exe}
 * would show the requester, computed in the requester's pid namespace and
 * user namespace. The command line and environment are read from target
 * memory through target_read.c (so the same VMA refusals and bounds apply); the
 * auxiliary vector is the kernel's own saved copy (mm->saved_auxv), as
 * /proc/<pid>/auxv uses.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/cputime.h>
#include <linux/cred.h>
#include <linux/ptrace.h>
#include <linux/fs_struct.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <linux/timekeeping.h>
#include <linux/file.h>
#include <linux/auxvec.h>
#include "capture_internal.h"
#include "compat.h"

static struct user_namespace *kmd_user_ns(const struct kmd_capture *c)
{
	return c->target.user_ns ?: &init_user_ns;
}

static void kmd_ids_fill(struct kmd_capture *c, struct task_struct *t,
			 struct kmd_ids *ids)
{
	struct user_namespace *ns = kmd_user_ns(c);
	const struct cred *cred = get_task_cred(t);

	ids->uid = from_kuid_munged(ns, cred->uid);
	ids->euid = from_kuid_munged(ns, cred->euid);
	ids->suid = from_kuid_munged(ns, cred->suid);
	ids->fsuid = from_kuid_munged(ns, cred->fsuid);
	ids->gid = from_kgid_munged(ns, cred->gid);
	ids->egid = from_kgid_munged(ns, cred->egid);
	ids->sgid = from_kgid_munged(ns, cred->sgid);
	ids->fsgid = from_kgid_munged(ns, cred->fsgid);
	put_cred(cred);
}

/* Copy [start, end) of target memory into a charged buffer. */
static int kmd_copy_user_block(struct kmd_capture *c, u64 start, u64 end,
			       u32 max, char **out, u32 *out_len)
{
	long got;
	u32 len;

	*out = NULL;
	*out_len = 0;
	if (end <= start)
		return 0;
	len = min_t(u64, end - start, max);
	*out = kmd_alloc(c, len);
	if (!*out)
		return -EDQUOT;
	got = kmd_mem_read_buf(c, start, *out, len, NULL, NULL);
	if (got < 0) {
		kmd_free(c, *out, len);
		*out = NULL;
		return got;
	}
	*out_len = len;
	return 0;
}

static int kmd_auxv_copy(struct kmd_capture *c, struct mm_struct *mm)
{
	struct kmd_procinfo *p = &c->snap.proc;
	u32 n = 0;

	while (n + 1 < ARRAY_SIZE(mm->saved_auxv) && mm->saved_auxv[n] != AT_NULL)
		n += 2;
	n += 2;		/* include the AT_NULL pair */
	n = min_t(u32, n, ARRAY_SIZE(mm->saved_auxv));
	p->auxv = kmd_alloc(c, n * sizeof(u64));
	if (!p->auxv)
		return -EDQUOT;
	memcpy(p->auxv, mm->saved_auxv, n * sizeof(u64));
	p->auxv_len = n * sizeof(u64);
	return 0;
}

static int kmd_exe_path(struct kmd_capture *c, struct mm_struct *mm)
{
	struct kmd_procinfo *p = &c->snap.proc;
	struct file *exe = kmd_get_mm_exe_file(mm);
	const char *path;
	char *buf;
	int err = 0;

	if (!exe)
		return 0;
	buf = kmalloc(2 * PATH_MAX, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		fput(exe);
		return -ENOMEM;
	}
	path = kmd_path_in_root(&exe->f_path, &c->target.root, buf, buf + PATH_MAX);
	if (path) {
		p->exe_path_len = strlen(path);
		p->exe_path = kmd_alloc(c, p->exe_path_len + 1);
		if (p->exe_path)
			memcpy(p->exe_path, path, p->exe_path_len + 1);
		else
			err = -EDQUOT;
	}
	kfree(buf);
	fput(exe);
	return err;
}

static void kmd_mm_stats(struct kmd_procinfo *p, struct mm_struct *mm)
{
	unsigned long anon = get_mm_counter(mm, MM_ANONPAGES);
	unsigned long file = get_mm_counter(mm, MM_FILEPAGES);
	unsigned long shmem = get_mm_counter(mm, MM_SHMEMPAGES);
	unsigned long rss = anon + file + shmem;
	unsigned long kb = PAGE_SIZE / 1024;

	p->vm_size_kb = mm->total_vm * kb;
	p->vm_peak_kb = max(mm->hiwater_vm, mm->total_vm) * kb;
	p->vm_rss_kb = rss * kb;
	p->vm_hwm_kb = max(mm->hiwater_rss, rss) * kb;
	p->vm_data_kb = mm->data_vm * kb;
	p->vm_stk_kb = mm->stack_vm * kb;
	p->vm_exe_kb = (PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK)) / 1024;
	p->vm_lib_kb = mm->exec_vm * kb - p->vm_exe_kb;
	if ((s64)p->vm_lib_kb < 0)
		p->vm_lib_kb = 0;
	p->vm_pte_kb = mm_pgtables_bytes(mm) / 1024;
	p->vm_swap_kb = get_mm_counter(mm, MM_SWAPENTS) * kb;
	p->start_code = mm->start_code;
	p->end_code = mm->end_code;
	p->start_data = mm->start_data;
	p->end_data = mm->end_data;
	p->start_brk = mm->start_brk;
	p->brk = mm->brk;
	p->start_stack = mm->start_stack;
	spin_lock(&mm->arg_lock);
	p->arg_start = mm->arg_start;
	p->arg_end = mm->arg_end;
	p->env_start = mm->env_start;
	p->env_end = mm->env_end;
	spin_unlock(&mm->arg_lock);
	p->dumpable = get_dumpable(mm);
}

static void kmd_task_ids(struct kmd_capture *c, struct task_struct *leader)
{
	struct kmd_procinfo *p = &c->snap.proc;
	struct pid_namespace *ns = c->target.ns;
	struct task_struct *tracer;

	p->pid = task_tgid_nr_ns(leader, ns);
	p->tgid = p->pid;
	rcu_read_lock();
	p->ppid = pid_alive(leader) ?
		task_tgid_nr_ns(rcu_dereference(leader->real_parent), ns) : 0;
	tracer = ptrace_parent(leader);
	p->tracer_pid = tracer ? task_pid_nr_ns(tracer, ns) : 0;
	rcu_read_unlock();
	get_task_comm(p->comm, leader);
	kmd_ids_fill(c, leader, &p->ids);
	p->start_boottime_ns = leader->start_boottime;
	p->start_realtime_ns = ktime_get_real_ns() - ktime_get_boottime_ns() +
			       leader->start_boottime;
	p->nr_threads = READ_ONCE(leader->signal->nr_threads);
	task_lock(leader);
	p->umask = leader->fs ? leader->fs->umask : 0;
	task_unlock(leader);
	p->sig_pending = leader->pending.signal.sig[0];
	p->sig_shared = leader->signal->shared_pending.signal.sig[0];
	p->sig_blocked_leader = leader->blocked.sig[0];
	p->state = kmd_task_state(leader);
}

int kmd_procinfo_capture(struct kmd_capture *c, struct task_struct *leader,
			 struct mm_struct *mm)
{
	struct kmd_procinfo *p = &c->snap.proc;
	int err;

	kmd_task_ids(c, leader);
	kmd_mm_stats(p, mm);
	err = kmd_auxv_copy(c, mm);
	if (!err)
		err = kmd_exe_path(c, mm);
	if (!err)
		err = kmd_copy_user_block(c, p->arg_start, p->arg_end, KMD_MAX_CMDLINE,
					  &p->cmdline, &p->cmdline_len);
	if (!err && (c->opts & KMD_CAP_ENVIRON))
		err = kmd_copy_user_block(c, p->env_start, p->env_end, KMD_MAX_ENVIRON,
					  &p->environ, &p->environ_len);
	return err;
}

void kmd_procinfo_free(struct kmd_capture *c)
{
	struct kmd_procinfo *p = &c->snap.proc;

	kmd_free(c, p->cmdline, p->cmdline_len);
	kmd_free(c, p->environ, p->environ_len);
	kmd_free(c, p->auxv, p->auxv_len);
	kmd_free(c, p->exe_path, p->exe_path ? p->exe_path_len + 1 : 0);
	memset(p, 0, sizeof(*p));
}

u32 kmd_task_state(struct task_struct *t)
{
	/* task_index_to_char() order: "RSDTtXZPI" */
	return task_state_index(t) + KMDUMP_THREAD_STATE_RUNNING;
}
