// SPDX-License-Identifier: LGPL-2.1-or-later
/* The MDMP writer: what a reader finds in the file (minidump-format.md §4, §7). */
#include <stdlib.h>
#include <string.h>
#include "harness.h"

START_TEST(header_and_directory)
{
	uint32_t i, j;

	R.a.dump_type = MiniDumpWithThreadInfo | MiniDumpWithFullMemoryInfo;
	dump_ok();
	ck_assert_uint_eq(R.md.h->Signature, MINIDUMP_SIGNATURE);
	ck_assert_uint_eq(R.md.h->Version & 0xFFFF, 0xA793);
	ck_assert_uint_eq(R.md.h->StreamDirectoryRva, 32);
	ck_assert_uint_eq(R.md.h->TimeDateStamp, TEST_NOW);
	ck_assert_uint_eq(R.md.h->Flags, R.a.dump_type);
	for (i = 0; i < R.md.h->NumberOfStreams; i++) {
		ck_assert_uint_ne(R.md.dir[i].StreamType, 0);
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(R.md.dir[i].StreamType, R.md.dir[j].StreamType);
	}
	ck_assert_uint_eq(R.res.bytes, R.md.len);
}
END_TEST

START_TEST(system_info)
{
	const MINIDUMP_SYSTEM_INFO *si;
	uint32_t size;
	const char *csd;

	dump_ok();
	si = md_stream(&R.md, SystemInfoStream, &size);
	ck_assert_ptr_nonnull(si);
	ck_assert_uint_eq(si->ProcessorArchitecture, PROCESSOR_ARCHITECTURE_AMD64);
	ck_assert_uint_eq(si->PlatformId, 0x8201);
	ck_assert_uint_ge(si->NumberOfProcessors, 1);
	ck_assert_uint_ne(si->Cpu.X86CpuInfo.VendorId[0], 0);
	csd = md_string(&R.md, si->CSDVersionRva);
	ck_assert_ptr_nonnull(csd);
	ck_assert_msg(strncmp(csd, "Linux ", 6) == 0 && strstr(csd, "x86_64"), "CSD '%s'", csd);
}
END_TEST

START_TEST(misc_info_has_pid_and_times)
{
	const MINIDUMP_MISC_INFO *mi = NULL;
	uint32_t size;

	dump_ok();
	mi = md_stream(&R.md, MiscInfoStream, &size);
	ck_assert_ptr_nonnull(mi);
	ck_assert_uint_eq(size, 44);
	ck_assert(mi->Flags1 & MINIDUMP_MISC1_PROCESS_ID);
	ck_assert(mi->Flags1 & MINIDUMP_MISC1_PROCESS_TIMES);
	ck_assert_uint_eq(mi->ProcessId, FAKE_PID);
	ck_assert_uint_eq(mi->ProcessCreateTime, 1700000000u);
	ck_assert_uint_eq(mi->ProcessUserTime, 3);
	ck_assert_uint_eq(mi->ProcessKernelTime, 1);
}
END_TEST

START_TEST(thread_contexts)
{
	const MINIDUMP_THREAD *t;
	const CONTEXT *c;

	R.f.threads[1].facts &= ~KMD_SRC_T_DEBUGREGS;
	dump_ok();
	t = md_thread(&R.md, FAKE_TID0);
	ck_assert_ptr_nonnull(t);
	c = md_context(&R.md, t->ThreadContext);
	ck_assert_uint_eq(t->ThreadContext.DataSize, 1248);
	ck_assert_uint_eq(c->ContextFlags, 0x0010001F);
	ck_assert_uint_eq(c->Rip, FAKE_EXE_TEXT + 0x100);
	ck_assert_uint_eq(c->Rsp, FAKE_STACK_END - 0x1ff0);
	ck_assert_uint_eq(c->Rax, 0x1111000000000000ull | FAKE_TID0);
	ck_assert_uint_eq(c->R15, 0xF15);
	ck_assert_uint_eq(c->SegCs, 0x33);
	ck_assert_uint_eq(c->EFlags, 0x246);
	ck_assert_uint_eq(c->Dr0, 0xD0);
	ck_assert_uint_eq(c->Dr7, 0xD7);
	ck_assert_int_eq(memcmp(&c->FltSave, R.f.threads[0].fxsave, 512), 0);
	ck_assert_uint_eq(t->Teb, FAKE_HEAP + 0x800 + FAKE_TID0);
	/* the 16 bytes after the CONTEXT are zero (lldb reads 1248) */
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(R.md.p[t->ThreadContext.Rva + 1232 + i], 0);
	c = md_context(&R.md, md_thread(&R.md, FAKE_TID1)->ThreadContext);
	ck_assert_uint_eq(c->ContextFlags, 0x0010000F);
}
END_TEST

