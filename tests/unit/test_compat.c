// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Code written against DbgHelp: this file includes only <kmdump/minidumpapiset.h> and
 * uses the Windows names, the way a ported crash handler would. On the host the kmdump
 * module is never loaded, so the dump itself must fail cleanly with GetLastError().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <kmdump/minidumpapiset.h>

Suite *compat_suite(void);
const char *kmdump_strerror(HRESULT hr);

static int calls;

static BOOL CALLBACK MyCallback(PVOID CallbackParam, PMINIDUMP_CALLBACK_INPUT CallbackInput,
				PMINIDUMP_CALLBACK_OUTPUT CallbackOutput)
{
	(void)CallbackParam;
	(void)CallbackOutput;
	calls++;
	switch (CallbackInput->CallbackType) {
	case IncludeModuleCallback:
	case IncludeThreadCallback:
	case ModuleCallback:
	case ThreadCallback:
		return TRUE;
	default:
		return FALSE;
	}
}

START_TEST(minidumpwritedump_reports_errors)
{
	char path[] = "/tmp/kmdump-unit-compat-XXXXXX";
	HANDLE hFile = mkstemp(path);
	MINIDUMP_CALLBACK_INFORMATION mci;
	BOOL ok;

	mci.CallbackRoutine = MyCallback;
	mci.CallbackParam = NULL;
	/* a refused flag: E_INVALIDARG, whatever the kernel */
	ok = MiniDumpWriteDump(INVALID_HANDLE_VALUE, (DWORD)getpid(), hFile, MiniDumpWithHandleData,
			       NULL, NULL, &mci);
	ck_assert_int_eq(ok, FALSE);
	ck_assert_uint_eq(GetLastError(), (DWORD)E_INVALIDARG);
	/* no module on the host: HRESULT_FROM_WIN32(ERROR_NOT_FOUND), nothing written */
	ok = MiniDumpWriteDump(INVALID_HANDLE_VALUE, (DWORD)getpid(), hFile,
			       (MINIDUMP_TYPE)(MiniDumpWithDataSegs | MiniDumpWithThreadInfo), NULL,
			       NULL, &mci);
	ck_assert_int_eq(ok, FALSE);
	ck_assert_uint_eq(GetLastError(), 0x80070490u);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(lseek((int)hFile, 0, SEEK_END), 0);
	/* no such process */
	ok = MiniDumpWriteDump(INVALID_HANDLE_VALUE, 0x3ffffff0, hFile, MiniDumpNormal, NULL, NULL, NULL);
	ck_assert_int_eq(ok, FALSE);
	ck_assert_uint_eq(GetLastError(), 0xD000000Bu);
	ck_assert_ptr_nonnull(kmdump_strerror((HRESULT)GetLastError()));
	close((int)hFile);
	unlink(path);
}
END_TEST

Suite *compat_suite(void)
{
	Suite *s = suite_create("compat");
	TCase *tc = tcase_create("compat");

	/* a bound for a hung test on a loaded machine, not a speed check */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, minidumpwritedump_reports_errors);
	suite_add_tcase(s, tc);
	return s;
}
