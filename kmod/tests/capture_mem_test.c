// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the per-capture memory accounting (capture.h "Memory accounting").
 * Every engine allocation is charged against the session's limit, and one
 * that would pass it is refused with -EDQUOT before anything is allocated,
 * leaving the charge as it was; freeing gives the bytes back.
 */
#include <kunit/test.h>
#include <linux/sizes.h>
#include "kmdump.h"
#include "capture_internal.h"

static struct kmd_capture *capture_with_limit(struct kunit *test, u64 limit)
{
	struct kmd_capture *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->mem_limit = limit;
	atomic64_set(&c->mem_used, 0);
	return c;
}

static void mem_charge_up_to_the_limit(struct kunit *test)
{
	struct kmd_capture *c = capture_with_limit(test, SZ_1M);

	KUNIT_EXPECT_EQ(test, kmd_mem_charge(c, SZ_512K), 0);
	KUNIT_EXPECT_EQ(test, kmd_mem_charge(c, SZ_512K), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), (s64)SZ_1M);
	/* One byte more is refused and leaves the charge as it was. */
	KUNIT_EXPECT_EQ(test, kmd_mem_charge(c, 1), -EDQUOT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), (s64)SZ_1M);
	kmd_mem_uncharge(c, SZ_1M);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), 0);
}

static void mem_alloc_refused_past_the_limit(struct kunit *test)
{
	struct kmd_capture *c = capture_with_limit(test, SZ_64K);
	void *a, *b;

	a = kmd_alloc(c, SZ_32K);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), (s64)SZ_32K);
	/* 32 KiB + 64 KiB would pass the limit: refused, nothing charged. */
	b = kmd_alloc(c, SZ_64K);
	KUNIT_EXPECT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), (s64)SZ_32K);
	kmd_free(c, a, SZ_32K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), 0);
	/* With the first buffer freed the same request fits. */
	b = kmd_alloc(c, SZ_64K);
	KUNIT_EXPECT_NOT_NULL(test, b);
	kmd_free(c, b, SZ_64K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), 0);
}

static void mem_zero_sizes_and_no_limit(struct kunit *test)
{
	struct kmd_capture *c = capture_with_limit(test, 0);
	void *p;

	KUNIT_EXPECT_NULL(test, kmd_alloc(c, 0));
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), 0);
	/* Limit 0 means none: a charge far beyond any session's limit passes. */
	KUNIT_EXPECT_EQ(test, kmd_mem_charge(c, 4ULL * KMDUMP_SESSION_MEM_MAX), 0);
	kmd_mem_uncharge(c, 4ULL * KMDUMP_SESSION_MEM_MAX);
	p = kmd_alloc(c, SZ_4K);
	KUNIT_EXPECT_NOT_NULL(test, p);
	kmd_free(c, p, SZ_4K);
	kmd_free(c, NULL, SZ_4K);	/* freeing nothing uncharges nothing */
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->mem_used), 0);
}

static struct kunit_case capture_mem_cases[] = {
	KUNIT_CASE(mem_charge_up_to_the_limit),
	KUNIT_CASE(mem_alloc_refused_past_the_limit),
	KUNIT_CASE(mem_zero_sizes_and_no_limit),
	{}
};

static struct kunit_suite capture_mem_suite = {
	.name = "kmdump_capture_mem",
	.test_cases = capture_mem_cases,
};

kunit_test_suites(&capture_mem_suite);
