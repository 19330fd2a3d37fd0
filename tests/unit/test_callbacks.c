// SPDX-License-Identifier: LGPL-2.1-or-later
/* The callback stream: every type, the order, and what every output does. */
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "harness.h"

#define HR_CANCELLED ((HRESULT)0x800704C7)


/* the documented order of first appearance for a normal dump */
START_TEST(order_is_documented)
{
	static const ULONG order[] = {
		IsProcessSnapshotCallback, VmStartCallback, IoStartCallback, SecondaryFlagsCallback,
		CancelCallback, IncludeThreadCallback, IncludeModuleCallback, ThreadCallback,
		ModuleCallback, MemoryCallback, RemoveMemoryCallback, WriteKernelMinidumpCallback,
	};
	size_t i;

	dump_ok();
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(R.types[i], order[i]);
	for (i = 5; i + 1 < sizeof(order) / sizeof(order[0]); i++)
		ck_assert_msg(run_last(&R, order[i]) < run_first(&R, order[i + 1]),
			      "%s comes after %s", kmdump_callback_type_name(order[i]),
			      kmdump_callback_type_name(order[i + 1]));
	ck_assert_uint_eq(R.types[R.n - 1], WriteKernelMinidumpCallback);
	ck_assert_uint_eq(R.count[IncludeThreadCallback], 2);
	ck_assert_uint_eq(R.count[IncludeModuleCallback], 2);
	ck_assert_uint_eq(R.count[ThreadCallback], 2);
	ck_assert_uint_eq(R.count[ModuleCallback], 2);
	/* Cancel is polled before every thread and module */
	ck_assert_uint_eq(R.types[run_first(&R, IncludeThreadCallback) - 1], CancelCallback);
	ck_assert_uint_eq(R.types[run_first(&R, ModuleCallback) - 1], CancelCallback);
	ck_assert(!R.bad_identity);
}
END_TEST

static int hook_everything(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	switch (in->CallbackType) {
	case VmStartCallback:
		out->Status = S_FALSE;
		return TRUE;
	case MemoryCallback:
		if (r->hook_int++ == 0) {
			out->MemoryBase = FAKE_HEAP;
			out->MemorySize = 0x4000;
		}
		return TRUE;
	case RemoveMemoryCallback:
		return FALSE;
	case ReadMemoryFailureCallback:
		out->Status = S_OK;
		return TRUE;
	case WriteKernelMinidumpCallback:
		out->Handle = (HANDLE)r->hook_u64;
		return TRUE;
	default:
		return hook_redirect(r, in, out);
	}
}

START_TEST(every_type_is_delivered)
{
	unsigned int seen[32] = { 0 };
	int kfd = memfd_create("kdump", MFD_CLOEXEC);
	ULONG t;

	/* a normal dump: Memory loops, read failure, VM and I/O callbacks, kernel dump */
	R.hook = hook_everything;
	R.hook_u64 = (uint64_t)kfd;
	R.f.emit_status = true;
	fake_add_hole(&R.f, FAKE_HEAP + 0x1000, FAKE_HEAP + 0x2000);
	dump_ok();
	for (t = 0; t < 32; t++)
		seen[t] += R.count[t];
	/* a full-memory dump with ThreadEx: IncludeVmRegion */
	run_free(&R);
	run_init(&R);
	R.a.dump_type = MiniDumpWithFullMemory | MiniDumpWithProcessThreadData;
	dump_ok();
	for (t = 0; t < 32; t++)
		seen[t] += R.count[t];
	for (t = ModuleCallback; t <= VmPostReadCallback; t++)
		ck_assert_msg(seen[t] > 0, "%s never delivered", kmdump_callback_type_name(t));
	close(kfd);
}
END_TEST

static int hook_drop(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	(void)out;
	if ((ULONG)r->hook_int != in->CallbackType)
		return -1;
	switch (in->CallbackType) {
	case IncludeThreadCallback:
		return in->IncludeThread.ThreadId != FAKE_TID1;
	case ThreadCallback:
		return in->Thread.ThreadId != FAKE_TID1;
	case IncludeModuleCallback:
		return in->IncludeModule.BaseOfImage != FAKE_LIB_BASE;
	case ModuleCallback:
		return in->Module.BaseOfImage != FAKE_LIB_BASE;
	}
	return -1;
}