START_TEST(stacks_in_memory_list)
{
	const MINIDUMP_THREAD *t;
	uint8_t buf[64];
	uint64_t sp = R.f.threads[1].regs.rsp;
	uint32_t i;

	dump_ok();
	/* main thread: sp & ~4095 up to the end of its mapping (less than 32 KiB away) */
	t = md_thread(&R.md, FAKE_TID0);
	ck_assert_uint_eq(t->Stack.StartOfMemoryRange, (FAKE_STACK_END - 0x1ff0) & ~0xfffull);
	ck_assert_uint_eq(t->Stack.StartOfMemoryRange + t->Stack.Memory.DataSize, FAKE_STACK_END);
	/* worker: 32 KiB from sp & ~4095 */
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(t->Stack.StartOfMemoryRange, sp & ~0xfffull);
	ck_assert_uint_eq(t->Stack.Memory.DataSize, 32 * 1024);
	ck_assert_int_eq(md_memory(&R.md, sp, buf, sizeof(buf), false), 0);
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], fake_byte(sp + i));
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(R.md.p[t->Stack.Memory.Rva + i], fake_byte(t->Stack.StartOfMemoryRange + i));
	ck_assert_uint_eq(R.res.threads, 2);
	ck_assert_uint_eq(R.f.batches, 1); /* both stacks in one request */
}
END_TEST

START_TEST(stack_limit_option)
{
	R.a.stack_limit = 8192;
	dump_ok();
	ck_assert_uint_eq(md_thread(&R.md, FAKE_TID1)->Stack.Memory.DataSize, 8192);
}
END_TEST

START_TEST(instruction_window)
{
	uint8_t b[16];
	uint64_t ip = FAKE_EXE_TEXT + 0x100;

	dump_ok();
	ck_assert_int_eq(md_memory(&R.md, ip - 128, b, sizeof(b), false), 0);
	ck_assert_int_eq(md_memory(&R.md, ip + 100, b, sizeof(b), false), 0);
	ck_assert_uint_eq(b[0], fake_byte(ip + 100));
}
END_TEST

START_TEST(module_list)
{
	const MINIDUMP_MODULE_LIST *l;
	const MINIDUMP_MODULE *m;
	uint32_t size, sig;
	const uint8_t *cv;

	dump_ok();
	l = md_stream(&R.md, ModuleListStream, &size);
	ck_assert_uint_eq(l->NumberOfModules, 2);
	ck_assert_uint_eq(size, 4 + 2 * 108);
	m = &l->Modules[1];
	ck_assert_uint_eq(m->BaseOfImage, FAKE_LIB_BASE);
	ck_assert_uint_eq(m->SizeOfImage, 0x3000);
	ck_assert_str_eq(md_string(&R.md, m->ModuleNameRva), "/lib/libfäke.so");
	ck_assert_uint_eq(m->CvRecord.DataSize, 24);
	cv = R.md.p + m->CvRecord.Rva;
	memcpy(&sig, cv, 4);
	ck_assert_uint_eq(sig, 0x4270454C);
	ck_assert_int_eq(memcmp(cv, "LEpB", 4), 0);
	ck_assert_int_eq(memcmp(cv + 4, R.f.modules[1].build_id, 20), 0);
	ck_assert_str_eq(md_string(&R.md, l->Modules[0].ModuleNameRva), "/usr/bin/fake");
	ck_assert_uint_eq(R.res.modules, 2);
}
END_TEST

