// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fake_source.h"

uint8_t fake_byte(uint64_t addr)
{
	return (uint8_t)(addr ^ (addr >> 8) ^ (addr >> 16) ^ 0x5a);
}

bool fake_readable(const struct fake *f, uint64_t addr)
{
	size_t i;

	for (i = 0; i < f->nholes; i++)
		if (addr >= f->holes[i].start && addr < f->holes[i].end)
			return false;
	for (i = 0; i < f->nvmas; i++)
		if (addr >= f->vmas[i].start && addr < f->vmas[i].end)
			return (f->vmas[i].flags & KMD_SRC_V_READ) &&
			       !(f->vmas[i].flags & KMD_SRC_V_NOREAD);
	return false;
}

void fake_add_hole(struct fake *f, uint64_t start, uint64_t end)
{
	f->holes[f->nholes].start = start;
	f->holes[f->nholes].end = end;
	f->nholes++;
}

void fake_poke64(struct fake *f, uint64_t addr, uint64_t value)
{
	f->pokes[f->npokes].addr = addr;
	f->pokes[f->npokes].value = value;
	f->npokes++;
}

void fake_place(struct fake *f, uint64_t addr, const void *bytes, size_t len)
{
	f->placed[f->nplaced].addr = addr;
	f->placed[f->nplaced].bytes = bytes;
	f->placed[f->nplaced].len = len;
	f->nplaced++;
}

static uint8_t fake_at(const struct fake *f, uint64_t addr)
{
	size_t i;

	for (i = 0; i < f->nplaced; i++)
		if (addr >= f->placed[i].addr && addr - f->placed[i].addr < f->placed[i].len)
			return f->placed[i].bytes[addr - f->placed[i].addr];
	for (i = 0; i < f->npokes; i++)
		if (addr >= f->pokes[i].addr && addr < f->pokes[i].addr + 8)
			return (uint8_t)(f->pokes[i].value >> (8 * (addr - f->pokes[i].addr)));
	return fake_byte(addr);
}

static HRESULT fk_capture(void *ctx, uint32_t flags)
{
	struct fake *f = ctx;

	f->captures++;
	f->capture_flags = flags;
	if (f->emit_status && f->src.on_status)
		f->src.on_status(f->src.status_arg, S_OK);
	return f->capture_hr;
}

static HRESULT fk_process(void *ctx, struct kmd_src_process *out)
{
	struct fake *f = ctx;

	*out = f->proc;
	return S_OK;
}

static HRESULT fk_threads(void *ctx, const struct kmd_src_thread **v, size_t *n)
{
	struct fake *f = ctx;

	*v = f->threads;
	*n = f->nthreads;
	return S_OK;
}

static HRESULT fk_vmas(void *ctx, const struct kmd_src_vma **v, size_t *n)
{
	struct fake *f = ctx;

	*v = f->vmas;
	*n = f->nvmas;
	return S_OK;
}

static HRESULT fk_modules(void *ctx, const struct kmd_src_module **v, size_t *n)
{
	struct fake *f = ctx;

	*v = f->modules;
	*n = f->nmodules;
	return S_OK;
}

static HRESULT fk_read(void *ctx, uint64_t addr, void *buf, size_t len, size_t *done)
{
	struct fake *f = ctx;
	uint8_t *p = buf;
	size_t i;

	f->reads++;
	for (i = 0; i < len; i++) {
		if (!fake_readable(f, addr + i)) {
			*done = i;
			return (HRESULT)KMDUMP_E_PARTIAL_COPY;
		}
		p[i] = fake_at(f, addr + i);
	}
	*done = len;
	return S_OK;
}

static HRESULT fk_read_to_fd(void *ctx, int fd, uint64_t addr, uint64_t len, uint64_t off,
			     kmd_fail_fn fail, void *arg)
{
	struct fake *f = ctx;
	uint64_t i = 0;

	f->direct_reads++;
	while (i < len) {
		uint64_t run = i;
		bool ok = fake_readable(f, addr + i);

		while (run < len && fake_readable(f, addr + run) == ok)
			run++;
		if (!ok) {
			fail(arg, addr + i, run - i, (HRESULT)KMDUMP_E_PARTIAL_COPY);
		} else {
			uint8_t *buf = malloc(run - i);
			uint64_t k;

			for (k = i; k < run; k++)
				buf[k - i] = fake_at(f, addr + k);
			if (pwrite(fd, buf, run - i, (off_t)(off + i)) != (ssize_t)(run - i)) {
				free(buf);
				return E_FAIL;
			}
			free(buf);
		}
		i = run;
	}
	return S_OK;
}