START_TEST(false_drops_threads_and_modules)
{
	static const ULONG types[] = { IncludeThreadCallback, ThreadCallback, IncludeModuleCallback,
				       ModuleCallback };
	size_t i;

	for (i = 0; i < 4; i++) {
		const MINIDUMP_MODULE_LIST *ml;

		run_free(&R);
		run_init(&R);
		R.hook = hook_drop;
		R.hook_int = (int)types[i];
		dump_ok();
		ml = md_stream(&R.md, ModuleListStream, NULL);
		if (i < 2) {
			ck_assert_ptr_null(md_thread(&R.md, FAKE_TID1));
			ck_assert_ptr_nonnull(md_thread(&R.md, FAKE_TID0));
			ck_assert_uint_eq(R.res.threads, 1);
			/* a dropped thread gets no Thread callback */
			ck_assert_uint_eq(R.count[ThreadCallback], i == 0 ? 1 : 2);
		} else {
			ck_assert_uint_eq(ml->NumberOfModules, 1);
			ck_assert_uint_eq(ml->Modules[0].BaseOfImage, FAKE_EXE_BASE);
			ck_assert_uint_eq(R.count[ModuleCallback], i == 2 ? 1 : 2);
		}
	}
}
END_TEST

static int hook_set_all_flags(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	(void)r;
	switch (in->CallbackType) {
	case IncludeThreadCallback:
	case ThreadCallback:
		out->ThreadWriteFlags = 0xFFFFFFFF;
		return TRUE;
	case IncludeModuleCallback:
	case ModuleCallback:
		out->ModuleWriteFlags = 0xFFFFFFFF;
		return TRUE;
	}
	return -1;
}

START_TEST(flags_can_only_be_cleared)
{
	uint8_t b[8];

	R.hook = hook_set_all_flags;
	dump_ok();
	/* ThreadWriteThreadData would add the thread pointer block, DataSeg the .data */
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP + 0x800 + FAKE_TID0 - 4096, b, 8, false), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_EXE_DATA, b, 8, false), 0);
	ck_assert_uint_eq(R.count[ThreadExCallback], 0);
}
END_TEST

static int hook_clear(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType == ThreadCallback && in->Thread.ThreadId == FAKE_TID1)
		out->ThreadWriteFlags &= ~(ULONG)r->hook_int;
	if (in->CallbackType == ModuleCallback && in->Module.BaseOfImage == FAKE_LIB_BASE)
		out->ModuleWriteFlags &= ~(ULONG)ModuleWriteCvRecord;
	return -1;
}

START_TEST(cleared_flags_take_effect)
{
	const MINIDUMP_MODULE_LIST *ml;
	const MINIDUMP_THREAD *t;

	R.hook = hook_clear;
	R.hook_int = ThreadWriteStack;
	dump_ok();
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(t->Stack.Memory.DataSize, 0);
	ck_assert_uint_ne(md_thread(&R.md, FAKE_TID0)->Stack.Memory.DataSize, 0);
	ml = md_stream(&R.md, ModuleListStream, NULL);
	ck_assert_uint_eq(ml->Modules[1].CvRecord.DataSize, 0);
	ck_assert_uint_ne(ml->Modules[0].CvRecord.DataSize, 0);

	run_free(&R);
	run_init(&R);
	R.hook = hook_clear;
	R.hook_int = ThreadWriteContext;
	dump_ok();
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(md_context(&R.md, t->ThreadContext)->ContextFlags, CONTEXT_AMD64);
	ck_assert_uint_eq(md_context(&R.md, t->ThreadContext)->Rip, 0);

	run_free(&R);
	run_init(&R);
	R.hook = hook_clear;
	R.hook_int = ThreadWriteThread;
	dump_ok();
	ck_assert_ptr_null(md_thread(&R.md, FAKE_TID1));

	run_free(&R);
	run_init(&R);
	R.hook = hook_clear;
	R.hook_int = ThreadWriteInstructionWindow;
	dump_ok();
	{
		uint8_t b;

		ck_assert_int_ne(md_memory(&R.md, FAKE_LIB_BASE + 0x100, &b, 1, false), 0);
		ck_assert_int_eq(md_memory(&R.md, FAKE_EXE_TEXT + 0x100, &b, 1, false), 0);
	}
}
END_TEST