START_TEST(module_without_build_id)
{
	const MINIDUMP_MODULE_LIST *l;

	R.f.modules[0].build_id_len = 0;
	dump_ok();
	l = md_stream(&R.md, ModuleListStream, NULL);
	ck_assert_uint_eq(l->Modules[0].CvRecord.DataSize, 0);
	ck_assert_uint_eq(l->Modules[1].CvRecord.DataSize, 24);
}
END_TEST

START_TEST(filter_module_paths)
{
	const MINIDUMP_MODULE_LIST *l;

	R.a.dump_type = MiniDumpFilterModulePaths;
	dump_ok();
	l = md_stream(&R.md, ModuleListStream, NULL);
	ck_assert_str_eq(md_string(&R.md, l->Modules[0].ModuleNameRva), "fake");
	ck_assert_str_eq(md_string(&R.md, l->Modules[1].ModuleNameRva), "libfäke.so");
}
END_TEST

START_TEST(memory_info_list)
{
	const MINIDUMP_MEMORY_INFO_LIST *h;
	const MINIDUMP_MEMORY_INFO *v;
	uint32_t size;

	dump_ok();
	h = md_stream(&R.md, MemoryInfoListStream, &size);
	ck_assert_uint_eq(h->NumberOfEntries, R.f.nvmas);
	v = (const void *)(h + 1);
	ck_assert_uint_eq(v[0].BaseAddress, FAKE_EXE_BASE);
	ck_assert_uint_eq(v[0].Protect, PAGE_READONLY);
	ck_assert_uint_eq(v[0].Type, MEM_IMAGE);
	ck_assert_uint_eq(v[1].Protect, PAGE_EXECUTE_READ);
	ck_assert_uint_eq(v[1].AllocationBase, FAKE_EXE_BASE);
	ck_assert_uint_eq(v[2].Protect, PAGE_READWRITE);
	ck_assert_uint_eq(v[3].Type, MEM_PRIVATE);
	ck_assert_uint_eq(v[3].State, MEM_COMMIT);
	ck_assert_uint_eq(v[7].Protect, PAGE_NOACCESS);
	ck_assert_uint_eq(v[8].Type, MEM_MAPPED);
}
END_TEST

START_TEST(full_memory_info_lists_gaps)
{
	const MINIDUMP_MEMORY_INFO_LIST *h;
	const MINIDUMP_MEMORY_INFO *v;
	uint64_t i, free_entries = 0;

	R.a.dump_type = MiniDumpWithFullMemoryInfo;
	dump_ok();
	h = md_stream(&R.md, MemoryInfoListStream, NULL);
	v = (const void *)(h + 1);
	for (i = 0; i < h->NumberOfEntries; i++) {
		if (v[i].State == MEM_FREE) {
			free_entries++;
			ck_assert_uint_eq(v[i].BaseAddress, v[i - 1].BaseAddress + v[i - 1].RegionSize);
			ck_assert_uint_eq(v[i].BaseAddress + v[i].RegionSize, v[i + 1].BaseAddress);
		}
	}
	ck_assert_uint_eq(free_entries, 4); /* between exe/heap, heap/lib, lib/stack, stack/guard */
}
END_TEST

