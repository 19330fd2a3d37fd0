// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel dump: an MDMP file (minidump-format.md §4) holding the
 * kernel-side state of the target's threads, or with no target of every task
 * on the system, plus the kernel's identity. Streams, in directory order:
 *
 *   SystemInfoStream (7)        CPU and "Linux <release> <version> <machine>"
 *   KMDUMP kernel info          UTF-8 "key: value" lines: release, version,
 *     (KMDUMP_STREAM_KERNEL_INFO)  machine, build-id (hex, from /sys/kernel/notes),
 *                               cpus, dump-time, tasks
 *   KMDUMP kernel tasks         binary table, layout below
 *     (KMDUMP_STREAM_KERNEL_TASKS)
 *   ModuleListStream (4)        loaded kernel modules: base, size, name, and a
 *                               BpEL CodeView record with the GNU build id
 *   KMDUMP kernel modules       UTF-8 lines "name base size state build-id"
 *     (KMDUMP_STREAM_KERNEL_MODULES)
 *
 * Kernel tasks stream (all little-endian, packed):
 *   header: u32 SizeOfHeader (16), u32 SizeOfEntry (112), u32 NumberOfEntries,
 *           u32 Reserved
 *   entry:  @0 u32 Pid, @4 u32 Tgid, @8 u32 PPid (in the requester's pid ns),
 *           @12 u32 State (enum kmdump_thread_state), @16 u32 Flags (PF_*),
 *           @20 u32 Cpu, @24 s32 Prio, @28 s32 Nice, @32 u64 UtimeNs,
 *           @40 u64 StimeNs, @48 u64 StartBoottimeNs, @56 u64 Nvcsw,
 *           @64 u64 Nivcsw, @72 char Comm[16], @88 u32 FrameCount,
 *           @92 LOCATION Frames {u32 DataSize, u32 Rva}: FrameCount
 *               NUL-terminated UTF-8 strings "func+0x1c/0x80 [mod]",
 *               innermost first (no stack for a task that was on a CPU),
 *           @100 LOCATION Wchan: NUL-terminated function name the task
 *               waits in (first frame outside the scheduler), DataSize 0 if
 *               none, @108 u32 OnCpu (1: was running, no stack taken).
 *
 * Kernel identity and modules come only from interfaces root can read
 * (/sys/kernel/notes, /sys/module/<m>/{initstate,coresize,sections/.text,
 * notes}), opened by the worker with kernel credentials; no unexported
 * symbol is involved. Stacks
 * are symbol+offset only (kstack.c). The header is written last, so a file
 * cut short by an error never passes for a dump.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/cputime.h>
#include <linux/pid_namespace.h>
#include <linux/utsname.h>
#include <linux/cpumask.h>
#include <linux/timekeeping.h>
#include <asm/processor.h>
#include "capture_internal.h"
#include "compat.h"

#define MD_SIGNATURE		0x504D444DU
#define MD_VERSION		0xA793U
#define MD_STREAM_MODULE_LIST	4
#define MD_STREAM_SYSTEM_INFO	7
#define MD_CPU_AMD64		9
#define MD_OS_LINUX		0x8201
#define MD_CV_ELF		0x4270454CU
#define MD_MODULE_SIZE		108
#define KMD_NR_STREAMS		5
#define KMD_TASK_ENTRY_SIZE	112
#define KMD_TEXT_MAX		SZ_1M
#define KMD_FRAMES_MAX		(KMD_MAX_KFRAMES * 96)
#define KMD_KMODS_MAX		4096

/* Output cursor: every write is sequential; RVAs are 32-bit. */
struct kmd_mdw {
	struct file *f;
	u64 pos;
	int err;
};

static u32 kmd_put(struct kmd_mdw *w, const void *buf, size_t len)
{
	loff_t pos = w->pos;
	u32 rva = w->pos;
	ssize_t r;

	if (w->err)
		return 0;
	if (w->pos + len > U32_MAX) {
		w->err = -EFBIG;
		return 0;
	}
	while (len) {
		r = kernel_write(w->f, buf, len, &pos);
		if (r <= 0) {
			w->err = r ? r : -EIO;
			return 0;
		}
		buf += r;
		len -= r;
	}
	w->pos = pos;
	return rva;
}

static void kmd_align(struct kmd_mdw *w, u32 a)
{
	static const u8 zero[8];

	if (w->pos % a)
		kmd_put(w, zero, a - w->pos % a);
}

/* MINIDUMP_STRING: u32 byte length, UTF-16LE text, 2-byte terminator. */
static u32 kmd_put_mdstring(struct kmd_mdw *w, const char *s)
{
	size_t n = strnlen(s, 1023), i;
	__le16 *u = kcalloc(n + 1, sizeof(*u), GFP_KERNEL);
	__le32 len = cpu_to_le32(n * 2);
	u32 rva;

	if (!u) {
		w->err = w->err ?: -ENOMEM;
		return 0;
	}
	for (i = 0; i < n; i++)
		u[i] = cpu_to_le16((u8)s[i] < 0x80 ? s[i] : '?');
	kmd_align(w, 4);
	rva = kmd_put(w, &len, sizeof(len));
	kmd_put(w, u, (n + 1) * 2);
	kfree(u);
	return rva;
}

struct kmd_dir {
	__le32 type, size, rva;
};

/* Read a whole small pseudo-file (procfs/sysfs) with kernel credentials. */
static ssize_t kmd_read_pseudo(const char *path, char *buf, size_t max)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t r, got = 0;

	if (IS_ERR(f))
		return PTR_ERR(f);
	while (got < max) {
		r = kernel_read(f, buf + got, max - got, &pos);
		if (r <= 0) {
			/* sysfs attributes refuse a second read at pos > 0 */
			if (r < 0 && !got)
				got = r;
			break;
		}
		got += r;
	}
	filp_close(f, NULL);
	return got;
}