static MINIDUMP_THREAD_CALLBACK seen_thread;
static MINIDUMP_MODULE_CALLBACK seen_module;
static uint16_t seen_path[64];
static uint8_t seen_cv[32];
static ULONG seen_thread_flags, seen_module_flags;

static int hook_capture_inputs(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	(void)r;
	if (in->CallbackType == ThreadCallback && in->Thread.ThreadId == FAKE_TID1) {
		seen_thread = in->Thread;
		seen_thread_flags = out->ThreadWriteFlags;
	}
	if (in->CallbackType == ModuleCallback && in->Module.BaseOfImage == FAKE_EXE_BASE) {
		seen_module = in->Module;
		memcpy(seen_path, in->Module.FullPath, 28);
		memcpy(seen_cv, in->Module.CvRecord, in->Module.SizeOfCvRecord);
		seen_module_flags = out->ModuleWriteFlags;
	}
	return -1;
}

START_TEST(inputs_are_filled)
{
	static const uint16_t want[] = { '/', 'u', 's', 'r', '/', 'b', 'i', 'n', '/', 'f', 'a', 'k', 'e', 0 };
	const MINIDUMP_THREAD *t;

	R.hook = hook_capture_inputs;
	dump_ok();
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(seen_thread.ThreadId, FAKE_TID1);
	ck_assert_uint_eq(seen_thread.SizeOfContext, 1232);
	ck_assert_uint_eq(seen_thread.Context.Rip, FAKE_LIB_BASE + 0x100);
	ck_assert_uint_eq(seen_thread.Context.Rsp, R.f.threads[1].regs.rsp);
	ck_assert_uint_eq(seen_thread.StackBase, t->Stack.StartOfMemoryRange);
	ck_assert_uint_eq(seen_thread.StackEnd, t->Stack.StartOfMemoryRange + t->Stack.Memory.DataSize);
	ck_assert_uint_eq(seen_thread_flags, ThreadWriteThread | ThreadWriteStack | ThreadWriteContext |
						     ThreadWriteInstructionWindow);
	ck_assert_uint_eq(seen_module.BaseOfImage, FAKE_EXE_BASE);
	ck_assert_uint_eq(seen_module.SizeOfImage, 0x4000);
	ck_assert_int_eq(memcmp(seen_path, want, sizeof(want)), 0);
	ck_assert_uint_eq(seen_module.SizeOfCvRecord, 24);
	ck_assert_int_eq(memcmp(seen_cv, "LEpB", 4), 0);
	ck_assert_int_eq(memcmp(seen_cv + 4, R.f.modules[0].build_id, 20), 0);
	ck_assert_uint_eq(seen_module_flags, ModuleWriteModule | ModuleWriteMiscRecord | ModuleWriteCvRecord);
}
END_TEST

static int hook_memory(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType == MemoryCallback) {
		int k = r->hook_int++;

		if (k == 0) {
			out->MemoryBase = FAKE_HEAP;
			out->MemorySize = 0x3000;
		} else if (k == 1) {
			out->MemoryBase = FAKE_HEAP + 0x10000;
			out->MemorySize = 0x100;
			return r->hook_u64 ? FALSE : TRUE; /* FALSE ends the loop, region ignored */
		} else if (k == 2) {
			out->MemoryBase = FAKE_HEAP + 0x20000;
			out->MemorySize = 0; /* size 0 ends it */
		}
		return TRUE;
	}
	if (in->CallbackType == RemoveMemoryCallback) {
		if (r->count[RemoveMemoryCallback] == 1) {
			out->MemoryBase = FAKE_HEAP + 0x1000;
			out->MemorySize = 0x1000;
			return TRUE;
		}
		return TRUE; /* size preset 0: ends */
	}
	return -1;
}

START_TEST(memory_loops)
{
	uint8_t b[16];

	R.hook = hook_memory;
	dump_ok();
	ck_assert_uint_eq(R.count[MemoryCallback], 3);
	ck_assert_uint_eq(R.count[RemoveMemoryCallback], 2);
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP, b, 16, false), 0);
	ck_assert_uint_eq(b[5], fake_byte(FAKE_HEAP + 5));
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0x2000, b, 16, false), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP + 0x1000, b, 1, false), 0); /* removed */
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0x10000, b, 16, false), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP + 0x20000, b, 1, false), 0);

	/* FALSE ends the loop and its region is not used */
	run_free(&R);
	run_init(&R);
	R.hook = hook_memory;
	R.hook_u64 = 1;
	dump_ok();
	ck_assert_uint_eq(R.count[MemoryCallback], 2);
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP + 0x10000, b, 1, false), 0);
}
END_TEST