START_TEST(exception_given)
{
	struct kmdump_exception x = { FAKE_TID1, 11, 1, 0xdeadbeef, NULL };
	const MINIDUMP_EXCEPTION_STREAM *s;
	CONTEXT ctx __attribute__((aligned(16)));

	memset(&ctx, 0, sizeof(ctx));
	ctx.ContextFlags = CONTEXT_FULL;
	ctx.Rip = 0x1234;
	x.context = &ctx;
	R.a.exception = &x;
	dump_ok();
	s = md_stream(&R.md, ExceptionStream, NULL);
	ck_assert_uint_eq(s->ThreadId, FAKE_TID1);
	ck_assert_uint_eq(s->ExceptionRecord.ExceptionCode, 11);
	ck_assert_uint_eq(s->ExceptionRecord.ExceptionFlags, 1);
	ck_assert_uint_eq(s->ExceptionRecord.ExceptionAddress, 0xdeadbeef);
	ck_assert_uint_eq(md_context(&R.md, s->ThreadContext)->Rip, 0x1234);
	/* without a context, the thread's own registers */
	x.context = NULL;
	run_free(&R);
	run_init(&R);
	R.a.exception = &x;
	dump_ok();
	s = md_stream(&R.md, ExceptionStream, NULL);
	ck_assert_uint_eq(md_context(&R.md, s->ThreadContext)->Rip, FAKE_LIB_BASE + 0x100);
}
END_TEST

/* a crash handler runs on its alternate stack: the stack that matters is the fault's */
START_TEST(exception_stack_from_the_exception_context)
{
	struct kmdump_exception x = { FAKE_TID1, 11, 1, 0x10, NULL };
	const MINIDUMP_EXCEPTION_STREAM *s;
	const MINIDUMP_THREAD *t;
	CONTEXT ctx __attribute__((aligned(16)));
	uint8_t b[16];

	memset(&ctx, 0, sizeof(ctx));
	ctx.ContextFlags = CONTEXT_FULL;
	ctx.Rsp = FAKE_STACK + 0x4321; /* at the fault */
	ctx.Rip = FAKE_LIB_BASE + 0x80;
	x.context = &ctx;
	R.f.threads[1].regs.rsp = FAKE_HEAP + 0x20100; /* the handler, on its altstack */
	R.a.exception = &x;
	dump_ok();
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(t->Stack.StartOfMemoryRange, FAKE_STACK + 0x4000);
	ck_assert_uint_eq(t->Stack.Memory.DataSize, 32 * 1024);
	ck_assert_uint_eq(md_context(&R.md, t->ThreadContext)->Rsp, FAKE_HEAP + 0x20100);
	s = md_stream(&R.md, ExceptionStream, NULL);
	ck_assert_uint_eq(md_context(&R.md, s->ThreadContext)->Rsp, FAKE_STACK + 0x4321);
	/* the handler's stack is still in the dump */
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0x20100, b, 16, false), 0);
	ck_assert_uint_eq(b[0], fake_byte(FAKE_HEAP + 0x20100));
}
END_TEST

START_TEST(exception_dump_requested)
{
	const MINIDUMP_EXCEPTION_STREAM *s;

	dump_ok();
	s = md_stream(&R.md, ExceptionStream, NULL);
	ck_assert_uint_eq(s->ExceptionRecord.ExceptionCode, 0xFFFFFFFFu);
	ck_assert_uint_eq(s->ThreadId, FAKE_TID0);
	ck_assert_uint_eq(md_context(&R.md, s->ThreadContext)->Rip, FAKE_EXE_TEXT + 0x100);
}
END_TEST

START_TEST(linux_streams)
{
	uint32_t size;
	const char *p;

	dump_ok();
	p = md_stream(&R.md, KMDUMP_STREAM_LINUX_PROC_STATUS, &size);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(memcmp(p, "Name:\tfake\nPid:\t1000\n", 21), 0);
	p = md_stream(&R.md, KMDUMP_STREAM_LINUX_CMD_LINE, &size);
	ck_assert_uint_eq(size, 12);
	ck_assert_int_eq(memcmp(p, "fake\0--flag", 12), 0);
	ck_assert_ptr_nonnull(md_stream(&R.md, KMDUMP_STREAM_LINUX_CPU_INFO, NULL));
	ck_assert_ptr_nonnull(md_stream(&R.md, KMDUMP_STREAM_LINUX_LSB_RELEASE, NULL));
	p = md_stream(&R.md, KMDUMP_STREAM_LINUX_AUXV, &size);
	ck_assert_uint_eq(size, 16);
	ck_assert_ptr_null(md_stream(&R.md, KMDUMP_STREAM_LINUX_ENVIRON, NULL));
	p = md_stream(&R.md, KMDUMP_STREAM_LINUX_MAPS, &size);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(memmem(p, size, "7f0000000000-7f0000002000 r-xp", 30) != NULL, "maps: %.*s", (int)size, p);
	ck_assert(memmem(p, size, "/lib/libfäke.so\n", strlen("/lib/libfäke.so\n")) != NULL);
	ck_assert(memmem(p, size, "[stack]\n", 8) != NULL);
	/* a file the source cannot give is left out, not written empty */
	run_free(&R);
	run_init(&R);
	R.f.files[KMD_FILE_LSB_RELEASE] = NULL;
	dump_ok();
	ck_assert_ptr_null(md_stream(&R.md, KMDUMP_STREAM_LINUX_LSB_RELEASE, NULL));
}
END_TEST

