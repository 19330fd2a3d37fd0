// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The MDMP streams (minidump-format.md §4, §5, checklist §7). Layout of a dump:
 *   header, directory (written last), metadata streams with the strings, contexts and
 *   records they point at, MemoryList data then its table, ThreadList (its stacks point
 *   into the MemoryList data), the Memory64List table (patched once the ranges are
 *   known) and last its data.
 * List streams are exactly count + entries; everything they refer to lives outside
 * their byte range, by RVA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

int kmd_utf8_to_utf16(const char *s, uint16_t **out, uint32_t *units)
{
	size_t n = strlen(s), i = 0, k = 0;
	uint16_t *w = malloc((n * 2 + 1) * sizeof(*w));

	*out = w;
	if (!w)
		return -1;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = 0xFFFD;
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		size_t j;

		if (len == 1) {
			cp = c;
		} else if (len && i + len <= n) {
			cp = c & (0x7F >> len);
			for (j = 1; j < len; j++) {
				if (((unsigned char)s[i + j] >> 6) != 2)
					break;
				cp = (cp << 6) | ((unsigned char)s[i + j] & 0x3F);
			}
			if (j < len || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
				cp = 0xFFFD, len = j;
		} else {
			len = 1;
		}
		i += len;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			w[k++] = (uint16_t)(0xD800 | (cp >> 10));
			w[k++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
		} else {
			w[k++] = (uint16_t)cp;
		}
	}
	w[k] = 0;
	*units = (uint32_t)k;
	return 0;
}

/* MINIDUMP_STRING: byte length, UTF-16LE, a NUL terminator not counted. */
static HRESULT put_wstring(struct eng *e, const uint16_t *w, uint32_t units, uint64_t *rva)
{
	uint32_t bytes = units * 2;
	uint16_t nul = 0;

	if (FAILED(kmd_sink_align(e, 4)) || FAILED(kmd_sink_append(e, &bytes, 4, rva)) ||
	    FAILED(kmd_sink_append(e, w, bytes, NULL)) || FAILED(kmd_sink_append(e, &nul, 2, NULL)))
		return e->err;
	return S_OK;
}

static HRESULT put_string(struct eng *e, const char *s, uint64_t *rva)
{
	uint16_t *w;
	uint32_t units;
	HRESULT hr;

	if (kmd_utf8_to_utf16(s, &w, &units))
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	hr = put_wstring(e, w, units, rva);
	free(w);
	return hr;
}

static HRESULT write_system_info(struct eng *e)
{
	MINIDUMP_SYSTEM_INFO si;
	char csd[512];
	uint64_t rva;

	kmd_sysinfo_fill(&si, csd, sizeof(csd));
	if (FAILED(put_string(e, csd, &rva)))
		return e->err;
	si.CSDVersionRva = (RVA)rva;
	return kmd_put_stream(e, SystemInfoStream, &si, sizeof(si));
}

static HRESULT write_misc_info(struct eng *e)
{
	MINIDUMP_MISC_INFO_2 mi;
	bool v1 = e->secondary & MiniSecondaryWithoutPowerInfo;

	memset(&mi, 0, sizeof(mi));
	mi.SizeOfInfo = v1 ? sizeof(MINIDUMP_MISC_INFO) : sizeof(MINIDUMP_MISC_INFO_2);
	mi.Flags1 = MINIDUMP_MISC1_PROCESS_ID;
	mi.ProcessId = e->proc.pid ? e->proc.pid : e->a->pid;
	if (e->proc.start_realtime_ns) {
		mi.Flags1 |= MINIDUMP_MISC1_PROCESS_TIMES;
		mi.ProcessCreateTime = (ULONG32)(e->proc.start_realtime_ns / 1000000000ull);
		mi.ProcessUserTime = (ULONG32)(e->proc.utime_ns / 1000000000ull);
		mi.ProcessKernelTime = (ULONG32)(e->proc.stime_ns / 1000000000ull);
	}
	if (!v1)
		kmd_sysinfo_power(&mi);
	return kmd_put_stream(e, MiscInfoStream, &mi, mi.SizeOfInfo);
}