static int kmd_hex(char *out, size_t size, const u8 *id, u32 len)
{
	u32 i;
	int n = 0;

	for (i = 0; i < len && n + 3 <= size; i++)
		n += scnprintf(out + n, size - n, "%02x", id[i]);
	return n;
}

/* --- system info and kernel identity --- */

static void kmd_put_sysinfo(struct kmd_mdw *w, struct kmd_dir *d)
{
	struct new_utsname *u = init_utsname();
	struct cpuinfo_x86 *cpu = &boot_cpu_data;
	u8 si[56] = {};
	char *csd;
	u32 rva;

	csd = kasprintf(GFP_KERNEL, "Linux %s %s %s", u->release, u->version,
			u->machine);
	if (!csd) {
		w->err = w->err ?: -ENOMEM;
		return;
	}
	rva = kmd_put_mdstring(w, csd);
	kfree(csd);
	put_unaligned_le16(MD_CPU_AMD64, si + 0);
	put_unaligned_le16(cpu->x86, si + 2);
	put_unaligned_le16((cpu->x86_model << 8) | cpu->x86_stepping, si + 4);
	si[6] = min_t(unsigned int, num_online_cpus(), 255);
	put_unaligned_le32(MD_OS_LINUX, si + 20);
	put_unaligned_le32(rva, si + 24);
	memcpy(si + 32, cpu->x86_vendor_id, 12);
	kmd_align(w, 8);
	d->type = cpu_to_le32(MD_STREAM_SYSTEM_INFO);
	d->size = cpu_to_le32(sizeof(si));
	d->rva = cpu_to_le32(kmd_put(w, si, sizeof(si)));
}

static void kmd_put_text(struct kmd_mdw *w, struct kmd_dir *d, u32 type,
			 const char *text, size_t len)
{
	kmd_align(w, 4);
	d->type = cpu_to_le32(type);
	d->size = cpu_to_le32(len);
	d->rva = cpu_to_le32(kmd_put(w, text, len));
}

static void kmd_put_kernel_info(struct kmd_mdw *w, struct kmd_dir *d,
				u32 ntasks, char *buf)
{
	struct new_utsname *u = init_utsname();
	char hex[2 * KMD_BUILD_ID_MAX + 1] = "unavailable";
	u8 id[KMD_BUILD_ID_MAX];
	ssize_t n;
	int len;

	n = kmd_read_pseudo("/sys/kernel/notes", buf, PAGE_SIZE);
	if (n > 0) {
		len = kmd_note_find_build_id(buf, n, 4, id, sizeof(id));
		if (len > 0)
			kmd_hex(hex, sizeof(hex), id, len);
	}
	len = scnprintf(buf, PAGE_SIZE,
			"release: %s\nversion: %s\nmachine: %s\nbuild-id: %s\n"
			"cpus: %u\ndump-time: %lld\ntasks: %u\n",
			u->release, u->version, u->machine, hex, num_online_cpus(),
			ktime_get_real_seconds(), ntasks);
	kmd_put_text(w, d, KMDUMP_STREAM_KERNEL_INFO, buf, len);
}