static int hook_cancel_at(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType == CancelCallback && (int)r->count[CancelCallback] == r->hook_int)
		out->Cancel = TRUE;
	return -1;
}

START_TEST(cancel_at_every_point)
{
	unsigned int polls, k;

	dump_ok();
	polls = R.count[CancelCallback];
	ck_assert_uint_ge(polls, 10);
	for (k = 1; k <= polls; k++) {
		run_free(&R);
		run_init(&R);
		R.hook = hook_cancel_at;
		R.hook_int = (int)k;
		ck_assert_int_eq(run_dump(&R), HR_CANCELLED);
		ck_assert_msg(R.valid != 0, "a cancelled dump (poll %u) looks whole", k);
		ck_assert_uint_eq(R.count[CancelCallback], k);
		ck_assert_uint_ge(R.f.thaws, 1);
		ck_assert_uint_eq(R.count[WriteKernelMinidumpCallback], 0);
		ck_assert_ptr_nonnull(strstr(R.res.message, "cancel"));
	}
}
END_TEST

static int hook_no_more_polls(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType != CancelCallback)
		return -1;
	if (r->hook_int)
		return FALSE; /* ignored: polling goes on */
	out->CheckCancel = FALSE;
	return TRUE;
}

START_TEST(check_cancel_false_stops_polling)
{
	R.hook = hook_no_more_polls;
	dump_ok();
	ck_assert_uint_eq(R.count[CancelCallback], 1);
	run_free(&R);
	run_init(&R);
	R.hook = hook_no_more_polls;
	R.hook_int = 1;
	dump_ok();
	ck_assert_uint_ge(R.count[CancelCallback], 10);
}
END_TEST

START_TEST(io_redirect_is_byte_identical)
{
	struct run fdrun;
	off_t size;

	run_init(&fdrun);
	fdrun.a.dump_type = MiniDumpWithFullMemory | MiniDumpWithThreadInfo;
	ck_assert_int_eq(run_dump(&fdrun), S_OK);
	R.a.dump_type = fdrun.a.dump_type;
	R.hook = hook_redirect;
	dump_ok();
	ck_assert_uint_eq(R.io_len, fdrun.md.len);
	ck_assert_int_eq(memcmp(R.io, fdrun.md.p, R.io_len), 0);
	ck_assert_uint_gt(R.count[IoWriteAllCallback], 10);
	ck_assert_uint_eq(R.count[IoFinishCallback], 1);
	ck_assert_int_lt(run_last(&R, IoWriteAllCallback), run_first(&R, IoFinishCallback));
	ck_assert_int_lt(run_first(&R, IoFinishCallback), run_first(&R, WriteKernelMinidumpCallback));
	size = lseek(R.fd, 0, SEEK_END);
	ck_assert_int_eq(size, 0); /* the descriptor is never touched */
	run_free(&fdrun);
}
END_TEST

/* direct reads into the file, cut around holes, give the bytes the buffered path gives */
START_TEST(direct_reads_match_buffered_reads)
{
	struct run fdrun;
	uint8_t b[16];

	run_init(&fdrun);
	fdrun.a.dump_type = MiniDumpWithFullMemory | MiniDumpIgnoreInaccessibleMemory;
	fake_add_hole(&fdrun.f, FAKE_HEAP + 0x1000, FAKE_HEAP + 0x3000);
	fake_add_hole(&fdrun.f, FAKE_HEAP_END - 0x1000, FAKE_HEAP_END);
	ck_assert_int_eq(run_dump(&fdrun), S_OK);
	ck_assert_msg(fdrun.valid == 0, "%s", fdrun.md.err);
	ck_assert_uint_gt(fdrun.f.direct_reads, 0);
	ck_assert_uint_eq(fdrun.nfailures, 2);
	ck_assert_uint_eq(fdrun.failures[0].Offset, FAKE_HEAP + 0x1000);
	ck_assert_uint_eq(fdrun.failures[0].Bytes, 0x2000);
	ck_assert_int_eq(md_memory(&fdrun.md, FAKE_HEAP + 0xff0, b, 16, true), 0);
	ck_assert_uint_eq(b[15], fake_byte(FAKE_HEAP + 0xfff));
	ck_assert_int_eq(md_memory(&fdrun.md, FAKE_HEAP + 0x3000, b, 16, true), 0);
	ck_assert_uint_eq(b[0], fake_byte(FAKE_HEAP + 0x3000));
	ck_assert_int_ne(md_memory(&fdrun.md, FAKE_HEAP + 0x1000, b, 1, true), 0);
	ck_assert_int_eq(lseek(fdrun.fd, 0, SEEK_END), (off_t)fdrun.res.bytes);

	R.a.dump_type = fdrun.a.dump_type;
	fake_add_hole(&R.f, FAKE_HEAP + 0x1000, FAKE_HEAP + 0x3000);
	fake_add_hole(&R.f, FAKE_HEAP_END - 0x1000, FAKE_HEAP_END);
	R.hook = hook_redirect;
	dump_ok();
	ck_assert_uint_eq(R.f.direct_reads, 0);
	ck_assert_uint_eq(R.io_len, fdrun.md.len);
	ck_assert_int_eq(memcmp(R.io, fdrun.md.p, R.io_len), 0);
	run_free(&fdrun);
}
END_TEST

