// SPDX-License-Identifier: LGPL-2.1-or-later
/* HRESULT messages, range sets, UTF-16 strings and contexts from signal handlers. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include "harness.h"
#include "proc_status.h"

START_TEST(hresult_messages)
{
	ck_assert_str_eq(kmdump_hresult_name(E_INVALIDARG), "E_INVALIDARG");
	ck_assert_str_eq(kmdump_hresult_name((HRESULT)0x800704C7), "HRESULT_FROM_WIN32(ERROR_CANCELLED)");
	ck_assert_ptr_nonnull(strstr(kmdump_strerror((HRESULT)0x800704C7), "cancelled"));
	ck_assert_ptr_nonnull(strstr(kmdump_strerror(E_ACCESSDENIED), "Access denied"));
	ck_assert_ptr_null(kmdump_hresult_name((HRESULT)0x8BADF00D));
	ck_assert_ptr_nonnull(strstr(kmdump_strerror((HRESULT)0x8BADF00D), "0x8badf00d"));
	/* errnos outside the table stay readable */
	ck_assert_ptr_nonnull(strstr(kmdump_strerror((HRESULT)KMDUMP_HRESULT_FROM_ERRNO(EXDEV)), "cross-device"));
}
END_TEST

START_TEST(type_names)
{
	ck_assert_str_eq(kmdump_callback_type_name(VmPostReadCallback), "VmPostReadCallback");
	ck_assert_str_eq(kmdump_callback_type_name(ModuleCallback), "ModuleCallback");
	ck_assert_ptr_null(kmdump_callback_type_name(21));
	ck_assert_str_eq(kmdump_dump_type_name(MiniDumpWithFullMemory), "MiniDumpWithFullMemory");
	ck_assert_str_eq(kmdump_dump_type_name(0), "MiniDumpNormal");
	ck_assert_ptr_null(kmdump_dump_type_name(0x80000000u));
	ck_assert_ptr_null(kmdump_dump_type_refusal(MiniDumpWithFullMemory));
	ck_assert_ptr_nonnull(strstr(kmdump_dump_type_refusal(MiniDumpWithHandleData), "/proc/<pid>/fd"));
	ck_assert_ptr_nonnull(kmdump_dump_type_refusal(0x80000000u));
}
END_TEST

START_TEST(range_sets)
{
	struct kmd_ranges r = { 0 };

	ck_assert_int_eq(kmd_ranges_add(&r, 100, 200), 0);
	ck_assert_int_eq(kmd_ranges_add(&r, 300, 400), 0);
	ck_assert_int_eq(kmd_ranges_add(&r, 150, 310), 0); /* bridges both */
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.v[0].start, 100);
	ck_assert_uint_eq(r.v[0].end, 400);
	ck_assert_int_eq(kmd_ranges_add(&r, 400, 500), 0); /* touching merges */
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(kmd_ranges_add(&r, 10, 20), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.v[0].start, 10);
	ck_assert_int_eq(kmd_ranges_remove(&r, 200, 300), 0); /* split */
	ck_assert_uint_eq(r.n, 3);
	ck_assert_uint_eq(r.v[1].end, 200);
	ck_assert_uint_eq(r.v[2].start, 300);
	ck_assert_int_eq(kmd_ranges_remove(&r, 0, 150), 0); /* whole + trim */
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.v[0].start, 150);
	ck_assert(kmd_ranges_contains(&r, 199));
	ck_assert(!kmd_ranges_contains(&r, 200));
	ck_assert_int_eq(kmd_ranges_remove(&r, 0, 1000), 0);
	ck_assert_uint_eq(r.n, 0);
	kmd_ranges_free(&r);
}
END_TEST