static HRESULT write_contexts(struct eng *e)
{
	CONTEXT *bare = aligned_alloc(16, sizeof(CONTEXT));
	size_t i;

	if (!bare)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	memset(bare, 0, sizeof(*bare));
	bare->ContextFlags = CONTEXT_AMD64;
	for (i = 0; i < e->nthreads && SUCCEEDED(e->err); i++) {
		struct eng_thread *t = &e->threads[i];

		if (t->excluded || !t->ctx)
			continue;
		kmd_put_context(e, (t->flags & ThreadWriteContext) ? t->ctx : bare, &t->ctx_rva);
	}
	free(bare);
	return e->err;
}

static HRESULT write_module_list(struct eng *e)
{
	MINIDUMP_MODULE *mods = calloc(e->nmodules + 1, sizeof(*mods));
	uint32_t n = 0;
	size_t i;

	if (!mods)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nmodules && SUCCEEDED(e->err); i++) {
		struct eng_module *m = &e->modules[i];
		MINIDUMP_MODULE *o = &mods[n];
		uint64_t rva = 0;

		if (m->excluded || !m->wpath)
			continue;
		o->BaseOfImage = m->src->base;
		o->SizeOfImage = (ULONG32)m->src->size;
		if (FAILED(put_wstring(e, m->wpath, m->wpath_units, &rva)))
			break;
		o->ModuleNameRva = (RVA)rva;
		if (m->cv_len) {
			if (FAILED(kmd_sink_align(e, 4)) || FAILED(kmd_sink_append(e, m->cv, m->cv_len, &rva)))
				break;
			o->CvRecord.DataSize = m->cv_len;
			o->CvRecord.Rva = (RVA)rva;
		}
		n++;
	}
	if (SUCCEEDED(e->err)) {
		uint64_t rva;

		if (SUCCEEDED(kmd_sink_align(e, 4)) && SUCCEEDED(kmd_sink_append(e, &n, 4, &rva)) &&
		    SUCCEEDED(kmd_sink_append(e, mods, n * sizeof(*mods), NULL)))
			kmd_dir_add(e, ModuleListStream, 4 + n * sizeof(*mods), rva);
	}
	free(mods);
	return e->err;
}

static ULONG32 vma_protect(const struct kmd_src_vma *v)
{
	bool r = v->flags & KMD_SRC_V_READ, w = v->flags & KMD_SRC_V_WRITE;
	bool x = v->flags & KMD_SRC_V_EXEC;

	if (x)
		return w ? PAGE_EXECUTE_READWRITE : r ? PAGE_EXECUTE_READ : PAGE_EXECUTE;
	if (w)
		return PAGE_READWRITE;
	return r ? PAGE_READONLY : PAGE_NOACCESS;
}

static void vma_info(const struct eng *e, const struct kmd_src_vma *v, MINIDUMP_MEMORY_INFO *mi)
{
	size_t i;

	memset(mi, 0, sizeof(*mi));
	mi->BaseAddress = v->start;
	mi->AllocationBase = v->start;
	mi->RegionSize = v->end - v->start;
	mi->State = MEM_COMMIT;
	mi->Protect = mi->AllocationProtect = vma_protect(v);
	if (!v->path || v->path[0] != '/')
		mi->Type = MEM_PRIVATE;
	else if (kmd_policy_is_module_vma(e, v))
		mi->Type = MEM_IMAGE;
	else
		mi->Type = MEM_MAPPED;
	for (i = 0; mi->Type == MEM_IMAGE && i < e->nmodules; i++)
		if (v->start >= e->smodules[i].base &&
		    v->start - e->smodules[i].base < e->smodules[i].size)
			mi->AllocationBase = e->smodules[i].base;
}

/* VmQueryCallback: the caller may answer for a mapping itself. */
static void vm_query(struct eng *e, MINIDUMP_MEMORY_INFO *mi)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };

	if (!e->vm_on || e->vmquery_stopped)
		return;
	in.VmQuery.Offset = mi->BaseAddress;
	out.VmQueryStatus = E_NOTIMPL;
	if (!kmd_eng_callback(e, VmQueryCallback, &in, &out) || out.VmQueryStatus == E_NOTIMPL)
		return;
	if (out.VmQueryStatus == S_OK)
		*mi = out.VmQueryResult;
	else
		e->vmquery_stopped = true;
}