static int hook_io_fail(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	int rc = hook_redirect(r, in, out);

	if (in->CallbackType == IoWriteAllCallback && r->count[IoWriteAllCallback] == 5 && r->hook_int < 2) {
		out->Status = r->hook_int ? (HRESULT)0x80070070 : S_OK;
		return r->hook_int ? TRUE : FALSE;
	}
	if (in->CallbackType == IoFinishCallback && r->hook_int == 2)
		out->Status = E_FAIL;
	return rc;
}

START_TEST(io_failures_fail_the_dump)
{
	R.hook = hook_io_fail;
	ck_assert_int_eq(run_dump(&R), E_FAIL);
	ck_assert_int_ne(R.valid, 0);
	run_free(&R);
	run_init(&R);
	R.hook = hook_io_fail;
	R.hook_int = 1;
	ck_assert_int_eq(run_dump(&R), (HRESULT)0x80070070);
	run_free(&R);
	run_init(&R);
	R.hook = hook_io_fail;
	R.hook_int = 2;
	ck_assert_int_eq(run_dump(&R), E_FAIL);
	/* everything was written, then the signature was zeroed */
	ck_assert_uint_gt(R.io_len, 1000);
	ck_assert_uint_eq(R.io[0] | R.io[1] | R.io[2] | R.io[3], 0);
	ck_assert_int_ne(R.valid, 0);
	ck_assert_ptr_nonnull(strstr(R.res.message, "IoFinish"));
}
END_TEST

static int hook_failure(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType == MemoryCallback && r->count[MemoryCallback] == 1) {
		out->MemoryBase = FAKE_HEAP;
		out->MemorySize = 0x4000;
		return TRUE;
	}
	if (in->CallbackType == ReadMemoryFailureCallback && r->hook_int) {
		out->Status = S_OK;
		return TRUE;
	}
	return -1;
}

START_TEST(read_failures)
{
	const MINIDUMP_MEMORY_LIST *ml;
	uint8_t b[16];

	fake_add_hole(&R.f, FAKE_HEAP + 0x1000, FAKE_HEAP + 0x2000);
	R.hook = hook_failure;
	R.hook_int = 1; /* S_OK: skip the run */
	dump_ok();
	ck_assert_uint_eq(R.nfailures, 1);
	ck_assert_uint_eq(R.failures[0].Offset, FAKE_HEAP + 0x1000);
	ck_assert_uint_eq(R.failures[0].Bytes, 0x1000);
	ck_assert_int_eq(R.failures[0].FailureStatus, (HRESULT)KMDUMP_E_PARTIAL_COPY);
	ck_assert_uint_eq(R.res.failed_reads, 1);
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0xff0, b, 16, false), 0);
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0x2000, b, 16, false), 0);
	ck_assert_uint_eq(b[3], fake_byte(FAKE_HEAP + 0x2003));
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP + 0x1000, b, 1, false), 0);
	ml = md_stream(&R.md, MemoryListStream, NULL);
	ck_assert_uint_ge(ml->NumberOfMemoryRanges, 4);

	/* the neutral answer (Status preset S_FALSE) fails the dump with FailureStatus */
	run_free(&R);
	run_init(&R);
	fake_add_hole(&R.f, FAKE_HEAP + 0x1000, FAKE_HEAP + 0x2000);
	R.hook = hook_failure;
	ck_assert_int_eq(run_dump(&R), (HRESULT)KMDUMP_E_PARTIAL_COPY);
	ck_assert_int_ne(R.valid, 0);
	ck_assert_ptr_nonnull(strstr(R.res.message, "MiniDumpIgnoreInaccessibleMemory"));

	/* MiniDumpIgnoreInaccessibleMemory presets S_OK */
	run_free(&R);
	run_init(&R);
	fake_add_hole(&R.f, FAKE_HEAP + 0x1000, FAKE_HEAP + 0x2000);
	R.hook = hook_failure;
	R.a.dump_type = MiniDumpIgnoreInaccessibleMemory;
	dump_ok();
	ck_assert_uint_eq(R.nfailures, 1);
}
END_TEST