static HRESULT fk_read_batch(void *ctx, struct kmd_src_read *r, size_t n)
{
	struct fake *f = ctx;
	size_t i;

	f->batches++;
	for (i = 0; i < n; i++)
		r[i].hr = fk_read(ctx, r[i].addr, r[i].buf, r[i].len, &r[i].done);
	f->reads -= (unsigned int)n; /* counted as one batch, not as single reads */
	return S_OK;
}

static HRESULT fk_file(void *ctx, enum kmd_src_file which, struct kmd_blob *out)
{
	struct fake *f = ctx;

	if (!f->files[which])
		return (HRESULT)KMDUMP_E_NOT_FOUND;
	out->len = f->file_len[which] ? f->file_len[which] : strlen(f->files[which]);
	out->data = malloc(out->len);
	memcpy(out->data, f->files[which], out->len);
	return S_OK;
}

static HRESULT fk_kernel_dump(void *ctx, int fd)
{
	struct fake *f = ctx;
	static const char body[] = "fake kernel dump";

	f->kdump_fd = fd;
	if (SUCCEEDED(f->kdump_hr) && write(fd, body, sizeof(body)) != sizeof(body))
		return E_FAIL;
	return f->kdump_hr;
}

static void fk_thaw(void *ctx)
{
	struct fake *f = ctx;

	if (f->emit_status && f->src.on_status && !f->thaws)
		f->src.on_status(f->src.status_arg, (HRESULT)KMDUMP_S_FALSE);
	f->thaws++;
	f->proc.pause_ns = 1234567;
}

static void fk_close(void *ctx)
{
	(void)ctx;
}

static const struct kmd_source_ops fake_ops = {
	.capture = fk_capture,
	.process = fk_process,
	.threads = fk_threads,
	.vmas = fk_vmas,
	.modules = fk_modules,
	.read = fk_read,
	.read_to_fd = fk_read_to_fd,
	.read_batch = fk_read_batch,
	.file = fk_file,
	.kernel_dump = fk_kernel_dump,
	.thaw = fk_thaw,
	.close = fk_close,
};

static void add_vma(struct fake *f, uint64_t s, uint64_t e, uint32_t flags, const char *path)
{
	struct kmd_src_vma *v = &f->vmas[f->nvmas++];

	v->start = s;
	v->end = e;
	v->flags = flags;
	v->path = path;
	if (path && path[0] == '/') {
		v->dev_major = 8;
		v->dev_minor = 1;
		v->inode = 4242;
		v->pgoff = s & 0xfff000;
	}
}

static void add_thread(struct fake *f, uint32_t tid, const char *name, uint64_t sp, uint64_t ip)
{
	struct kmd_src_thread *t = &f->threads[f->nthreads++];
	size_t i;

	t->tid = tid;
	strncpy(t->name, name, sizeof(t->name) - 1);
	t->facts = KMD_SRC_T_REGS | KMD_SRC_T_FPREGS | KMD_SRC_T_DEBUGREGS;
	t->regs.rsp = sp;
	t->regs.rip = ip;
	t->regs.rbp = sp + 0x40;
	t->regs.rax = 0x1111000000000000ull | tid;
	t->regs.r15 = 0xF15;
	t->regs.cs = 0x33;
	t->regs.ss = 0x2b;
	t->regs.eflags = 0x246;
	t->regs.fs_base = FAKE_HEAP + 0x800 + tid;
	for (i = 0; i < sizeof(t->fxsave); i++)
		t->fxsave[i] = (uint8_t)(i + tid);
	t->dr[0] = 0xD0;
	t->dr[7] = 0xD7;
	t->freeze = 2;
	t->sched_state = 2;
	t->nvcsw = 7;
	t->start_boottime_ns = 99;
	t->wire_flags = 0x9;
	t->syscall_nr = -1;
	t->utime_ns = 2500000000ull;
	t->stime_ns = 1500000000ull;
	t->start_realtime_ns = 1700000000000000000ull;
	t->prio = 20;
}

