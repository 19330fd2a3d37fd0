// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Breakpad's own readers on a fake-source dump: minidump_dump must accept every stream
 * and minidump_stackwalk must find the threads and modules. The tools come from the npm
 * package `minidump` (tests/breakpad/install puts it under build/npm); the directory
 * holding the binaries is $KMDUMP_BREAKPAD_BIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static char *run_tool(const char *tool, const char *dump, int *status)
{
	const char *bin = getenv("KMDUMP_BREAKPAD_BIN");
	char cmd[1024];
	size_t cap = 1 << 20, len = 0, n;
	char *out = malloc(cap);
	FILE *p;

	ck_assert_msg(bin && *bin, "KMDUMP_BREAKPAD_BIN is not set: run the unit tests with make unit");
	snprintf(cmd, sizeof(cmd), "'%s/%s' '%s' 2>&1", bin, tool, dump);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0)
		len += n;
	out[len] = '\0';
	*status = pclose(p);
	return out;
}

static void write_dump(struct run *r, const char *path, uint32_t type)
{
	FILE *f;

	r->a.dump_type = type;
	ck_assert_int_eq(run_dump(r), S_OK);
	ck_assert_int_eq(r->valid, 0);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(r->md.p, 1, r->md.len, f), r->md.len);
	fclose(f);
}

START_TEST(minidump_dump_accepts_every_stream)
{
	char path[] = "/tmp/kmdump-unit-XXXXXX";
	struct kmdump_exception x = { FAKE_TID1, 11, 1, 0xdead, NULL };
	struct run r;
	int fd = mkstemp(path), status;
	char *out;

	close(fd);
	run_init(&r);
	r.a.exception = &x;
	r.a.flags = KMDUMP_FLAG_ENVIRONMENT;
	write_dump(&r, path, MiniDumpWithThreadInfo | MiniDumpWithUnloadedModules);
	out = run_tool("minidump_dump", path, &status);
	ck_assert_msg(status == 0, "minidump_dump failed:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "MDRawThread"));
	ck_assert_ptr_nonnull(strstr(out, "/lib/libfäke.so"));
	ck_assert_ptr_nonnull(strstr(out, "MDException"));
	ck_assert_ptr_nonnull(strstr(out, "MDRawSystemInfo"));
	ck_assert_ptr_nonnull(strstr(out, "MDRawMiscInfo"));
	ck_assert_ptr_nonnull(strstr(out, "MinidumpLinuxMaps") ? strstr(out, "MinidumpLinuxMaps") : strstr(out, "7f0000000000"));
	ck_assert_msg(!strstr(out, "ERROR") && !strstr(out, "Error"), "minidump_dump complained:\n%s", out);
	free(out);
	unlink(path);
	run_free(&r);
}
END_TEST

START_TEST(minidump_stackwalk_reads_threads)
{
	char path[] = "/tmp/kmdump-unit-XXXXXX";
	struct kmdump_exception x = { FAKE_TID1, 11, 1, 0xdead, NULL };
	struct run r;
	int fd = mkstemp(path), status;
	char *out;

	close(fd);
	run_init(&r);
	r.a.exception = &x;
	write_dump(&r, path, MiniDumpNormal);
	out = run_tool("minidump_stackwalk", path, &status);
	ck_assert_msg(status == 0, "minidump_stackwalk failed:\n%s", out);
	ck_assert_msg(strstr(out, "Operating system: Linux"), "%s", out);
	ck_assert_msg(strstr(out, "CPU: amd64"), "%s", out);
	ck_assert_msg(strstr(out, "SIGSEGV"), "%s", out);
	ck_assert_msg(strstr(out, "Thread 1 (crashed)") || strstr(out, "(crashed)"), "%s", out);
	ck_assert_msg(strstr(out, "A3A2A1A0A5A4A7A6A8A9AAABACADAEAF0"), "module debug id missing:\n%s", out);
	free(out);
	unlink(path);
	run_free(&r);
}
END_TEST

Suite *readers_suite(void)
{
	Suite *s = suite_create("readers");
	TCase *tc = tcase_create("readers");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, minidump_dump_accepts_every_stream);
	tcase_add_test(tc, minidump_stackwalk_reads_threads);
	suite_add_tcase(s, tc);
	return s;
}
