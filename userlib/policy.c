// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What each MINIDUMP_TYPE flag means on Linux (the table in <kmdump/kmdump.h>): which
 * flags are refused, the default write flags, and the memory blocks the honoured flags
 * add to the MemoryList before the Memory/RemoveMemory loops run.
 */
#include <stdlib.h>
#include <string.h>
#include "engine.h"

struct type_name {
	uint32_t bit;
	const char *name;
	const char *why_refused; /* NULL: honoured */
};

static const struct type_name type_names[] = {
	{ MiniDumpWithDataSegs, "MiniDumpWithDataSegs", NULL },
	{ MiniDumpWithFullMemory, "MiniDumpWithFullMemory", NULL },
	{ MiniDumpWithHandleData, "MiniDumpWithHandleData",
	  "Linux has no handle table to write; list /proc/<pid>/fd instead" },
	{ MiniDumpFilterMemory, "MiniDumpFilterMemory", NULL },
	{ MiniDumpScanMemory, "MiniDumpScanMemory", NULL },
	{ MiniDumpWithUnloadedModules, "MiniDumpWithUnloadedModules", NULL },
	{ MiniDumpWithIndirectlyReferencedMemory, "MiniDumpWithIndirectlyReferencedMemory", NULL },
	{ MiniDumpFilterModulePaths, "MiniDumpFilterModulePaths", NULL },
	{ MiniDumpWithProcessThreadData, "MiniDumpWithProcessThreadData", NULL },
	{ MiniDumpWithPrivateReadWriteMemory, "MiniDumpWithPrivateReadWriteMemory", NULL },
	{ MiniDumpWithoutOptionalData, "MiniDumpWithoutOptionalData", NULL },
	{ MiniDumpWithFullMemoryInfo, "MiniDumpWithFullMemoryInfo", NULL },
	{ MiniDumpWithThreadInfo, "MiniDumpWithThreadInfo", NULL },
	{ MiniDumpWithCodeSegs, "MiniDumpWithCodeSegs", NULL },
	{ MiniDumpWithoutAuxiliaryState, "MiniDumpWithoutAuxiliaryState", NULL },
	{ MiniDumpWithFullAuxiliaryState, "MiniDumpWithFullAuxiliaryState", NULL },
	{ MiniDumpWithPrivateWriteCopyMemory, "MiniDumpWithPrivateWriteCopyMemory", NULL },
	{ MiniDumpIgnoreInaccessibleMemory, "MiniDumpIgnoreInaccessibleMemory", NULL },
	{ MiniDumpWithTokenInformation, "MiniDumpWithTokenInformation",
	  "Linux has no access token; the credentials are in the LinuxProcStatus stream" },
	{ MiniDumpWithModuleHeaders, "MiniDumpWithModuleHeaders", NULL },
	{ MiniDumpFilterTriage, "MiniDumpFilterTriage",
	  "triage filtering is not implemented; use MiniDumpFilterMemory and MiniDumpFilterModulePaths" },
	{ MiniDumpWithAvxXStateContext, "MiniDumpWithAvxXStateContext",
	  "AVX (XSAVE) contexts are not written; contexts carry the FXSAVE (SSE) state" },
	{ MiniDumpWithIptTrace, "MiniDumpWithIptTrace", "Intel PT traces are not collected" },
	{ MiniDumpScanInaccessiblePartialPages, "MiniDumpScanInaccessiblePartialPages",
	  "partial pages are never scanned; unreadable runs are left out whole" },
	{ MiniDumpFilterWriteCombinedMemory, "MiniDumpFilterWriteCombinedMemory", NULL },
};

const char *kmdump_dump_type_name(uint32_t bit)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].bit == bit)
			return type_names[i].name;
	return bit ? NULL : "MiniDumpNormal";
}

const char *kmdump_dump_type_refusal(uint32_t bit)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].bit == bit)
			return type_names[i].why_refused;
	return bit & ~(uint32_t)MiniDumpValidTypeFlags ? "not a MINIDUMP_TYPE flag" : NULL;
}

HRESULT kmd_policy_check_type(struct eng *e)
{
	uint32_t t = e->a->dump_type;
	size_t i;

	if (t & ~(uint32_t)MiniDumpValidTypeFlags)
		return kmd_eng_fail(e, E_INVALIDARG,
				"dump type 0x%x has bits outside MiniDumpValidTypeFlags (0x%x)", t,
				(unsigned int)MiniDumpValidTypeFlags);
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if ((t & type_names[i].bit) && type_names[i].why_refused)
			return kmd_eng_fail(e, E_INVALIDARG, "%s (0x%x) is not supported on Linux: %s",
					type_names[i].name, type_names[i].bit,
					type_names[i].why_refused);
	if ((t & MiniDumpWithoutAuxiliaryState) && (t & MiniDumpWithFullAuxiliaryState))
		return kmd_eng_fail(e, E_INVALIDARG,
				"MiniDumpWithoutAuxiliaryState and MiniDumpWithFullAuxiliaryState contradict each other; pick one");
	return S_OK;
}