static HRESULT write_memory_info(struct eng *e)
{
	bool gaps = e->a->dump_type & MiniDumpWithFullMemoryInfo;
	MINIDUMP_MEMORY_INFO *v = calloc(e->nvmas * 2 + 1, sizeof(*v));
	MINIDUMP_MEMORY_INFO_LIST h = { sizeof(h), sizeof(*v), 0 };
	uint64_t rva;
	size_t i, n = 0;

	if (!v)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nvmas; i++) {
		if (gaps && i && e->vmas[i].start > e->vmas[i - 1].end) {
			v[n].BaseAddress = v[n].AllocationBase = e->vmas[i - 1].end;
			v[n].RegionSize = e->vmas[i].start - e->vmas[i - 1].end;
			v[n].State = MEM_FREE;
			v[n].Protect = v[n].AllocationProtect = PAGE_NOACCESS;
			n++;
		}
		vma_info(e, &e->vmas[i], &v[n]);
		vm_query(e, &v[n]);
		n++;
	}
	h.NumberOfEntries = n;
	if (SUCCEEDED(kmd_sink_align(e, 8)) && SUCCEEDED(kmd_sink_append(e, &h, sizeof(h), &rva)) &&
	    SUCCEEDED(kmd_sink_append(e, v, n * sizeof(*v), NULL)))
		kmd_dir_add(e, MemoryInfoListStream, sizeof(h) + n * sizeof(*v), rva);
	free(v);
	return e->err;
}

static HRESULT write_thread_names(struct eng *e)
{
	MINIDUMP_THREAD_NAME *v = calloc(e->nthreads + 1, sizeof(*v));
	uint32_t n = 0;
	uint64_t rva;
	size_t i;

	if (!v)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nthreads && SUCCEEDED(e->err); i++) {
		const struct eng_thread *t = &e->threads[i];
		char name[17];

		if (t->excluded || !t->ctx)
			continue;
		memcpy(name, t->src->name, 16);
		name[16] = '\0';
		v[n].ThreadId = t->src->tid;
		if (SUCCEEDED(put_string(e, name, &rva)))
			v[n++].RvaOfThreadName = rva;
	}
	if (SUCCEEDED(e->err) && SUCCEEDED(kmd_sink_align(e, 4)) &&
	    SUCCEEDED(kmd_sink_append(e, &n, 4, &rva)) &&
	    SUCCEEDED(kmd_sink_append(e, v, n * sizeof(*v), NULL)))
		kmd_dir_add(e, ThreadNamesStream, 4 + n * sizeof(*v), rva);
	free(v);
	return e->err;
}

/* FILETIME: 100 ns units since 1601-01-01 UTC. */
static uint64_t filetime(uint64_t unix_ns)
{
	return unix_ns ? unix_ns / 100 + 116444736000000000ull : 0;
}

static HRESULT write_thread_info(struct eng *e)
{
	MINIDUMP_THREAD_INFO_LIST h = { sizeof(h), sizeof(MINIDUMP_THREAD_INFO), 0 };
	MINIDUMP_THREAD_INFO *v;
	uint64_t rva;
	size_t i;

	if (!(e->a->dump_type & MiniDumpWithThreadInfo))
		return S_OK;
	v = calloc(e->nthreads + 1, sizeof(*v));
	if (!v)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nthreads; i++) {
		const struct eng_thread *t = &e->threads[i];
		MINIDUMP_THREAD_INFO *o = &v[h.NumberOfEntries];

		if (t->excluded || !t->ctx || !(t->flags & ThreadWriteThreadInfo))
			continue;
		o->ThreadId = t->src->tid;
		if (!(t->src->facts & KMD_SRC_T_REGS))
			o->DumpFlags |= MINIDUMP_THREAD_INFO_INVALID_CONTEXT;
		if (t->src->exiting)
			o->DumpFlags |= MINIDUMP_THREAD_INFO_EXITED_THREAD;
		if (!t->teb)
			o->DumpFlags |= MINIDUMP_THREAD_INFO_INVALID_TEB;
		o->CreateTime = filetime(t->src->start_realtime_ns);
		o->KernelTime = t->src->stime_ns / 100;
		o->UserTime = t->src->utime_ns / 100;
		h.NumberOfEntries++;
	}
	if (SUCCEEDED(kmd_sink_align(e, 4)) && SUCCEEDED(kmd_sink_append(e, &h, sizeof(h), &rva)) &&
	    SUCCEEDED(kmd_sink_append(e, v, h.NumberOfEntries * sizeof(*v), NULL)))
		kmd_dir_add(e, ThreadInfoListStream, sizeof(h) + h.NumberOfEntries * sizeof(*v), rva);
	free(v);
	return e->err;
}