START_TEST(environment_only_when_asked)
{
	uint32_t size;
	const char *p;

	R.a.flags = KMDUMP_FLAG_ENVIRONMENT;
	dump_ok();
	ck_assert(R.f.capture_flags & KMD_CAPTURE_ENVIRON);
	p = md_stream(&R.md, KMDUMP_STREAM_LINUX_ENVIRON, &size);
	ck_assert_uint_eq(size, 10);
	ck_assert_int_eq(memcmp(p, "HOME=/root", 10), 0);
}
END_TEST

START_TEST(without_optional_data)
{
	uint8_t b;

	R.a.dump_type = MiniDumpWithoutOptionalData;
	R.a.flags = KMDUMP_FLAG_ENVIRONMENT;
	dump_ok();
	ck_assert_ptr_null(md_stream(&R.md, KMDUMP_STREAM_LINUX_CMD_LINE, NULL));
	ck_assert_ptr_null(md_stream(&R.md, KMDUMP_STREAM_LINUX_ENVIRON, NULL));
	ck_assert_ptr_null(md_stream(&R.md, KMDUMP_STREAM_LINUX_AUXV, NULL));
	ck_assert_int_ne(md_memory(&R.md, FAKE_EXE_TEXT + 0x100, &b, 1, false), 0);
}
END_TEST

START_TEST(thread_names)
{
	const MINIDUMP_THREAD_NAME_LIST *l;

	dump_ok();
	l = md_stream(&R.md, ThreadNamesStream, NULL);
	ck_assert_uint_eq(l->NumberOfThreadNames, 2);
	ck_assert_uint_eq(l->ThreadNames[1].ThreadId, FAKE_TID1);
	ck_assert_str_eq(md_string(&R.md, (uint32_t)l->ThreadNames[1].RvaOfThreadName), "fake-worker");
}
END_TEST

START_TEST(kernel_stacks_stream)
{
	const KMDUMP_TASK_LIST *h;
	const KMDUMP_TASK_ENTRY *v;
	const char *frames;

	dump_ok();
	ck_assert(R.f.capture_flags & KMD_CAPTURE_KSTACKS);
	h = md_stream(&R.md, KMDUMP_STREAM_THREAD_KSTACKS, NULL);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->NumberOfEntries, 2);
	v = (const void *)(h + 1);
	ck_assert_uint_eq(v[0].Pid, FAKE_TID0);
	ck_assert_uint_eq(v[0].Tgid, FAKE_PID);
	ck_assert_uint_eq(v[0].PPid, 1);
	ck_assert_uint_eq(v[0].FrameCount, 3);
	ck_assert_uint_eq(v[0].State, 2);
	ck_assert_uint_eq(v[0].Nvcsw, 7);
	ck_assert_uint_eq(v[0].UtimeNs, 2500000000ull);
	ck_assert_str_eq(v[1].Comm, "fake-worker");
	frames = (const char *)R.md.p + v[0].Frames.Rva;
	ck_assert_str_eq(frames, "futex_wait_queue+0x60/0x90");
	ck_assert_str_eq(frames + strlen(frames) + 1, "futex_wait+0x16b/0x270");
	ck_assert_uint_eq(v[1].Frames.DataSize, 0);
}
END_TEST