uint32_t kmd_policy_thread_flags(uint32_t t)
{
	uint32_t f = ThreadWriteThread | ThreadWriteStack | ThreadWriteContext |
		     ThreadWriteInstructionWindow;

	if (t & MiniDumpWithProcessThreadData)
		f |= ThreadWriteThreadData;
	if (t & MiniDumpWithThreadInfo)
		f |= ThreadWriteThreadInfo;
	return f;
}

uint32_t kmd_policy_module_flags(uint32_t t)
{
	uint32_t f = ModuleWriteModule | ModuleWriteMiscRecord | ModuleWriteCvRecord;

	if (t & MiniDumpWithDataSegs)
		f |= ModuleWriteDataSeg;
	if (t & MiniDumpWithProcessThreadData)
		f |= ModuleWriteTlsData;
	if (t & MiniDumpWithCodeSegs)
		f |= ModuleWriteCodeSegs;
	if (t & MiniDumpScanMemory)
		f |= ModuleReferencedByMemory;
	return f;
}

const struct kmd_src_vma *kmd_vma_find(const struct eng *e, uint64_t addr)
{
	size_t lo = 0, hi = e->nvmas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < e->vmas[mid].start)
			hi = mid;
		else if (addr >= e->vmas[mid].end)
			lo = mid + 1;
		else
			return &e->vmas[mid];
	}
	return NULL;
}

static int by_base(const void *a, const void *b, void *arg)
{
	const struct eng *e = arg;
	uint64_t x = e->smodules[*(const size_t *)a].base;
	uint64_t y = e->smodules[*(const size_t *)b].base;

	return x < y ? -1 : x > y;
}

/* Sorted lookups for the per-word work of ScanMemory, FilterMemory and indirect memory. */
HRESULT kmd_policy_build_spans(struct eng *e)
{
	size_t i;
	int rc = 0;

	e->mod_order = calloc(e->nmodules + 1, sizeof(*e->mod_order));
	if (!e->mod_order)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	for (i = 0; i < e->nmodules; i++) {
		e->mod_order[i] = i;
		rc |= kmd_ranges_add(&e->module_spans, e->smodules[i].base,
				 e->smodules[i].base + e->smodules[i].size);
	}
	for (i = 0; i < e->nthreads; i++)
		if (e->threads[i].stack)
			rc |= kmd_ranges_add(&e->stack_spans, e->threads[i].stack_lo, e->threads[i].stack_hi);
	if (rc)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	qsort_r(e->mod_order, e->nmodules, sizeof(*e->mod_order), by_base, e);
	return S_OK;
}

/* The module holding addr (the one with the highest base at or below it), or -1. */
long kmd_policy_module_index(const struct eng *e, uint64_t addr)
{
	size_t lo = 0, hi = e->nmodules;
	const struct kmd_src_module *m;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->smodules[e->mod_order[mid]].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	m = &e->smodules[e->mod_order[lo - 1]];
	return addr - m->base < m->size ? (long)e->mod_order[lo - 1] : -1;
}

static const struct eng_module *module_of(const struct eng *e, uint64_t addr)
{
	long i = e->mod_order ? kmd_policy_module_index(e, addr) : -1;

	return i < 0 ? NULL : &e->modules[i];
}

bool kmd_policy_is_module_vma(const struct eng *e, const struct kmd_src_vma *v)
{
	const struct eng_module *m = module_of(e, v->start);

	return m && v->path && m->src->path && !strcmp(v->path, m->src->path);
}

static bool readable(const struct kmd_src_vma *v)
{
	return v && (v->flags & KMD_SRC_V_READ) && !(v->flags & KMD_SRC_V_NOREAD);
}

/* Adds [lo, hi) clipped to the readable mapping holding addr. */
static int add_clipped(struct eng *e, uint64_t addr, uint64_t lo, uint64_t hi)
{
	const struct kmd_src_vma *v = kmd_vma_find(e, addr);

	if (!readable(v))
		return 0;
	if (lo < v->start || lo > addr)
		lo = v->start;
	if (hi > v->end || hi < addr)
		hi = v->end;
	return kmd_ranges_add(&e->blocks, lo, hi);
}

static bool is_stack_addr(const struct eng *e, uint64_t w)
{
	return kmd_ranges_contains(&e->stack_spans, w);
}