void fake_init(struct fake *f)
{
	static const char kstack[] = "futex_wait_queue+0x60/0x90\0futex_wait+0x16b/0x270\0do_syscall_64+0x5b/0x110";
	struct kmd_src_module *m;
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->src.ops = &fake_ops;
	f->src.ctx = f;
	f->kdump_fd = -1;
	f->proc.pid = FAKE_PID;
	f->proc.ppid = 1;
	f->proc.start_realtime_ns = 1700000000000000000ull;
	f->proc.utime_ns = 3000000000ull;
	f->proc.stime_ns = 1000000000ull;

	add_vma(f, FAKE_EXE_BASE, FAKE_EXE_TEXT, KMD_SRC_V_READ, "/usr/bin/fake");
	add_vma(f, FAKE_EXE_TEXT, FAKE_EXE_DATA, KMD_SRC_V_READ | KMD_SRC_V_EXEC, "/usr/bin/fake");
	add_vma(f, FAKE_EXE_DATA, FAKE_EXE_DATA + 0x1000, KMD_SRC_V_READ | KMD_SRC_V_WRITE, "/usr/bin/fake");
	add_vma(f, FAKE_HEAP, FAKE_HEAP_END, KMD_SRC_V_READ | KMD_SRC_V_WRITE | KMD_SRC_V_ANON, "[heap]");
	add_vma(f, FAKE_LIB_BASE, FAKE_LIB_BASE + 0x2000, KMD_SRC_V_READ | KMD_SRC_V_EXEC, "/lib/libfäke.so");
	add_vma(f, FAKE_LIB_BASE + 0x2000, FAKE_LIB_BASE + 0x3000, KMD_SRC_V_READ | KMD_SRC_V_WRITE, "/lib/libfäke.so");
	add_vma(f, FAKE_STACK, FAKE_STACK_END, KMD_SRC_V_READ | KMD_SRC_V_WRITE | KMD_SRC_V_STACK | KMD_SRC_V_ANON, "[stack]");
	add_vma(f, FAKE_GUARD, FAKE_GUARD + 0x1000, 0, NULL);
	add_vma(f, FAKE_GUARD + 0x1000, FAKE_GUARD + 0x3000, KMD_SRC_V_READ | KMD_SRC_V_WRITE | KMD_SRC_V_NOREAD, "/dev/fakedev");

	add_thread(f, FAKE_TID0, "fake-main", FAKE_STACK_END - 0x1ff0, FAKE_EXE_TEXT + 0x100);
	add_thread(f, FAKE_TID1, "fake-worker", FAKE_STACK + 0x8123, FAKE_LIB_BASE + 0x100);
	f->threads[0].facts |= KMD_SRC_T_KSTACK | KMD_SRC_T_SYSCALL;
	f->threads[0].syscall_nr = 202;
	f->threads[0].kstack = kstack;
	f->threads[0].kstack_len = sizeof(kstack);
	f->threads[0].kframes = 3;

	m = &f->modules[f->nmodules++];
	m->base = FAKE_EXE_BASE;
	m->size = 0x4000;
	m->path = "/usr/bin/fake";
	m->build_id_len = 20;
	for (i = 0; i < 20; i++)
		m->build_id[i] = (uint8_t)(0xA0 + i);
	m = &f->modules[f->nmodules++];
	m->base = FAKE_LIB_BASE;
	m->size = 0x3000;
	m->path = "/lib/libfäke.so";
	m->build_id_len = 20;
	for (i = 0; i < 20; i++)
		m->build_id[i] = (uint8_t)i;

	f->files[KMD_FILE_STATUS] = "Name:\tfake\nPid:\t1000\nThreads:\t2\n";
	f->files[KMD_FILE_CMDLINE] = "fake\0--flag";
	f->files[KMD_FILE_ENVIRON] = "HOME=/root";
	f->file_len[KMD_FILE_CMDLINE] = 12;
	f->files[KMD_FILE_AUXV] = "\x06\0\0\0\0\0\0\0\0\x10\0\0\0\0\0\0";
	f->file_len[KMD_FILE_AUXV] = 16;
	f->files[KMD_FILE_CPUINFO] = "processor\t: 0\nvendor_id\t: FakeIntel\n";
	f->files[KMD_FILE_LSB_RELEASE] = "DISTRIB_ID=Debian\n";
}