/* --- tasks --- */

/* Threads to report: the capture's, or every task on the system. */
static int kmd_collect_tasks(struct kmd_capture *c, struct task_struct ***out,
			     u32 *nr)
{
	struct task_struct **v, *p, *t;
	u32 cap = 256, n, i;

	if (c) {
		n = c->snap.nr_threads;
		v = kvmalloc_array(max(n, 1U), sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			v[i] = c->snap.threads[i].task;
			get_task_struct(v[i]);
		}
		*out = v;
		*nr = n;
		return 0;
	}
	for (;;) {
		v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		n = 0;
		rcu_read_lock();
		for_each_process_thread(p, t) {
			if (n == cap) {
				n++;
				goto full;
			}
			get_task_struct(t);
			v[n++] = t;
		}
full:
		rcu_read_unlock();
		if (n <= cap)
			break;
		for (i = 0; i < cap; i++)
			put_task_struct(v[i]);
		kvfree(v);
		if (cap >= (1U << 22))
			return -E2BIG;
		cap *= 4;
	}
	*out = v;
	*nr = n;
	return 0;
}

static void kmd_task_entry(struct kmd_mdw *w, struct task_struct *t,
			   struct pid_namespace *ns, u8 *e, char *frames)
{
	u32 used, i, off, rva;
	u64 ut, st;
	char comm[TASK_COMM_LEN];
	int nf;

	memset(e, 0, KMD_TASK_ENTRY_SIZE);
	put_unaligned_le32(task_pid_nr_ns(t, ns), e + 0);
	put_unaligned_le32(task_tgid_nr_ns(t, ns), e + 4);
	rcu_read_lock();
	if (pid_alive(t))
		put_unaligned_le32(task_tgid_nr_ns(rcu_dereference(t->real_parent), ns),
				   e + 8);
	rcu_read_unlock();
	put_unaligned_le32(kmd_task_state(t), e + 12);
	put_unaligned_le32(READ_ONCE(t->flags), e + 16);
	put_unaligned_le32(task_cpu(t), e + 20);
	put_unaligned_le32(t->prio - MAX_RT_PRIO, e + 24);
	put_unaligned_le32(task_nice(t), e + 28);
	task_cputime_adjusted(t, &ut, &st);
	put_unaligned_le64(ut, e + 32);
	put_unaligned_le64(st, e + 40);
	put_unaligned_le64(t->start_boottime, e + 48);
	put_unaligned_le64(t->nvcsw, e + 56);
	put_unaligned_le64(t->nivcsw, e + 64);
	get_task_comm(comm, t);
	memcpy(e + 72, comm, sizeof(comm));
	if (READ_ONCE(t->on_cpu) || READ_ONCE(t->__state) == TASK_RUNNING) {
		put_unaligned_le32(1, e + 108);
		return;
	}
	nf = kmd_kstack_render(t, frames, KMD_FRAMES_MAX, &used);
	if (nf <= 0 || !used)
		return;
	rva = kmd_put(w, frames, used);
	put_unaligned_le32(nf, e + 88);
	put_unaligned_le32(used, e + 92);
	put_unaligned_le32(rva, e + 96);
	if (kmd_kstack_wchan(frames, used, &off, &i)) {
		put_unaligned_le32(i + 1, e + 100);
		put_unaligned_le32(rva + off, e + 104);
	}
}

static void kmd_put_tasks(struct kmd_mdw *w, struct kmd_dir *d,
			  struct task_struct **v, u32 n, struct pid_namespace *ns,
			  atomic_t *cancel)
{
	u8 *table, hdr[16] = {};
	char *frames;
	u32 i;

	table = kvzalloc((size_t)n * KMD_TASK_ENTRY_SIZE + 1, GFP_KERNEL);
	frames = kmalloc(KMD_FRAMES_MAX, GFP_KERNEL);
	if (!table || !frames) {
		w->err = w->err ?: -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !w->err; i++) {
		if (cancel && atomic_read(cancel)) {
			w->err = -ECANCELED;
			break;
		}
		kmd_task_entry(w, v[i], ns, table + (size_t)i * KMD_TASK_ENTRY_SIZE,
			       frames);
		cond_resched();
	}
	put_unaligned_le32(sizeof(hdr), hdr + 0);
	put_unaligned_le32(KMD_TASK_ENTRY_SIZE, hdr + 4);
	put_unaligned_le32(n, hdr + 8);
	kmd_align(w, 8);
	d->type = cpu_to_le32(KMDUMP_STREAM_KERNEL_TASKS);
	d->size = cpu_to_le32(sizeof(hdr) + n * KMD_TASK_ENTRY_SIZE);
	d->rva = cpu_to_le32(kmd_put(w, hdr, sizeof(hdr)));
	kmd_put(w, table, (size_t)n * KMD_TASK_ENTRY_SIZE);
out:
	kfree(frames);
	kvfree(table);
}