START_TEST(stack_read_failure_fails_without_callback)
{
	fake_add_hole(&R.f, FAKE_STACK + 0x9000, FAKE_STACK + 0xA000);
	R.a.dump_type = MiniDumpIgnoreInaccessibleMemory;
	ck_assert_int_eq(run_dump(&R), (HRESULT)KMDUMP_E_PARTIAL_COPY);
	ck_assert_uint_eq(R.count[ReadMemoryFailureCallback], 0);
	ck_assert_ptr_nonnull(strstr(R.res.message, "stack of thread 1001"));
	ck_assert_int_ne(R.valid, 0);
}
END_TEST

static int hook_vm(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	switch (in->CallbackType) {
	case VmStartCallback:
		out->Status = S_FALSE;
		return TRUE;
	case VmQueryCallback:
		if (in->VmQuery.Offset == FAKE_HEAP) {
			out->VmQueryStatus = S_OK;
			memset(&out->VmQueryResult, 0, sizeof(out->VmQueryResult));
			out->VmQueryResult.BaseAddress = FAKE_HEAP;
			out->VmQueryResult.RegionSize = 0x1000;
			out->VmQueryResult.Protect = PAGE_GUARD | PAGE_READONLY;
		}
		return TRUE;
	case VmPreReadCallback:
		if (r->hook_int == 1) {
			memset(in->VmPreRead.Buffer, 0xAB, in->VmPreRead.Size);
			out->VmReadStatus = S_OK;
			out->VmReadBytesCompleted = in->VmPreRead.Size;
		}
		return TRUE;
	case VmPostReadCallback:
		if (r->hook_int == 2 && in->VmPostRead.Size)
			((uint8_t *)in->VmPostRead.Buffer)[0] = 0xCC;
		r->hook_u64 += in->VmPostRead.Completed == in->VmPostRead.Size && in->VmPostRead.Status == S_OK;
		return TRUE;
	}
	return -1;
}

START_TEST(vm_callbacks)
{
	const MINIDUMP_MEMORY_INFO_LIST *h;
	const MINIDUMP_MEMORY_INFO *v;
	const MINIDUMP_THREAD *t;
	size_t i;

	R.hook = hook_vm;
	dump_ok();
	ck_assert_uint_eq(R.count[VmQueryCallback], R.f.nvmas);
	ck_assert_uint_gt(R.count[VmPreReadCallback], 0);
	ck_assert_uint_eq(R.count[VmPreReadCallback], R.count[VmPostReadCallback]);
	ck_assert_uint_eq(R.hook_u64, R.count[VmPostReadCallback]);
	for (i = 0; i < R.n; i++)
		if (R.types[i] == VmPreReadCallback)
			ck_assert_uint_eq(R.types[i + 1], VmPostReadCallback);
	h = md_stream(&R.md, MemoryInfoListStream, NULL);
	v = (const void *)(h + 1);
	ck_assert_uint_eq(v[3].Protect, PAGE_GUARD | PAGE_READONLY);
	ck_assert_uint_eq(v[3].RegionSize, 0x1000);

	/* VmPreRead supplies the bytes: the source is not read */
	run_free(&R);
	run_init(&R);
	R.hook = hook_vm;
	R.hook_int = 1;
	dump_ok();
	ck_assert_uint_eq(R.f.reads, 0);
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(R.md.p[t->Stack.Memory.Rva + 7], 0xAB);

	/* VmPostRead patches the buffer */
	run_free(&R);
	run_init(&R);
	R.hook = hook_vm;
	R.hook_int = 2;
	dump_ok();
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(R.md.p[t->Stack.Memory.Rva], 0xCC);
	ck_assert_uint_eq(R.md.p[t->Stack.Memory.Rva + 1], fake_byte(t->Stack.StartOfMemoryRange + 1));
	ck_assert_uint_gt(R.f.reads, 0);
}
END_TEST