START_TEST(without_auxiliary_state)
{
	R.a.dump_type = MiniDumpWithoutAuxiliaryState;
	dump_ok();
	ck_assert(!(R.f.capture_flags & KMD_CAPTURE_KSTACKS));
	ck_assert_ptr_null(md_stream(&R.md, KMDUMP_STREAM_THREAD_KSTACKS, NULL));
}
END_TEST

START_TEST(full_auxiliary_state_needs_kernel_stacks)
{
	R.a.dump_type = MiniDumpWithFullAuxiliaryState;
	R.f.threads[1].facts |= KMD_SRC_T_KSTACK_REFUSED;
	ck_assert_int_eq(run_dump(&R), E_ACCESSDENIED);
	ck_assert_ptr_nonnull(strstr(R.res.message, "CAP_SYS_ADMIN"));
	ck_assert_int_ne(R.valid, 0);
}
END_TEST

START_TEST(thread_info_list)
{
	const MINIDUMP_THREAD_INFO_LIST *h;
	const MINIDUMP_THREAD_INFO *v;

	R.a.dump_type = MiniDumpWithThreadInfo;
	R.f.threads[1].exiting = true;
	dump_ok();
	h = md_stream(&R.md, ThreadInfoListStream, NULL);
	ck_assert_uint_eq(h->NumberOfEntries, 2);
	v = (const void *)(h + 1);
	ck_assert_uint_eq(v[0].UserTime, 25000000);
	ck_assert_uint_eq(v[0].KernelTime, 15000000);
	ck_assert_uint_eq(v[0].CreateTime, 1700000000ull * 10000000ull + 116444736000000000ull);
	ck_assert(v[1].DumpFlags & MINIDUMP_THREAD_INFO_EXITED_THREAD);
}
END_TEST

START_TEST(unloaded_modules)
{
	const MINIDUMP_UNLOADED_MODULE_LIST *h;
	uint32_t size;

	R.a.dump_type = MiniDumpWithUnloadedModules;
	dump_ok();
	h = md_stream(&R.md, UnloadedModuleListStream, &size);
	ck_assert_uint_eq(size, 12);
	ck_assert_uint_eq(h->SizeOfEntry, 24);
	ck_assert_uint_eq(h->NumberOfEntries, 0);
}
END_TEST

START_TEST(full_memory)
{
	const MINIDUMP_MEMORY64_LIST *l;
	uint8_t *buf = malloc(0x40000);
	uint64_t a;
	size_t i;

	R.a.dump_type = MiniDumpWithFullMemory;
	dump_ok();
	l = md_stream(&R.md, Memory64ListStream, NULL);
	ck_assert_ptr_nonnull(l);
	/* every readable mapping, byte-exact, the stacks too */
	for (i = 0; i < R.f.nvmas; i++) {
		const struct kmd_src_vma *v = &R.f.vmas[i];
		bool want = (v->flags & KMD_SRC_V_READ) && !(v->flags & KMD_SRC_V_NOREAD);

		ck_assert_int_eq(md_memory(&R.md, v->start, buf, 1, true), want ? 0 : -1);
		if (!want)
			continue;
		ck_assert_int_eq(md_memory(&R.md, v->start, buf, v->end - v->start, true), 0);
		for (a = v->start; a < v->end; a += 97)
			ck_assert_uint_eq(buf[a - v->start], fake_byte(a));
	}
	ck_assert_uint_gt(R.f.direct_reads, 0); /* the bytes bypassed this process */
	/* the data is the last thing in the file */
	ck_assert_uint_eq(l->BaseRva + R.res.memory_bytes - 0 >= R.md.len - 0x40000, 1);
	/* stacks are still in the MemoryList for Breakpad */
	ck_assert_int_eq(md_memory(&R.md, R.f.threads[1].regs.rsp, buf, 8, false), 0);
	free(buf);
}
END_TEST

