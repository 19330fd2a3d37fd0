// SPDX-License-Identifier: LGPL-2.1-or-later
/* Bad arguments, the size cap and failures of the source: clear HRESULTs and messages. */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "harness.h"

START_TEST(refused_dump_types_name_the_flag)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} refused[] = {
		{ MiniDumpWithHandleData, "MiniDumpWithHandleData" },
		{ MiniDumpWithTokenInformation, "MiniDumpWithTokenInformation" },
		{ MiniDumpFilterTriage, "MiniDumpFilterTriage" },
		{ MiniDumpWithAvxXStateContext, "MiniDumpWithAvxXStateContext" },
		{ MiniDumpWithIptTrace, "MiniDumpWithIptTrace" },
		{ MiniDumpScanInaccessiblePartialPages, "MiniDumpScanInaccessiblePartialPages" },
	};
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		run_free(&R);
		run_init(&R);
		R.a.dump_type = refused[i].bit | MiniDumpWithDataSegs;
		ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
		ck_assert_msg(strstr(R.res.message, refused[i].name), "message '%s'", R.res.message);
		ck_assert_uint_eq(R.f.captures, 0);
		ck_assert_uint_eq(R.n, 0); /* refused before any callback */
	}
}
END_TEST

START_TEST(every_honoured_flag_works)
{
	uint32_t bit;

	for (bit = 1; bit & MiniDumpValidTypeFlags; bit <<= 1) {
		const char *name = kmdump_dump_type_name(bit);

		ck_assert_ptr_nonnull(name);
		if (bit == MiniDumpWithHandleData || bit == MiniDumpWithTokenInformation ||
		    bit == MiniDumpFilterTriage || bit == MiniDumpWithAvxXStateContext ||
		    bit == MiniDumpWithIptTrace || bit == MiniDumpScanInaccessiblePartialPages)
			continue;
		run_free(&R);
		run_init(&R);
		R.a.dump_type = bit;
		R.f.threads[1].facts |= KMD_SRC_T_KSTACK; /* WithFullAuxiliaryState needs them */
		ck_assert_msg(run_dump(&R) == S_OK, "%s: 0x%08x %s", name, (unsigned)R.hr, R.res.message);
		ck_assert_msg(R.valid == 0, "%s: %s", name, R.md.err);
		ck_assert_uint_eq(R.md.h->Flags, bit);
	}
}
END_TEST

START_TEST(bad_type_bits)
{
	R.a.dump_type = 0x80000000u;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
	ck_assert_ptr_nonnull(strstr(R.res.message, "MiniDumpValidTypeFlags"));
	run_free(&R);
	run_init(&R);
	R.a.dump_type = MiniDumpWithoutAuxiliaryState | MiniDumpWithFullAuxiliaryState;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
}
END_TEST

START_TEST(bad_user_streams)
{
	static const char d[] = "x";
	struct kmdump_user_stream s[2] = { { 0x10001, 1, d }, { 0x10001, 1, d } };

	R.a.user_streams = s;
	R.a.user_stream_count = 2;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
	ck_assert_ptr_nonnull(strstr(R.res.message, "twice"));
	s[1].type = ThreadListStream;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
	s[1].type = KMDUMP_STREAM_LINUX_MAPS;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
	s[1].type = 0x10002;
	s[1].buffer = NULL;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
	R.a.user_streams = NULL;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
}
END_TEST

START_TEST(exception_thread_must_exist)
{
	struct kmdump_exception x = { 4242, 11, 1, 0, NULL };

	R.a.exception = &x;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
	ck_assert_ptr_nonnull(strstr(R.res.message, "4242"));
	ck_assert_uint_ge(R.f.thaws, 1);
}
END_TEST

START_TEST(output_must_be_seekable)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	R.a.fd = p[1];
	ck_assert_int_eq(run_dump(&R), (HRESULT)KMDUMP_E_SEEK);
	ck_assert_ptr_nonnull(strstr(R.res.message, "IoStartCallback"));
	ck_assert_int_eq(R.f.captures, 0);
	close(p[0]);
	close(p[1]);
	/* O_APPEND would put every write at the end; read-only cannot be written */
	{
		char tmp[] = "/tmp/kmdump-unit-append-XXXXXX";
		int fd = mkstemp(tmp), ro;

		ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
		R.a.fd = fd;
		ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
		ck_assert_ptr_nonnull(strstr(R.res.message, "O_APPEND"));
		ro = open(tmp, O_RDONLY);
		R.a.fd = ro;
		ck_assert_int_eq(run_dump(&R), E_HANDLE);
		close(ro);
		close(fd);
		unlink(tmp);
	}
	R.a.fd = -1;
	R.a.callback = NULL;
	ck_assert_int_eq(run_dump(&R), E_HANDLE);
	R.a.pid = 0;
	ck_assert_int_eq(run_dump(&R), E_INVALIDARG);
}
END_TEST