/* FilterMemory: keep only stack words that point into a module or a stack. */
void kmd_policy_filter_stack(const struct eng *e, uint8_t *buf, uint64_t lo, uint64_t len)
{
	uint64_t k;

	(void)lo;
	if (!(e->a->dump_type & MiniDumpFilterMemory))
		return;
	for (k = 0; k + 8 <= len; k += 8) {
		uint64_t w;

		memcpy(&w, buf + k, 8);
		if (!kmd_ranges_contains(&e->module_spans, w) && !is_stack_addr(e, w))
			memset(buf + k, 0, 8);
	}
}

static int add_thread_blocks(struct eng *e, const struct eng_thread *t)
{
	uint64_t ip = t->ctx->Rip, k, n;
	int rc = 0;

	if ((t->flags & ThreadWriteInstructionWindow) &&
	    !(e->a->dump_type & MiniDumpWithoutOptionalData) && ip)
		rc |= add_clipped(e, ip, ip - KMD_IP_WINDOW / 2, ip + KMD_IP_WINDOW / 2);
	if ((t->flags & ThreadWriteThreadData) && t->teb)
		rc |= add_clipped(e, t->teb, t->teb - KMD_PAGE, t->teb + KMD_PAGE);
	if ((t->flags & ThreadWriteStack) && (t->src->facts & KMD_SRC_T_REGS) && t->src->regs.rsp &&
	    kmd_exception_stack_pointer(e, t) != t->src->regs.rsp) {
		/* the stack was taken at the exception; keep the handler's stack too */
		uint64_t sp = t->src->regs.rsp & ~(KMD_PAGE - 1);

		rc |= add_clipped(e, sp, sp, sp + (e->a->stack_limit ? e->a->stack_limit : KMD_DEFAULT_STACK));
	}
	if (!(e->a->dump_type & MiniDumpWithIndirectlyReferencedMemory) || !t->stack)
		return rc;
	n = (t->stack_hi - t->stack_lo) / 8;
	for (k = 0; k < n && !rc; k++) {
		const struct kmd_src_vma *v;
		uint64_t w;

		memcpy(&w, t->stack + k * 8, 8);
		v = kmd_vma_find(e, w);
		if (!readable(v) || !(v->flags & KMD_SRC_V_WRITE) || (v->flags & KMD_SRC_V_SHARED) ||
		    is_stack_addr(e, w))
			continue;
		rc |= add_clipped(e, w, w - 128, w + 128);
	}
	return rc;
}

static int add_module_blocks(struct eng *e, const struct eng_module *m)
{
	size_t i;
	int rc = 0;

	if (m->excluded)
		return 0;
	if (e->a->dump_type & MiniDumpWithModuleHeaders)
		rc |= add_clipped(e, m->src->base, m->src->base, m->src->base + KMD_PAGE);
	for (i = 0; i < e->nvmas && !rc; i++) {
		const struct kmd_src_vma *v = &e->vmas[i];

		if (!readable(v) || v->start < m->src->base ||
		    v->end > m->src->base + m->src->size || !kmd_policy_is_module_vma(e, v))
			continue;
		if (((m->flags & ModuleWriteDataSeg) && (v->flags & KMD_SRC_V_WRITE)) ||
		    ((m->flags & ModuleWriteCodeSegs) && (v->flags & KMD_SRC_V_EXEC)))
			rc |= kmd_ranges_add(&e->blocks, v->start, v->end);
	}
	return rc;
}

static int add_private_blocks(struct eng *e)
{
	uint32_t t = e->a->dump_type;
	size_t i;
	int rc = 0;

	for (i = 0; i < e->nvmas && !rc; i++) {
		const struct kmd_src_vma *v = &e->vmas[i];
		bool priv_rw = readable(v) && (v->flags & KMD_SRC_V_WRITE) &&
			       !(v->flags & KMD_SRC_V_SHARED);

		if (!priv_rw)
			continue;
		if (((t & MiniDumpWithPrivateReadWriteMemory)) ||
		    ((t & MiniDumpWithPrivateWriteCopyMemory) && v->path && v->path[0] == '/'))
			rc |= kmd_ranges_add(&e->blocks, v->start, v->end);
	}
	return rc;
}

/* The blocks the dump type asks for, before the Memory/RemoveMemory loops. */
HRESULT kmd_policy_add_blocks(struct eng *e)
{
	size_t i;
	int rc = 0;

	if (e->a->dump_type & MiniDumpWithFullMemory)
		return S_OK; /* everything goes to the Memory64List */
	for (i = 0; i < e->nthreads && !rc; i++)
		if (!e->threads[i].excluded && e->threads[i].ctx)
			rc |= add_thread_blocks(e, &e->threads[i]);
	for (i = 0; i < e->nmodules && !rc; i++)
		if (e->modules[i].src)
			rc |= add_module_blocks(e, &e->modules[i]);
	if (!rc)
		rc = add_private_blocks(e);
	if (rc)
		return kmd_eng_fail(e, E_OUTOFMEMORY, "out of memory");
	return S_OK;
}
