// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the errno -> HRESULT table as the module applies it. The expected
 * values are written out literally (Windows' published numbers), so a wrong
 * entry in netlink/kmdump.yaml fails here rather than being compared with
 * itself.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include "kmdump.h"
#include "hresult.h"

struct errno_case {
	int err;
	u32 hr;
	const char *what;
};

static const struct errno_case known[] = {
	{ ENOMEM, 0x8007000E, "ENOMEM -> E_OUTOFMEMORY" },
	{ EPERM, 0x80070005, "EPERM -> E_ACCESSDENIED" },
	{ EACCES, 0x80070005, "EACCES -> E_ACCESSDENIED" },
	{ EINVAL, 0x80070057, "EINVAL -> E_INVALIDARG" },
	{ ESRCH, 0xD000000B, "ESRCH -> HRESULT_FROM_NT(STATUS_INVALID_CID)" },
	{ ECANCELED, 0x800704C7, "ECANCELED -> HRESULT_FROM_WIN32(ERROR_CANCELLED)" },
	{ EFAULT, 0x8007012B, "EFAULT -> HRESULT_FROM_WIN32(ERROR_PARTIAL_COPY)" },
	{ EIO, 0x8007001E, "EIO -> HRESULT_FROM_WIN32(ERROR_READ_FAULT)" },
	{ ETIMEDOUT, 0x800705B4, "ETIMEDOUT -> HRESULT_FROM_WIN32(ERROR_TIMEOUT)" },
	{ EBUSY, 0x800700AA, "EBUSY -> HRESULT_FROM_WIN32(ERROR_BUSY)" },
	{ E2BIG, 0x8007007A, "E2BIG -> HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)" },
	{ ERANGE, 0x80070216, "ERANGE -> HRESULT_FROM_WIN32(ERROR_ARITHMETIC_OVERFLOW)" },
	{ EOPNOTSUPP, 0x80004001, "EOPNOTSUPP -> E_NOTIMPL" },
	{ EBADF, 0x80070006, "EBADF -> E_HANDLE" },
	{ ENOENT, 0x80070490, "ENOENT -> HRESULT_FROM_WIN32(ERROR_NOT_FOUND)" },
	{ EUSERS, 0x80070045, "EUSERS -> HRESULT_FROM_WIN32(ERROR_TOO_MANY_SESS)" },
	{ EDQUOT, 0x80070718, "EDQUOT -> HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_QUOTA)" },
	{ ENOSPC, 0x80070070, "ENOSPC -> HRESULT_FROM_WIN32(ERROR_DISK_FULL)" },
	{ EINTR, 0x800703E3, "EINTR -> HRESULT_FROM_WIN32(ERROR_OPERATION_ABORTED)" },
};

static void errno_case_desc(const struct errno_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(known_errno, known, errno_case_desc);

/* Both signs map alike: the kernel hands out -E..., userspace errno is positive. */
static void hresult_known_errno(struct kunit *test)
{
	const struct errno_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, kmd_errno_to_hresult(-c->err), c->hr);
	KUNIT_EXPECT_EQ(test, kmd_errno_to_hresult(c->err), c->hr);
}

static void hresult_zero_is_s_ok(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kmd_errno_to_hresult(0), 0x0U);
	KUNIT_EXPECT_EQ(test, (u32)KMDUMP_S_OK, 0x0U);
	KUNIT_EXPECT_EQ(test, (u32)KMDUMP_S_FALSE, 0x1U);
}

struct table_entry {
	int err;
	u32 hr;
	const char *name;
};

#define TABLE_ENTRY(e, h)	{ .err = (e), .hr = (h), .name = #e },
static const struct table_entry table[] = {
	KMDUMP_ERRNO_HRESULTS(TABLE_ENTRY)
};

#undef TABLE_ENTRY

struct hresult_entry {
	u32 value, c_value;
	const char *win, *msg;
};

#define HRESULT_ENTRY(c, v, w, m)	{ .value = (v), .c_value = (c), .win = (w), .msg = (m) },
static const struct hresult_entry hresults[] = {
	KMDUMP_HRESULTS(HRESULT_ENTRY)
};

#undef HRESULT_ENTRY

/* Every table entry maps as listed, to a failure code the library can name. */
static void hresult_table_entries_are_failures(struct kunit *test)
{
	unsigned int i, j;
	bool named;

	KUNIT_EXPECT_GE(test, ARRAY_SIZE(table), 30U);
	for (i = 0; i < ARRAY_SIZE(table); i++) {
		u32 hr = kmd_errno_to_hresult(-table[i].err);

		KUNIT_EXPECT_EQ_MSG(test, hr, table[i].hr, "%s", table[i].name);
		KUNIT_EXPECT_TRUE_MSG(test, KMDUMP_FAILED(hr), "%s maps to success", table[i].name);
		KUNIT_EXPECT_FALSE_MSG(test, KMDUMP_HRESULT_IS_ERRNO(hr),
				       "%s maps into the fallback range", table[i].name);
		named = false;
		for (j = 0; j < ARRAY_SIZE(hresults); j++)
			named |= hresults[j].value == hr;
		KUNIT_EXPECT_TRUE_MSG(test, named, "%s maps to an unnamed HRESULT", table[i].name);
	}
}

/* Unlisted errnos keep their number: 0xA0000000 | errno, never E_FAIL. */
static void hresult_fallback_keeps_errno(struct kunit *test)
{
	static const int unlisted[] = { EXDEV, ENOTDIR, ELOOP, ERESTARTSYS, ENOTSUPP };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(unlisted); i++) {
		u32 hr = kmd_errno_to_hresult(-unlisted[i]);

		KUNIT_EXPECT_EQ(test, hr, 0xA0000000U | unlisted[i]);
		KUNIT_EXPECT_TRUE(test, KMDUMP_HRESULT_IS_ERRNO(hr));
		KUNIT_EXPECT_EQ(test, KMDUMP_HRESULT_ERRNO(hr), unlisted[i]);
		KUNIT_EXPECT_TRUE(test, KMDUMP_FAILED(hr));
	}
}

/* The generated HRESULT list is consistent: unique values, names and messages. */
static void hresult_values_unique(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(hresults); i++) {
		KUNIT_EXPECT_EQ(test, hresults[i].value, hresults[i].c_value);
		KUNIT_EXPECT_GT(test, strlen(hresults[i].win), 3U);
		KUNIT_EXPECT_GT(test, strlen(hresults[i].msg), 5U);
		for (j = i + 1; j < ARRAY_SIZE(hresults); j++)
			KUNIT_EXPECT_NE_MSG(test, hresults[i].value, hresults[j].value,
					    "%s and %s", hresults[i].win, hresults[j].win);
	}
}

static struct kunit_case hresult_cases[] = {
	KUNIT_CASE_PARAM(hresult_known_errno, known_errno_gen_params),
	KUNIT_CASE(hresult_zero_is_s_ok),
	KUNIT_CASE(hresult_table_entries_are_failures),
	KUNIT_CASE(hresult_fallback_keeps_errno),
	KUNIT_CASE(hresult_values_unique),
	{}
};

static struct kunit_suite hresult_suite = {
	.name = "kmdump_hresult",
	.test_cases = hresult_cases,
};

kunit_test_suites(&hresult_suite);