START_TEST(no_vm_callbacks_without_vmstart)
{
	dump_ok();
	ck_assert_uint_eq(R.count[VmQueryCallback] + R.count[VmPreReadCallback] + R.count[VmPostReadCallback], 0);
	ck_assert_uint_eq(R.count[IoWriteAllCallback] + R.count[IoFinishCallback], 0);
	ck_assert_uint_eq(R.count[IncludeVmRegionCallback], 0);
}
END_TEST

static int hook_region(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType != IncludeVmRegionCallback)
		return -1;
	if (out->VmRegion.BaseAddress == FAKE_HEAP) {
		switch (r->hook_int) {
		case 1:
			out->Continue = FALSE;
			return TRUE;
		case 2:
			out->VmRegion.RegionSize = 0x1234;
			return TRUE;
		case 3:
			return FALSE;
		}
		out->VmRegion.BaseAddress += 0x1000;
		out->VmRegion.RegionSize = 0x1000;
	}
	if (out->VmRegion.BaseAddress == FAKE_LIB_BASE)
		out->VmRegion.RegionSize = 0;
	return TRUE;
}

START_TEST(include_vm_region)
{
	uint8_t b[16];
	int k;

	R.a.dump_type = MiniDumpWithFullMemory;
	R.hook = hook_region;
	dump_ok();
	ck_assert_uint_eq(R.count[MemoryCallback], 0);
	ck_assert_uint_eq(R.count[RemoveMemoryCallback], 0);
	ck_assert_uint_eq(R.count[IncludeVmRegionCallback], 7); /* readable mappings */
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP, b, 1, true), 0);
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0x1000, b, 16, true), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP + 0x2000, b, 1, true), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_LIB_BASE, b, 1, true), 0);
	ck_assert_int_eq(md_memory(&R.md, FAKE_EXE_BASE, b, 16, true), 0);
	for (k = 1; k <= 3; k++) {
		run_free(&R);
		run_init(&R);
		R.a.dump_type = MiniDumpWithFullMemory;
		R.hook = hook_region;
		R.hook_int = k;
		ck_assert_int_eq(run_dump(&R), k == 2 ? E_INVALIDARG : E_ABORT);
		ck_assert_int_ne(R.valid, 0);
	}
}
END_TEST

static int hook_kernel(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType != WriteKernelMinidumpCallback)
		return -1;
	out->Handle = (HANDLE)r->hook_u64;
	return TRUE;
}

START_TEST(kernel_minidump)
{
	int kfd = memfd_create("kdump", MFD_CLOEXEC);
	char buf[32] = { 0 };

	R.hook = hook_kernel;
	R.hook_u64 = (uint64_t)kfd;
	dump_ok();
	ck_assert_int_eq(R.f.kdump_fd, kfd);
	ck_assert_int_gt(pread(kfd, buf, sizeof(buf) - 1, 0), 0);
	ck_assert_str_eq(buf, "fake kernel dump");
	ck_assert_uint_eq(R.types[R.n - 1], KernelMinidumpStatusCallback);
	ck_assert_uint_eq(R.types[R.n - 2], WriteKernelMinidumpCallback);
	ck_assert_int_eq(R.statuses[R.nstatus - 1], S_OK);

	/* the module's HRESULT reaches the callback and the result; the user dump stands */
	run_free(&R);
	run_init(&R);
	R.hook = hook_kernel;
	R.hook_u64 = (uint64_t)kfd;
	R.f.kdump_hr = E_ACCESSDENIED;
	dump_ok();
	ck_assert_int_eq(R.statuses[R.nstatus - 1], E_ACCESSDENIED);
	ck_assert_int_eq(R.res.kernel_dump_status, E_ACCESSDENIED);
	close(kfd);

	/* no handle: no kernel dump */
	run_free(&R);
	run_init(&R);
	dump_ok();
	ck_assert_int_eq(R.f.kdump_fd, -1);
	ck_assert_uint_eq(R.count[KernelMinidumpStatusCallback], 0);
}
END_TEST