/* LinuxMaps, rebuilt from the captured mappings so it matches the frozen snapshot. */
static HRESULT write_maps(struct eng *e)
{
	size_t cap = 256 + e->nvmas * 160, len = 0, i;
	char *buf = malloc(cap);
	HRESULT hr;

	if (!buf)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nvmas; i++) {
		const struct kmd_src_vma *v = &e->vmas[i];
		size_t need = 128 + (v->path ? strlen(v->path) : 0);

		if (len + need > cap) {
			char *nb = realloc(buf, cap = (len + need) * 2);

			if (!nb) {
				free(buf);
				return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
			}
			buf = nb;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu%s%s\n",
					(unsigned long long)v->start, (unsigned long long)v->end,
					v->flags & KMD_SRC_V_READ ? 'r' : '-',
					v->flags & KMD_SRC_V_WRITE ? 'w' : '-',
					v->flags & KMD_SRC_V_EXEC ? 'x' : '-',
					v->flags & KMD_SRC_V_SHARED ? 's' : 'p',
					(unsigned long long)v->pgoff, v->dev_major, v->dev_minor,
					(unsigned long long)v->inode, v->path ? "                          " : "",
					v->path ? v->path : "");
	}
	hr = kmd_put_stream(e, KMDUMP_STREAM_LINUX_MAPS, buf, len);
	free(buf);
	return hr;
}

static HRESULT write_file_stream(struct eng *e, enum kmd_src_file which, uint32_t type)
{
	struct kmd_blob b = { 0 };
	HRESULT hr;

	hr = e->src->ops->file(e->src->ctx, which, &b);
	if (FAILED(hr) || !b.len) {
		free(b.data);
		return S_OK; /* not available: the stream is left out, as Breakpad does */
	}
	hr = kmd_put_stream(e, type, b.data, b.len);
	free(b.data);
	return hr;
}

static HRESULT write_linux_streams(struct eng *e)
{
	bool lean = e->a->dump_type & MiniDumpWithoutOptionalData;

	if (FAILED(write_maps(e)) ||
	    FAILED(write_file_stream(e, KMD_FILE_STATUS, KMDUMP_STREAM_LINUX_PROC_STATUS)) ||
	    FAILED(write_file_stream(e, KMD_FILE_CPUINFO, KMDUMP_STREAM_LINUX_CPU_INFO)) ||
	    FAILED(write_file_stream(e, KMD_FILE_LSB_RELEASE, KMDUMP_STREAM_LINUX_LSB_RELEASE)))
		return e->err;
	if (lean)
		return S_OK;
	if (FAILED(write_file_stream(e, KMD_FILE_CMDLINE, KMDUMP_STREAM_LINUX_CMD_LINE)) ||
	    FAILED(write_file_stream(e, KMD_FILE_AUXV, KMDUMP_STREAM_LINUX_AUXV)))
		return e->err;
	if (e->a->flags & KMDUMP_FLAG_ENVIRONMENT)
		return write_file_stream(e, KMD_FILE_ENVIRON, KMDUMP_STREAM_LINUX_ENVIRON);
	return S_OK;
}

static void kstack_entry(const struct eng *e, const struct eng_thread *t, KMDUMP_TASK_ENTRY *o)
{
	const struct kmd_src_thread *s = t->src;

	o->Pid = s->tid;
	o->Tgid = e->proc.pid ? e->proc.pid : e->a->pid;
	o->PPid = e->proc.ppid;
	o->State = s->sched_state;
	o->Flags = s->wire_flags;
	o->Cpu = s->cpu;
	o->Prio = s->prio;
	o->Nice = s->nice;
	o->UtimeNs = s->utime_ns;
	o->StimeNs = s->stime_ns;
	o->StartBoottimeNs = s->start_boottime_ns;
	o->Nvcsw = s->nvcsw;
	o->Nivcsw = s->nivcsw;
	memcpy(o->Comm, s->name, sizeof(o->Comm));
	o->OnCpu = s->on_cpu;
}

