// SPDX-License-Identifier: LGPL-2.1-or-later
/* The entry points around the engine: dumps to a path, and several dumps at once. */
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "harness.h"
#include "api.h"

static _Thread_local struct fake *thread_fake;

static HRESULT open_fake(struct kmd_source *src, uint32_t pid, char *msg, size_t len)
{
	(void)pid;
	(void)msg;
	(void)len;
	*src = thread_fake->src;
	return S_OK;
}

static void args_init(struct kmd_dump_args *a)
{
	memset(a, 0, sizeof(*a));
	a->pid = FAKE_PID;
	a->pidfd = TEST_PIDFD;
	a->fd = -1;
	a->now = TEST_NOW;
}

static char path[64];

static void setup(void)
{
	strcpy(path, "/tmp/kmdump-unit-api-XXXXXX");
	close(mkstemp(path));
}

static void teardown(void)
{
	unlink(path);
}

START_TEST(dump_to_path)
{
	struct kmd_dump_args a;
	struct kmdump_result res;
	struct fake f;
	struct stat st;
	struct md m;
	int fd;

	fake_init(&f);
	thread_fake = &f;
	args_init(&a);
	ck_assert_int_eq(kmd_dump_path(open_fake, &a, path, &res), S_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq((uint64_t)st.st_size, res.bytes);
	fd = open(path, O_RDONLY);
	ck_assert_msg(md_load_fd(&m, fd) == 0, "%s", m.err);
	md_free(&m);
	close(fd);
}
END_TEST

/* cancels at the first poll of the memory phase: the metadata is on disk by then */
static BOOL cancel_late(PVOID p, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	int *seen_remove = p;

	if (in->CallbackType == RemoveMemoryCallback)
		*seen_remove = 1;
	if (in->CallbackType == CancelCallback && *seen_remove)
		out->Cancel = TRUE;
	return TRUE;
}

START_TEST(failed_dump_removes_the_file)
{
	struct kmd_dump_args a;
	struct kmdump_result res;
	struct fake f;
	int n = 0;

	fake_init(&f);
	thread_fake = &f;
	args_init(&a);
	f.capture_hr = (HRESULT)KMDUMP_E_ACCESSDENIED;
	ck_assert_int_eq(kmd_dump_path(open_fake, &a, path, &res), (HRESULT)KMDUMP_E_ACCESSDENIED);
	ck_assert_int_ne(access(path, F_OK), 0);
	/* cancelled after data was written */
	fake_init(&f);
	args_init(&a);
	a.callback = cancel_late;
	a.callback_param = &n;
	ck_assert_int_eq(kmd_dump_path(open_fake, &a, path, &res), (HRESULT)0x800704C7);
	ck_assert_int_ne(access(path, F_OK), 0);
	/* an unwritable path */
	ck_assert_int_eq(kmd_dump_path(open_fake, &a, "/nonexistent-dir/x.dmp", &res),
			 (HRESULT)KMDUMP_E_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(res.message, "/nonexistent-dir/x.dmp"));
}
END_TEST

START_TEST(bad_pid)
{
	struct kmd_dump_args a;
	struct kmdump_result res;

	args_init(&a);
	a.pid = 0;
	ck_assert_int_eq(kmd_dump_pid(open_fake, &a, &res), E_INVALIDARG);
	a.pid = (uint32_t)-5;
	ck_assert_int_eq(kmd_dump_pid(open_fake, &a, &res), E_INVALIDARG);
	ck_assert_ptr_nonnull(strstr(res.message, "process id"));
}
END_TEST

struct job {
	struct fake f;
	struct kmdump_result res;
	HRESULT hr;
	int fd;
};

static void *dump_thread(void *arg)
{
	struct job *j = arg;
	struct kmd_dump_args a;

	fake_init(&j->f);
	thread_fake = &j->f;
	args_init(&a);
	a.dump_type = MiniDumpWithFullMemory;
	j->fd = memfd_create("dump", MFD_CLOEXEC);
	a.fd = j->fd;
	j->hr = kmd_dump_pid(open_fake, &a, &j->res);
	return NULL;
}

START_TEST(concurrent_dumps)
{
	struct job jobs[4];
	pthread_t t[4];
	struct md m0, m;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, dump_thread, &jobs[i]), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(jobs[0].hr, S_OK);
	ck_assert_int_eq(md_load_fd(&m0, jobs[0].fd), 0);
	for (i = 1; i < 4; i++) {
		ck_assert_int_eq(jobs[i].hr, S_OK);
		ck_assert_int_eq(md_load_fd(&m, jobs[i].fd), 0);
		ck_assert_uint_eq(m.len, m0.len);
		ck_assert_int_eq(memcmp(m.p, m0.p, m.len), 0);
		md_free(&m);
		close(jobs[i].fd);
	}
	md_free(&m0);
	close(jobs[0].fd);
}
END_TEST