START_TEST(status_events_arrive_as_kernel_status)
{
	R.f.emit_status = true;
	dump_ok();
	ck_assert_uint_eq(R.nstatus, 2);
	ck_assert_int_eq(R.statuses[0], S_OK);
	ck_assert_int_eq(R.statuses[1], (HRESULT)KMDUMP_S_FALSE);
	/* the capture event comes while capturing: before the first IncludeThread */
	ck_assert_int_lt(run_first(&R, KernelMinidumpStatusCallback), run_first(&R, IncludeThreadCallback));
}
END_TEST

static int hook_secondary(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	if (in->CallbackType == SecondaryFlagsCallback) {
		out->SecondaryFlags = (ULONG)r->hook_int;
		return TRUE;
	}
	if (in->CallbackType == IsProcessSnapshotCallback) {
		out->Status = S_FALSE;
		return TRUE;
	}
	return -1;
}

START_TEST(secondary_flags)
{
	uint32_t size = 0;

	R.hook = hook_secondary;
	R.hook_int = MiniSecondaryWithoutPowerInfo;
	dump_ok();
	md_stream(&R.md, MiscInfoStream, &size);
	ck_assert_uint_eq(size, 24);
	run_free(&R);
	run_init(&R);
	R.hook = hook_secondary;
	R.hook_int = 2;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
	ck_assert_ptr_nonnull(strstr(R.res.message, "SecondaryFlags"));
	ck_assert_uint_eq(R.f.captures, 0); /* refused before the target was touched */
}
END_TEST

START_TEST(no_callback_routine)
{
	struct run with;

	R.a.callback = NULL;
	dump_ok();
	run_init(&with);
	ck_assert_int_eq(run_dump(&with), S_OK);
	ck_assert_uint_eq(R.md.len, with.md.len);
	ck_assert_int_eq(memcmp(R.md.p, with.md.p, R.md.len), 0);
	run_free(&with);
}
END_TEST

static int hook_cancel_late(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	(void)r;
	/* the memory phase starts after the metadata is on disk */
	if (in->CallbackType == CancelCallback && r->count[MemoryCallback] > 0 &&
	    r->count[RemoveMemoryCallback] > 0)
		out->Cancel = TRUE;
	return -1;
}

START_TEST(failed_dump_is_never_whole)
{
	uint32_t sig = 1;

	R.hook = hook_cancel_late;
	ck_assert_int_eq(run_dump(&R), HR_CANCELLED);
	ck_assert_int_gt(lseek(R.fd, 0, SEEK_END), 1000);
	ck_assert_int_eq(pread(R.fd, &sig, 4, 0), 4);
	ck_assert_uint_eq(sig, 0);
}
END_TEST

Suite *callbacks_suite(void)
{
	Suite *s = suite_create("callbacks");
	TCase *tc = tcase_create("callbacks");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, run_setup, run_teardown);
	tcase_add_test(tc, order_is_documented);
	tcase_add_test(tc, every_type_is_delivered);
	tcase_add_test(tc, false_drops_threads_and_modules);
	tcase_add_test(tc, flags_can_only_be_cleared);
	tcase_add_test(tc, cleared_flags_take_effect);
	tcase_add_test(tc, inputs_are_filled);
	tcase_add_test(tc, memory_loops);
	tcase_add_test(tc, cancel_at_every_point);
	tcase_add_test(tc, check_cancel_false_stops_polling);
	tcase_add_test(tc, io_redirect_is_byte_identical);
	tcase_add_test(tc, direct_reads_match_buffered_reads);
	tcase_add_test(tc, io_failures_fail_the_dump);
	tcase_add_test(tc, read_failures);
	tcase_add_test(tc, stack_read_failure_fails_without_callback);
	tcase_add_test(tc, vm_callbacks);
	tcase_add_test(tc, no_vm_callbacks_without_vmstart);
	tcase_add_test(tc, include_vm_region);
	tcase_add_test(tc, kernel_minidump);
	tcase_add_test(tc, status_events_arrive_as_kernel_status);
	tcase_add_test(tc, secondary_flags);
	tcase_add_test(tc, no_callback_routine);
	tcase_add_test(tc, failed_dump_is_never_whole);
	suite_add_tcase(s, tc);
	return s;
}