static HRESULT write_kstacks(struct eng *e)
{
	KMDUMP_TASK_LIST h = { sizeof(h), sizeof(KMDUMP_TASK_ENTRY), 0, 0 };
	KMDUMP_TASK_ENTRY *v;
	uint64_t rva;
	size_t i;

	if (e->a->dump_type & MiniDumpWithoutAuxiliaryState)
		return S_OK;
	v = calloc(e->nthreads + 1, sizeof(*v));
	if (!v)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nthreads && SUCCEEDED(e->err); i++) {
		const struct eng_thread *t = &e->threads[i];
		KMDUMP_TASK_ENTRY *o = &v[h.NumberOfEntries];

		if (t->excluded || !t->ctx)
			continue;
		if ((e->a->dump_type & MiniDumpWithFullAuxiliaryState) &&
		    !(t->src->facts & KMD_SRC_T_KSTACK) && !t->src->on_cpu) {
			kmd_eng_fail(e, E_ACCESSDENIED,
				 "MiniDumpWithFullAuxiliaryState needs every thread's kernel stack, and thread %u's was %s; run as root (CAP_SYS_ADMIN) without kernel lockdown, or drop the flag",
				 t->src->tid,
				 (t->src->facts & KMD_SRC_T_KSTACK_REFUSED) ? "refused" : "not captured");
			break;
		}
		kstack_entry(e, t, o);
		if ((t->src->facts & KMD_SRC_T_KSTACK) && t->src->kstack_len) {
			if (FAILED(kmd_sink_append(e, t->src->kstack, t->src->kstack_len, &rva)))
				break;
			o->FrameCount = t->src->kframes;
			o->Frames.DataSize = t->src->kstack_len;
			o->Frames.Rva = (RVA)rva;
		}
		h.NumberOfEntries++;
	}
	if (SUCCEEDED(e->err) && SUCCEEDED(kmd_sink_align(e, 8)) &&
	    SUCCEEDED(kmd_sink_append(e, &h, sizeof(h), &rva)) &&
	    SUCCEEDED(kmd_sink_append(e, v, h.NumberOfEntries * sizeof(*v), NULL)))
		kmd_dir_add(e, KMDUMP_STREAM_THREAD_KSTACKS, sizeof(h) + h.NumberOfEntries * sizeof(*v), rva);
	free(v);
	return e->err;
}

static HRESULT write_unloaded(struct eng *e)
{
	MINIDUMP_UNLOADED_MODULE_LIST h = { sizeof(h), 24, 0 };

	if (!(e->a->dump_type & MiniDumpWithUnloadedModules))
		return S_OK;
	return kmd_put_stream(e, UnloadedModuleListStream, &h, sizeof(h));
}

static HRESULT write_user_streams(struct eng *e)
{
	uint32_t i;

	for (i = 0; i < e->a->user_stream_count && SUCCEEDED(e->err); i++) {
		const struct kmdump_user_stream *s = &e->a->user_streams[i];

		kmd_put_stream(e, s->type, s->buffer, s->size);
	}
	return e->err;
}

uint32_t kmd_streams_count(const struct eng *e)
{
	/* SystemInfo, MiscInfo, ThreadList, ModuleList, MemoryList, Exception,
	 * MemoryInfoList, ThreadNames, 7 Linux streams, kernel stacks, ThreadInfoList,
	 * UnloadedModuleList, Memory64List: 19 at most, plus the user streams */
	return 19 + e->a->user_stream_count;
}

HRESULT kmd_streams_write_metadata(struct eng *e)
{
	static const uint8_t zeros[sizeof(MINIDUMP_HEADER) + KMD_MAX_DIRECTORY * sizeof(MINIDUMP_DIRECTORY)];

	e->dir_slots = kmd_streams_count(e);
	e->dir_rva = sizeof(MINIDUMP_HEADER);
	/* header and directory stay zero (not a dump) until everything else is written */
	if (FAILED(kmd_sink_append(e, zeros, sizeof(MINIDUMP_HEADER) +
					 e->dir_slots * sizeof(MINIDUMP_DIRECTORY), NULL)))
		return e->err;
	if (FAILED(write_system_info(e)) || FAILED(write_misc_info(e)) ||
	    FAILED(write_contexts(e)) || FAILED(write_module_list(e)) ||
	    FAILED(kmd_exception_write(e)) || FAILED(write_memory_info(e)) ||
	    FAILED(write_thread_names(e)) || FAILED(write_thread_info(e)) ||
	    FAILED(write_linux_streams(e)) || FAILED(write_kstacks(e)) ||
	    FAILED(write_unloaded(e)) || FAILED(write_user_streams(e)))
		return e->err;
	return S_OK;
}