/* the real source on the host, where the module is never loaded */
START_TEST(dump_file_without_module)
{
	struct kmdump_options o = KMDUMP_OPTS(.dump_type = MiniDumpNormal);
	struct kmdump_result res = KMDUMP_RESULT_INIT;

	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, &o, &res), (HRESULT)KMDUMP_E_NOT_FOUND);
	ck_assert_msg(strstr(res.message, "insmod kmdump.ko"), "%s", res.message);
	ck_assert_uint_eq(res.sz, sizeof(res));
	ck_assert_int_ne(access(path, F_OK), 0);
	/* options may be left out; the result too */
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, NULL, NULL), (HRESULT)KMDUMP_E_NOT_FOUND);
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), "", &o, &res), E_INVALIDARG);
	ck_assert_msg(strstr(res.message, "no output path"), "%s", res.message);
	ck_assert_int_eq(kmdump_write_dump(-5, 1, NULL, &res), E_INVALIDARG);
	ck_assert_msg(strstr(res.message, "invalid process id"), "%s", res.message);
}
END_TEST

/* libbpf's opts discipline: sz says which members the caller knows */
START_TEST(options_carry_their_size)
{
	struct {
		struct kmdump_options o;
		uint64_t newer; /* a member a later header might add */
	} big = { .o = KMDUMP_OPTS() };
	struct kmdump_options zero = { 0 };
	struct kmdump_result res = KMDUMP_RESULT_INIT;

	/* sz 0: declared without the macro */
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, &zero, &res), E_INVALIDARG);
	ck_assert_msg(strstr(res.message, "KMDUMP_OPTS()"), "%s", res.message);
	/* from a newer header, its unknown member left 0: accepted (the dump then fails on
	 * the missing module, past the option checks) */
	big.o.sz = sizeof(big);
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, &big.o, &res), (HRESULT)KMDUMP_E_NOT_FOUND);
	/* ... and with it set: refused, saying so */
	big.newer = 1;
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, &big.o, &res), E_INVALIDARG);
	ck_assert_msg(strstr(res.message, "does not know"), "%s", res.message);
	/* from an older header that ended before stack_limit: the rest reads as 0, and the
	 * garbage past its sz is never looked at */
	big.o = (struct kmdump_options)KMDUMP_OPTS(.max_size = 1);
	big.o.sz = offsetof(struct kmdump_options, user_stream_count);
	big.o.reserved = 0xdead;
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, &big.o, &res), (HRESULT)KMDUMP_E_NOT_FOUND);
	big.o.sz = sizeof(big.o);
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, &big.o, &res), E_INVALIDARG);
	ck_assert_msg(strstr(res.message, "reserved"), "%s", res.message);
}
END_TEST

/* an older caller's result is written only as far as its sz reaches */
START_TEST(result_written_up_to_its_size)
{
	struct {
		struct kmdump_result r;
		char guard[8];
	} old;
	struct kmdump_result zero = { 0 };

	memset(&old, 0x5a, sizeof(old));
	old.r.sz = offsetof(struct kmdump_result, message) + 16;
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), "", NULL, &old.r), E_INVALIDARG);
	ck_assert_uint_eq(old.r.sz, offsetof(struct kmdump_result, message) + 16);
	ck_assert_int_eq(memcmp(old.r.message, "no output path g", 16), 0);
	ck_assert_uint_eq((uint8_t)old.r.message[16], 0x5a);
	ck_assert_uint_eq((uint8_t)old.guard[0], 0x5a);
	/* sz 0: nothing written, the HRESULT alone says it */
	ck_assert_int_eq(kmdump_write_dump_file(getpid(), path, NULL, &zero), E_INVALIDARG);
	ck_assert_uint_eq(zero.threads, 0);
	ck_assert_uint_eq(zero.message[0], 0);
}
END_TEST

START_TEST(runtime_version)
{
	char want[32];

	snprintf(want, sizeof(want), "%d.%d", KMDUMP_VERSION_MAJOR, KMDUMP_VERSION_MINOR);
	ck_assert_str_eq(kmdump_version_string(), want);
	ck_assert_uint_eq(kmdump_major_version(), KMDUMP_VERSION_MAJOR);
	ck_assert_uint_eq(kmdump_minor_version(), KMDUMP_VERSION_MINOR);
}
END_TEST

Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dump_to_path);
	tcase_add_test(tc, failed_dump_removes_the_file);
	tcase_add_test(tc, bad_pid);
	tcase_add_test(tc, concurrent_dumps);
	tcase_add_test(tc, dump_file_without_module);
	tcase_add_test(tc, options_carry_their_size);
	tcase_add_test(tc, result_written_up_to_its_size);
	tcase_add_test(tc, runtime_version);
	suite_add_tcase(s, tc);
	return s;
}