START_TEST(user_streams)
{
	static const char a[] = "first", b[] = "second";
	struct kmdump_user_stream s[2] = { { 0x10001, sizeof(a), a }, { 0x7A7A0001, sizeof(b), b } };
	uint32_t size;

	R.a.user_streams = s;
	R.a.user_stream_count = 2;
	dump_ok();
	ck_assert_str_eq(md_stream(&R.md, 0x10001, &size), "first");
	ck_assert_uint_eq(size, sizeof(a));
	ck_assert_str_eq(md_stream(&R.md, 0x7A7A0001, NULL), "second");
}
END_TEST

START_TEST(process_thread_data)
{
	uint64_t teb = FAKE_HEAP + 0x800 + FAKE_TID1;
	uint8_t b[16];

	R.a.dump_type = MiniDumpWithProcessThreadData;
	dump_ok();
	/* fs_base -/+ 4 KiB, clipped to its mapping (the heap starts 0xbe9 below it) */
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP, b, sizeof(b), false), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP - 1, b, 1, false), 0);
	ck_assert_int_eq(md_memory(&R.md, teb + 4000, b, sizeof(b), false), 0);
	ck_assert_int_ne(md_memory(&R.md, teb + 4096, b, 1, false), 0);
	ck_assert_uint_eq(R.count[ThreadExCallback], 2);
	ck_assert_uint_eq(R.count[ThreadCallback], 0);
}
END_TEST

START_TEST(data_and_code_segments)
{
	uint8_t b[8];

	R.a.dump_type = MiniDumpWithDataSegs;
	dump_ok();
	ck_assert_int_eq(md_memory(&R.md, FAKE_EXE_DATA, b, 8, false), 0);
	ck_assert_int_eq(md_memory(&R.md, FAKE_LIB_BASE + 0x2ff8, b, 8, false), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_EXE_TEXT + 0x1000, b, 8, false), 0);
	run_free(&R);
	run_init(&R);
	R.a.dump_type = MiniDumpWithCodeSegs | MiniDumpWithModuleHeaders;
	dump_ok();
	ck_assert_int_eq(md_memory(&R.md, FAKE_EXE_TEXT + 0x1000, b, 8, false), 0);
	ck_assert_int_eq(md_memory(&R.md, FAKE_EXE_BASE, b, 8, false), 0);
	ck_assert_int_eq(md_memory(&R.md, FAKE_LIB_BASE, b, 8, false), 0);
	ck_assert_int_ne(md_memory(&R.md, FAKE_EXE_DATA, b, 8, false), 0);
}
END_TEST

START_TEST(private_memory)
{
	uint8_t b[8];

	R.a.dump_type = MiniDumpWithPrivateReadWriteMemory;
	dump_ok();
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0x3fff8, b, 8, false), 0);
	ck_assert_uint_eq(b[0], fake_byte(FAKE_HEAP + 0x3fff8));
	run_free(&R);
	run_init(&R);
	R.a.dump_type = MiniDumpWithPrivateWriteCopyMemory;
	dump_ok();
	ck_assert_int_ne(md_memory(&R.md, FAKE_HEAP + 0x100, b, 8, false), 0);
	ck_assert_int_eq(md_memory(&R.md, FAKE_EXE_DATA + 8, b, 8, false), 0);
}
END_TEST