static size_t included_threads(const struct eng *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->nthreads; i++)
		n += !e->threads[i].excluded && e->threads[i].ctx;
	return n;
}

static size_t mem64_slots(const struct eng *e);

/*
 * Bytes still to be appended after MemoryList data: its table, the ThreadList and, for
 * full memory, the Memory64List table (the Memory64 data itself is subject to the cap).
 */
static uint64_t tail_bytes(const struct eng *e, size_t more_mem)
{
	uint64_t t = 8 + 16 * (e->mem.n + more_mem + 1) + 4 + 48 * included_threads(e);

	if (e->a->dump_type & MiniDumpWithFullMemory)
		t += 32 + 16 * mem64_slots(e);
	return t;
}

static HRESULT write_stacks(struct eng *e)
{
	size_t i, left = included_threads(e);

	for (i = 0; i < e->nthreads && SUCCEEDED(e->err); i++) {
		struct eng_thread *t = &e->threads[i];
		uint64_t len, room;

		if (t->excluded || !t->stack)
			continue;
		left--;
		len = t->stack_hi - t->stack_lo;
		room = e->capped ? 0 : kmd_mem_room(e, len, tail_bytes(e, left + e->blocks.n));
		if (room < len)
			e->capped = e->res->capped = true;
		if (!room)
			continue;
		kmd_policy_filter_stack(e, t->stack, t->stack_lo, room);
		if (FAILED(kmd_eng_poll_cancel(e)) || FAILED(kmd_sink_append(e, t->stack, room, &t->stack_rva)))
			break;
		t->stack_written = room;
		e->res->memory_bytes += room;
		if (kmd_descs_push(&e->mem, t->stack_lo, room, t->stack_rva))
			return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	}
	return e->err;
}

HRESULT kmd_streams_write_memory_list(struct eng *e)
{
	uint32_t n;
	uint64_t rva;
	size_t i;

	if (FAILED(write_stacks(e)))
		return e->err;
	/* the stacks are written already: cut them out of the other blocks */
	for (i = 0; i < e->nthreads; i++)
		if (e->threads[i].stack_written &&
		    kmd_ranges_remove(&e->blocks, e->threads[i].stack_lo,
				  e->threads[i].stack_lo + e->threads[i].stack_written))
			return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->blocks.n && SUCCEEDED(e->err); i++) {
		e->tail = tail_bytes(e, e->blocks.n - i);
		kmd_mem_write_block(e, e->blocks.v[i].start, e->blocks.v[i].end, false);
	}
	if (FAILED(e->err))
		return e->err;
	n = (uint32_t)e->mem.n;
	if (FAILED(kmd_sink_align(e, 4)) || FAILED(kmd_sink_append(e, &n, 4, &rva)))
		return e->err;
	for (i = 0; i < e->mem.n; i++) {
		MINIDUMP_MEMORY_DESCRIPTOR d = { e->mem.v[i].start,
						 { (ULONG32)e->mem.v[i].size, (RVA)e->mem.v[i].rva } };

		if (FAILED(kmd_sink_append(e, &d, sizeof(d), NULL)))
			return e->err;
	}
	return kmd_dir_add(e, MemoryListStream, 4 + n * sizeof(MINIDUMP_MEMORY_DESCRIPTOR), rva);
}

HRESULT kmd_streams_write_thread_list(struct eng *e)
{
	uint32_t n = (uint32_t)included_threads(e);
	uint64_t rva;
	size_t i;

	if (FAILED(kmd_sink_align(e, 4)) || FAILED(kmd_sink_append(e, &n, 4, &rva)))
		return e->err;
	for (i = 0; i < e->nthreads; i++) {
		const struct eng_thread *t = &e->threads[i];
		MINIDUMP_THREAD o;

		if (t->excluded || !t->ctx)
			continue;
		memset(&o, 0, sizeof(o));
		o.ThreadId = t->src->tid;
		o.Priority = (ULONG32)t->src->prio;
		o.Teb = t->teb;
		if (t->stack_written) {
			o.Stack.StartOfMemoryRange = t->stack_lo;
			o.Stack.Memory.DataSize = (ULONG32)t->stack_written;
			o.Stack.Memory.Rva = (RVA)t->stack_rva;
		}
		o.ThreadContext.DataSize = KMD_CONTEXT_BLOB;
		o.ThreadContext.Rva = (RVA)t->ctx_rva;
		if (FAILED(kmd_sink_append(e, &o, sizeof(o), NULL)))
			return e->err;
	}
	return kmd_dir_add(e, ThreadListStream, 4 + n * sizeof(MINIDUMP_THREAD), rva);
}

