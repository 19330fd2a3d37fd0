// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the errno -> HRESULT table as the module applies it. The expected
 * values are written out literally (Windows' published numbers), so a wrong
 * entry in netlink/kmdump.yaml fails here rather than being compared with
 * itself.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#define KMDUMP_WANT_TABLES
#include "kmdump.h"
#include "errno_hresult.h"

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

/* Every table entry maps as listed, to a failure code the library can name. */
static void hresult_table_entries_are_failures(struct kunit *test)
{
	unsigned int i, j;
	const char *named;

	KUNIT_EXPECT_GE(test, ARRAY_SIZE(kmdump_errno_hresults), 30U);
	for (i = 0; i < ARRAY_SIZE(kmdump_errno_hresults); i++) {
		const struct kmdump_errno_hresult_entry *e = &kmdump_errno_hresults[i];
		u32 hr = kmd_errno_to_hresult(-e->err);

		KUNIT_EXPECT_EQ_MSG(test, hr, e->hresult, "%s", e->errno_name);
		KUNIT_EXPECT_TRUE_MSG(test, KMDUMP_FAILED(hr), "%s maps to success", e->errno_name);
		KUNIT_EXPECT_FALSE_MSG(test, KMDUMP_HRESULT_IS_ERRNO(hr),
				       "%s maps into the fallback range", e->errno_name);
		named = kmd_hresult_name(hr);
		KUNIT_EXPECT_NOT_NULL_MSG(test, named, "%s maps to an unnamed HRESULT",
					  e->errno_name);
		for (j = i + 1; j < ARRAY_SIZE(kmdump_errno_hresults); j++)
			KUNIT_EXPECT_NE_MSG(test, e->err, kmdump_errno_hresults[j].err,
					    "%s is listed twice", e->errno_name);
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

/* The generated HRESULT list is consistent: unique values, with names and messages. */
static void hresult_values_unique(struct kunit *test)
{
	unsigned int i, j;

	const struct kmdump_hresult_name *h = kmdump_hresult_names;

	KUNIT_EXPECT_STREQ(test, kmd_hresult_name(0x800704C7),
			   "HRESULT_FROM_WIN32(ERROR_CANCELLED)");
	KUNIT_EXPECT_STREQ(test, kmd_hresult_name(0x80070005), "E_ACCESSDENIED");
	KUNIT_EXPECT_NULL(test, kmd_hresult_name(0xA0000012));
	for (i = 0; i < ARRAY_SIZE(kmdump_hresult_names); i++) {
		KUNIT_EXPECT_GT(test, strlen(h[i].name), 3U);
		KUNIT_EXPECT_GT(test, strlen(h[i].message), 5U);
		for (j = i + 1; j < ARRAY_SIZE(kmdump_hresult_names); j++)
			KUNIT_EXPECT_NE_MSG(test, h[i].value, h[j].value,
					    "%s and %s", h[i].name, h[j].name);
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