/* --- kernel modules --- */

struct kmd_kmod {
	char name[MODULE_NAME_LEN];
	char state[12];
	u64 base, size;
	u8 id[KMD_BUILD_ID_MAX];
	u32 id_len;
	u32 name_rva, cv_rva;
};

/* A small sysfs attribute of module @name as a NUL-terminated string. */
static ssize_t kmd_read_mod_attr(const char *name, const char *attr, char *buf,
				 size_t size)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/%s/%s", name, attr);
	n = kmd_read_pseudo(path, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return n;
}

static void kmd_kmod_build_id(struct kmd_kmod *m, char *buf)
{
	char path[128];
	ssize_t n;
	int len;

	snprintf(path, sizeof(path), "/sys/module/%s/notes/.note.gnu.build-id", m->name);
	n = kmd_read_pseudo(path, buf, PAGE_SIZE);
	if (n <= 0)
		return;
	len = kmd_note_find_build_id(buf, n, 4, m->id, sizeof(m->id));
	if (len > 0)
		m->id_len = len;
}

/*
 * Loaded modules, from /sys/module (the module list itself is not exported,
 * and /proc/modules refuses kernel_read): a directory with an "initstate"
 * is a loadable module; "coresize" is its size, "sections/.text" its text
 * base (shown to the kernel credentials the worker has), "notes" its build id.
 */
struct kmd_modnames {
	struct dir_context ctx;
	struct kmd_kmod *m;
	u32 n, max;
};

static bool kmd_modname_actor(struct dir_context *ctx, const char *name, int len,
			      loff_t off, u64 ino, unsigned int type)
{
	struct kmd_modnames *mn = container_of(ctx, struct kmd_modnames, ctx);

	if (name[0] == '.' || len >= MODULE_NAME_LEN)
		return true;
	if (mn->n == mn->max)
		return false;
	memcpy(mn->m[mn->n].name, name, len);
	mn->m[mn->n].name[len] = '\0';
	mn->n++;
	return true;
}

static u32 kmd_list_module_dirs(struct kmd_kmod *m, u32 max)
{
	struct kmd_modnames mn = { .ctx.actor = kmd_modname_actor, .m = m, .max = max };
	struct file *dir = filp_open("/sys/module", O_RDONLY | O_DIRECTORY, 0);
	u32 before;

	if (IS_ERR(dir))
		return 0;
	do {
		before = mn.n;
		if (iterate_dir(dir, &mn.ctx))
			break;
	} while (mn.n != before && mn.n < max);
	filp_close(dir, NULL);
	return mn.n;
}