START_TEST(capture_failure_is_reported)
{
	R.f.capture_hr = (HRESULT)KMDUMP_E_ACCESSDENIED;
	ck_assert_int_eq(run_dump(&R), (HRESULT)KMDUMP_E_ACCESSDENIED);
	ck_assert_ptr_nonnull(strstr(R.res.message, "capturing process 1000"));
	ck_assert_uint_eq(R.count[IncludeThreadCallback], 0);
	ck_assert_uint_ge(R.f.thaws, 1);
}
END_TEST

START_TEST(size_cap)
{
	struct run full;
	uint64_t cap;

	run_init(&full);
	full.a.dump_type = MiniDumpWithFullMemory;
	ck_assert_int_eq(run_dump(&full), S_OK);
	ck_assert(!full.res.capped);
	/* a cap below the full size: memory is left out, the dump stays valid */
	cap = full.res.bytes - 0x30000;
	R.a.dump_type = MiniDumpWithFullMemory;
	R.a.max_size = cap;
	ck_assert_msg(run_dump(&R) == S_OK, "%s", R.res.message);
	ck_assert_msg(R.valid == 0, "%s", R.md.err);
	ck_assert(R.res.capped);
	ck_assert_uint_le(R.md.len, cap);
	ck_assert_uint_lt(R.res.memory_bytes, full.res.memory_bytes);
	/* a cap too small for the metadata fails with a clear HRESULT and no valid file */
	run_free(&R);
	run_init(&R);
	R.a.max_size = 4096;
	ck_assert_int_eq(run_dump(&R), (HRESULT)KMDUMP_E_FILE_TOO_LARGE);
	ck_assert_int_ne(R.valid, 0);
	ck_assert_ptr_nonnull(strstr(R.res.message, "cap"));
	/* caps between the two: stacks shrink, every dump is valid and within its cap */
	for (cap = 12000; cap < 80000; cap += 3001) {
		run_free(&R);
		run_init(&R);
		R.a.max_size = cap;
		if (run_dump(&R) == S_OK) {
			ck_assert_msg(R.valid == 0, "cap %llu: %s", (unsigned long long)cap, R.md.err);
			ck_assert_uint_le(R.md.len, cap);
		} else {
			ck_assert_int_eq(R.hr, (HRESULT)KMDUMP_E_FILE_TOO_LARGE);
		}
	}
	run_free(&full);
}
END_TEST

START_TEST(dump_starts_at_the_descriptor_offset)
{
	uint8_t pre[100];
	struct md m;

	memset(pre, 'x', sizeof(pre));
	ck_assert_int_eq(write(R.fd, pre, sizeof(pre)), (ssize_t)sizeof(pre));
	run_dump(&R);
	ck_assert_int_eq(R.hr, S_OK);
	{
		off_t end = lseek(R.fd, 0, SEEK_END);
		uint8_t *buf = malloc((size_t)end);

		ck_assert_int_eq(pread(R.fd, buf, (size_t)end, 0), end);
		ck_assert_int_eq(buf[0], 'x');
		ck_assert_int_eq(md_load(&m, buf + 100, (size_t)end - 100), 0);
		md_free(&m);
		free(buf);
	}
}
END_TEST

Suite *args_suite(void)
{
	Suite *s = suite_create("args");
	TCase *tc = tcase_create("args");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, run_setup, run_teardown);
	tcase_add_test(tc, refused_dump_types_name_the_flag);
	tcase_add_test(tc, every_honoured_flag_works);
	tcase_add_test(tc, bad_type_bits);
	tcase_add_test(tc, bad_user_streams);
	tcase_add_test(tc, exception_thread_must_exist);
	tcase_add_test(tc, output_must_be_seekable);
	tcase_add_test(tc, capture_failure_is_reported);
	tcase_add_test(tc, size_cap);
	tcase_add_test(tc, dump_starts_at_the_descriptor_offset);
	suite_add_tcase(s, tc);
	return s;
}