START_TEST(indirect_memory_and_filter)
{
	uint64_t sp = R.f.threads[1].regs.rsp & ~7ull, w = 0;
	uint8_t b[8];

	fake_poke64(&R.f, sp + 8, FAKE_HEAP + 0x2000);   /* a heap pointer */
	fake_poke64(&R.f, sp + 16, FAKE_LIB_BASE + 0x42); /* a return address */
	R.a.dump_type = MiniDumpWithIndirectlyReferencedMemory | MiniDumpFilterMemory;
	dump_ok();
	ck_assert_int_eq(md_memory(&R.md, FAKE_HEAP + 0x2000 - 100, b, 8, false), 0);
	ck_assert_uint_eq(b[0], fake_byte(FAKE_HEAP + 0x2000 - 100));
	/* FilterMemory keeps the return address, zeroes other words */
	ck_assert_int_eq(md_memory(&R.md, sp + 16, &w, 8, false), 0);
	ck_assert_uint_eq(w, FAKE_LIB_BASE + 0x42);
	ck_assert_int_eq(md_memory(&R.md, sp + 8, &w, 8, false), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_int_eq(md_memory(&R.md, sp + 24, &w, 8, false), 0);
	ck_assert_uint_eq(w, 0);
}
END_TEST

START_TEST(scan_memory_drops_unreferenced_modules)
{
	const MINIDUMP_MODULE_LIST *l;

	/* nothing on the stacks points into the executable; thread 1's IP is in the lib */
	R.f.threads[0].regs.rip = FAKE_LIB_BASE + 0x10;
	R.a.dump_type = MiniDumpScanMemory;
	dump_ok();
	l = md_stream(&R.md, ModuleListStream, NULL);
	ck_assert_uint_eq(l->NumberOfModules, 1);
	ck_assert_uint_eq(l->Modules[0].BaseOfImage, FAKE_LIB_BASE);
}
END_TEST

START_TEST(stack_pointer_in_unreadable_mapping)
{
	const MINIDUMP_THREAD *t;

	R.f.threads[1].regs.rsp = FAKE_GUARD + 0x1800; /* the device mapping: never read */
	dump_ok();
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_uint_eq(t->Stack.Memory.DataSize, 0);
	ck_assert_uint_eq(md_context(&R.md, t->ThreadContext)->Rsp, FAKE_GUARD + 0x1800);
}
END_TEST

START_TEST(no_registers_thread)
{
	const MINIDUMP_THREAD *t;

	R.f.threads[1].facts = 0;
	dump_ok();
	t = md_thread(&R.md, FAKE_TID1);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(md_context(&R.md, t->ThreadContext)->ContextFlags, CONTEXT_AMD64);
	ck_assert_uint_eq(t->Stack.Memory.DataSize, 0);
}
END_TEST

Suite *writer_suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("writer");

	/* a bound for a hung test on a loaded machine, not a speed check */
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, run_setup, run_teardown);
	tcase_add_test(tc, header_and_directory);
	tcase_add_test(tc, system_info);
	tcase_add_test(tc, misc_info_has_pid_and_times);
	tcase_add_test(tc, thread_contexts);
	tcase_add_test(tc, stacks_in_memory_list);
	tcase_add_test(tc, stack_limit_option);
	tcase_add_test(tc, instruction_window);
	tcase_add_test(tc, module_list);
	tcase_add_test(tc, module_without_build_id);
	tcase_add_test(tc, filter_module_paths);
	tcase_add_test(tc, memory_info_list);
	tcase_add_test(tc, full_memory_info_lists_gaps);
	tcase_add_test(tc, exception_given);
	tcase_add_test(tc, exception_stack_from_the_exception_context);
	tcase_add_test(tc, exception_dump_requested);
	tcase_add_test(tc, linux_streams);
	tcase_add_test(tc, environment_only_when_asked);
	tcase_add_test(tc, without_optional_data);
	tcase_add_test(tc, thread_names);
	tcase_add_test(tc, kernel_stacks_stream);
	tcase_add_test(tc, without_auxiliary_state);
	tcase_add_test(tc, full_auxiliary_state_needs_kernel_stacks);
	tcase_add_test(tc, thread_info_list);
	tcase_add_test(tc, unloaded_modules);
	tcase_add_test(tc, full_memory);
	tcase_add_test(tc, user_streams);
	tcase_add_test(tc, process_thread_data);
	tcase_add_test(tc, data_and_code_segments);
	tcase_add_test(tc, private_memory);
	tcase_add_test(tc, indirect_memory_and_filter);
	tcase_add_test(tc, scan_memory_drops_unreferenced_modules);
	tcase_add_test(tc, stack_pointer_in_unreadable_mapping);
	tcase_add_test(tc, no_registers_thread);
	suite_add_tcase(s, tc);
	return s;
}