/* IncludeVmRegionCallback: the caller may shrink or drop a region, or stop. */
static HRESULT include_region(struct eng *e, const struct kmd_src_vma *v, uint64_t *lo,
			      uint64_t *hi)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };
	uint64_t s, end;

	*lo = v->start;
	*hi = v->end;
	if (!e->a->callback)
		return S_OK;
	vma_info(e, v, &out.VmRegion);
	out.Continue = TRUE;
	if (!kmd_eng_callback(e, IncludeVmRegionCallback, &in, &out) || !out.Continue)
		return kmd_eng_fail(e, E_ABORT,
				"IncludeVmRegionCallback stopped the full-memory pass at 0x%llx",
				(unsigned long long)v->start);
	s = out.VmRegion.BaseAddress;
	end = s + out.VmRegion.RegionSize;
	if (!out.VmRegion.RegionSize) {
		*hi = *lo;
		return S_OK;
	}
	if (s < v->start || end > v->end || end < s || (s | end) & (KMD_PAGE - 1))
		return kmd_eng_fail(e, E_INVALIDARG,
				"IncludeVmRegionCallback returned [0x%llx, 0x%llx), which is not a page-aligned part of [0x%llx, 0x%llx)",
				(unsigned long long)s, (unsigned long long)end,
				(unsigned long long)v->start, (unsigned long long)v->end);
	*lo = s;
	*hi = end;
	return S_OK;
}

static size_t mem64_slots(const struct eng *e)
{
	/* every readable mapping, plus room for the splits unreadable runs cause */
	return e->nvmas * 2 + 256;
}

/*
 * The Memory64List table goes before its data (its RVA must stay below 4 GiB) and is
 * patched once every range is known; its DataSize counts only the ranges written, the
 * slots reserved beyond them stay zero and BaseRva points at the data.
 */
HRESULT kmd_streams_write_memory64(struct eng *e)
{
	MINIDUMP_MEMORY64_LIST h;
	uint64_t rva, off;
	uint8_t *zeros;
	size_t i;

	if (!(e->a->dump_type & MiniDumpWithFullMemory))
		return S_OK;
	e->mem64_slots = mem64_slots(e);
	zeros = calloc(e->mem64_slots, sizeof(MINIDUMP_MEMORY_DESCRIPTOR64));
	if (!zeros)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	if (SUCCEEDED(kmd_sink_align(e, 16)) && SUCCEEDED(kmd_sink_append(e, zeros, sizeof(h), &rva)))
		kmd_sink_append(e, zeros, e->mem64_slots * sizeof(MINIDUMP_MEMORY_DESCRIPTOR64), NULL);
	free(zeros);
	e->mem64_base = e->end;
	e->tail = 0;
	for (i = 0; i < e->nvmas && SUCCEEDED(e->err); i++) {
		const struct kmd_src_vma *v = &e->vmas[i];
		uint64_t lo, hi;

		if (!(v->flags & KMD_SRC_V_READ) || (v->flags & KMD_SRC_V_NOREAD))
			continue;
		if (FAILED(include_region(e, v, &lo, &hi)))
			break;
		kmd_mem_write_block(e, lo, hi, true);
	}
	if (FAILED(e->err))
		return e->err;
	h.NumberOfMemoryRanges = e->mem64.n;
	h.BaseRva = e->mem64.n ? e->mem64.v[0].rva : e->mem64_base;
	if (FAILED(kmd_sink_write(e, rva, &h, sizeof(h))))
		return e->err;
	off = rva + sizeof(h);
	for (i = 0; i < e->mem64.n; i++, off += sizeof(MINIDUMP_MEMORY_DESCRIPTOR64)) {
		MINIDUMP_MEMORY_DESCRIPTOR64 d = { e->mem64.v[i].start, e->mem64.v[i].size };

		if (FAILED(kmd_sink_write(e, off, &d, sizeof(d))))
			return e->err;
	}
	return kmd_dir_add(e, Memory64ListStream, sizeof(h) + e->mem64.n * sizeof(MINIDUMP_MEMORY_DESCRIPTOR64), rva);
}