START_TEST(utf16_strings)
{
	uint16_t *w;
	uint32_t n;

	ck_assert_int_eq(kmd_utf8_to_utf16("a\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80", &w, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(w[0], 'a');
	ck_assert_uint_eq(w[1], 0xE4);
	ck_assert_uint_eq(w[2], 0x20AC);
	ck_assert_uint_eq(w[3], 0xD83D);
	ck_assert_uint_eq(w[4], 0xDE00);
	ck_assert_uint_eq(w[5], 0);
	free(w);
	ck_assert_int_eq(kmd_utf8_to_utf16("x\xff\xc3", &w, &n), 0); /* invalid bytes: U+FFFD */
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(w[1], 0xFFFD);
	free(w);
}
END_TEST

static CONTEXT handler_ctx __attribute__((aligned(16)));
static volatile uint64_t handler_rip;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	kmdump_context_from_ucontext(&handler_ctx, uc);
	handler_rip = (uint64_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

START_TEST(context_from_signal_handler)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, &old);
	raise(SIGUSR1);
	sigaction(SIGUSR1, &old, NULL);
	ck_assert_uint_eq(handler_ctx.ContextFlags & 0xFFFFFF00u, CONTEXT_AMD64);
	ck_assert(handler_ctx.ContextFlags & 0x8); /* FLOATING_POINT: the FXSAVE area */
	ck_assert_uint_eq(handler_ctx.Rip, handler_rip);
	ck_assert_uint_ne(handler_ctx.Rsp, 0);
	ck_assert_uint_eq(handler_ctx.SegCs, 0x33);
	ck_assert_uint_ne(handler_ctx.FltSave.MxCsr, 0);
}
END_TEST

/* LinuxProcStatus: the module's facts in /proc/<pid>/status's own format */
START_TEST(proc_status_from_facts)
{
	struct kmd_tr_process p = {
		.pid = 4242, .tgid = 4242, .ppid = 1, .tracer_pid = 7, .threads = 3,
		.comm = "spinner", .umask = 022, .state = KMDUMP_THREAD_STATE_STOPPED,
		.uid = { 1000, 1000, 1000, 1000 }, .gid = { 100, 100, 100, 100 },
		.vm_peak = 8192 * 1024, .vm_size = 4096 * 1024, .vm_hwm = 2048 * 1024,
		.vm_rss = 1024 * 1024, .vm_swap = 4096,
		.sig_pending = 0x100, .sig_shared_pending = 0, .sig_blocked = 0x4000,
	};
	struct kmd_blob b = { 0 };
	char *text;

	ck_assert_int_eq(kmd_proc_status_text(&p, &b), S_OK);
	text = strndup(b.data, b.len);
	ck_assert_ptr_nonnull(strstr(text, "Name:\tspinner\nUmask:\t0022\nState:\tT\nTgid:\t4242\nPid:\t4242\nPPid:\t1\nTracerPid:\t7\n"));
	ck_assert_ptr_nonnull(strstr(text, "Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n"));
	ck_assert_ptr_nonnull(strstr(text, "VmPeak:\t    8192 kB\nVmSize:\t    4096 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n"));
	ck_assert_ptr_nonnull(strstr(text, "VmSwap:\t       4 kB\nThreads:\t3\n"));
	ck_assert_ptr_nonnull(strstr(text, "SigPnd:\t0000000000000100\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000004000\n"));
	ck_assert_uint_eq(text[b.len - 1], '\n');
	free(text);
	free(b.data);
	/* a state the table does not know is shown as '?', never read out of bounds */
	p.state = 0;
	ck_assert_int_eq(kmd_proc_status_text(&p, &b), S_OK);
	ck_assert_ptr_nonnull(memmem(b.data, b.len, "State:\t?\n", 9));
	free(b.data);
}
END_TEST

Suite *support_suite(void)
{
	Suite *s = suite_create("support");
	TCase *tc = tcase_create("support");

	/* a bound for a hung test on a loaded machine, not a speed check */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hresult_messages);
	tcase_add_test(tc, type_names);
	tcase_add_test(tc, range_sets);
	tcase_add_test(tc, utf16_strings);
	tcase_add_test(tc, context_from_signal_handler);
	tcase_add_test(tc, proc_status_from_facts);
	suite_add_tcase(s, tc);
	return s;
}