static int kmd_collect_kmods(struct kmd_kmod **out, u32 *nr, char *page)
{
	struct kmd_kmod *m;
	u32 n, i, k = 0;
	char val[64];

	m = kvcalloc(KMD_KMODS_MAX, sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	n = kmd_list_module_dirs(m, KMD_KMODS_MAX);
	for (i = 0; i < n; i++) {
		if (kmd_read_mod_attr(m[i].name, "initstate", val, sizeof(val)) <= 0)
			continue;	/* built in: no initstate */
		if (k != i)
			m[k] = m[i];
		strscpy(m[k].state, val, sizeof(m[k].state));
		if (kmd_read_mod_attr(m[k].name, "coresize", val, sizeof(val)) <= 0 ||
		    kstrtou64(val, 10, &m[k].size))
			m[k].size = 0;
		if (kmd_read_mod_attr(m[k].name, "sections/.text", val, sizeof(val)) <= 0 ||
		    kstrtou64(val, 16, &m[k].base))
			m[k].base = 0;
		kmd_kmod_build_id(&m[k], page);
		k++;
		cond_resched();
	}
	*out = m;
	*nr = k;
	return 0;
}

static void kmd_put_kmods(struct kmd_mdw *w, struct kmd_dir *dl, struct kmd_dir *dt,
			  char *page)
{
	struct kmd_kmod *m;
	u8 ent[MD_MODULE_SIZE];
	__le32 cnt, sig = cpu_to_le32(MD_CV_ELF);
	char *text, hex[2 * KMD_BUILD_ID_MAX + 1];
	size_t tl = 0;
	u32 n, i;
	int err;

	err = kmd_collect_kmods(&m, &n, page);
	if (err) {
		w->err = w->err ?: err;
		return;
	}
	text = kvmalloc(KMD_TEXT_MAX, GFP_KERNEL);
	if (!text) {
		w->err = w->err ?: -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		m[i].name_rva = kmd_put_mdstring(w, m[i].name);
		if (m[i].id_len) {
			m[i].cv_rva = kmd_put(w, &sig, sizeof(sig));
			kmd_put(w, m[i].id, m[i].id_len);
		}
		hex[0] = '-';
		hex[1] = '\0';
		if (m[i].id_len)
			kmd_hex(hex, sizeof(hex), m[i].id, m[i].id_len);
		tl += scnprintf(text + tl, KMD_TEXT_MAX - tl, "%s 0x%llx %llu %s %s\n",
				m[i].name, m[i].base, m[i].size, m[i].state, hex);
	}
	kmd_align(w, 4);
	cnt = cpu_to_le32(n);
	dl->type = cpu_to_le32(MD_STREAM_MODULE_LIST);
	dl->size = cpu_to_le32(4 + n * MD_MODULE_SIZE);
	dl->rva = cpu_to_le32(kmd_put(w, &cnt, sizeof(cnt)));
	for (i = 0; i < n; i++) {
		memset(ent, 0, sizeof(ent));
		put_unaligned_le64(m[i].base, ent + 0);
		put_unaligned_le32(min_t(u64, m[i].size, U32_MAX), ent + 8);
		put_unaligned_le32(m[i].name_rva, ent + 20);
		if (m[i].id_len) {
			put_unaligned_le32(4 + m[i].id_len, ent + 76);
			put_unaligned_le32(m[i].cv_rva, ent + 80);
		}
		kmd_put(w, ent, sizeof(ent));
	}
	kmd_put_text(w, dt, KMDUMP_STREAM_KERNEL_MODULES, text, tl);
	kvfree(text);
out:
	kvfree(m);
}

/* --- the file --- */

static void kmd_put_header(struct kmd_mdw *w, struct kmd_dir *dir, u32 ndir)
{
	u8 h[32] = {};

	put_unaligned_le32(MD_SIGNATURE, h + 0);
	put_unaligned_le32(MD_VERSION, h + 4);
	put_unaligned_le32(ndir, h + 8);
	put_unaligned_le32(sizeof(h), h + 12);
	put_unaligned_le32((u32)ktime_get_real_seconds(), h + 20);
	w->pos = sizeof(h);
	kmd_put(w, dir, ndir * sizeof(*dir));
	w->pos = 0;
	kmd_put(w, h, sizeof(h));
}

int kmd_kdump_write(struct kmd_capture *c, struct pid_namespace *ns,
		    struct file *out, atomic_t *cancel)
{
	struct kmd_dir dir[KMD_NR_STREAMS] = {};
	struct kmd_mdw w = { .f = out };
	struct task_struct **tasks = NULL;
	char *page;
	u32 ntasks = 0, i;
	u64 end;
	int err;

	if (!out || !(out->f_mode & FMODE_WRITE) || !S_ISREG(file_inode(out)->i_mode))
		return -EBADF;
	if (c && !c->have_snap)
		return -EINVAL;
	page = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	err = kmd_collect_tasks(c, &tasks, &ntasks);
	if (err)
		goto out;
	w.pos = 32 + sizeof(dir);	/* header and directory go last */
	kmd_put_sysinfo(&w, &dir[0]);
	kmd_put_kernel_info(&w, &dir[1], ntasks, page);
	if (!ns)
		ns = c ? c->target.ns : &init_pid_ns;
	kmd_put_tasks(&w, &dir[2], tasks, ntasks, ns, cancel);
	kmd_put_kmods(&w, &dir[3], &dir[4], page);
	end = w.pos;
	if (!w.err)
		kmd_put_header(&w, dir, KMD_NR_STREAMS);
	err = w.err;
	if (!err)
		err = vfs_truncate(&out->f_path, end);
out:
	for (i = 0; i < ntasks; i++)
		put_task_struct(tasks[i]);
	kvfree(tasks);
	kfree(page);
	return err;
}
