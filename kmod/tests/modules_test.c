// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: VMA classification and module merging over synthetic memory maps.
 * The maps are written the way /proc/<pid>/maps shows real processes (lld and
 * GNU ld layouts, reservation gaps, the vDSO), and the expected modules are
 * what Breakpad's Linux dumper would list for them.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/userfaultfd_k.h>
#include "capture_internal.h"

#define R	KMDUMP_VMA_FLAGS_READ
#define W	KMDUMP_VMA_FLAGS_WRITE
#define X	KMDUMP_VMA_FLAGS_EXEC
#define F	KMDUMP_VMA_FLAGS_FILE

#define LIBC	"/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBM	"/usr/lib/x86_64-linux-gnu/libm.so.6"

/* A file mapping of @p (inode @ino) at [s, e) with file offset @off. */
#define FMAP(s, e, fl, off, p, ino) \
	{ .start = (s), .end = (e), .flags = (fl) | F, .pgoff = (off), .inode = (ino), \
	  .dev_major = 8, .dev_minor = 1, .path = (p), .path_len = sizeof(p) - 1 }
#define ANON(s, e, fl) { .start = (s), .end = (e), .flags = (fl) }

static int merge(struct kunit *test, const struct kmd_vma *v, u32 n,
		 struct kmd_module *out, u32 max)
{
	memset(out, 0, max * sizeof(*out));
	return kmd_modules_merge(v, n, out, max);
}

/* lld / modern ld: r-- r-x r-- rw- plus bss; Breakpad merges r-- with r-x only. */
static void modules_lld_layout(struct kunit *test)
{
	const struct kmd_vma v[] = {
		FMAP(0x7f0000000000, 0x7f0000028000, R, 0, LIBC, 42),
		FMAP(0x7f0000028000, 0x7f00001bd000, R | X, 0x28000, LIBC, 42),
		FMAP(0x7f00001bd000, 0x7f0000215000, R, 0x1bd000, LIBC, 42),
		FMAP(0x7f0000215000, 0x7f000021b000, R | W, 0x214000, LIBC, 42),
		ANON(0x7f000021b000, 0x7f0000228000, R | W),
	};
	struct kmd_module m[4];

	KUNIT_ASSERT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 4), 1);
	KUNIT_EXPECT_EQ(test, m[0].base, 0x7f0000000000ULL);
	KUNIT_EXPECT_EQ(test, m[0].size, 0x1bd000ULL);
	KUNIT_EXPECT_EQ(test, m[0].file_offset, 0ULL);
	KUNIT_EXPECT_EQ(test, m[0].first_vma, 0U);
	KUNIT_EXPECT_EQ(test, m[0].nr_vmas, 2U);
	KUNIT_EXPECT_STREQ(test, m[0].path, LIBC);
}

/* GNU ld with a ---p reservation between the headers and the text. */
static void modules_absorb_reservation_gap(struct kunit *test)
{
	const struct kmd_vma v[] = {
		FMAP(0x400000, 0x401000, R, 0, LIBM, 7),
		ANON(0x401000, 0x402000, 0),
		FMAP(0x402000, 0x410000, R | X, 0x2000, LIBM, 7),
		FMAP(0x410000, 0x411000, R | W, 0x10000, LIBM, 7),
	};
	struct kmd_module m[4];

	KUNIT_ASSERT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 4), 1);
	KUNIT_EXPECT_EQ(test, m[0].base, 0x400000ULL);
	KUNIT_EXPECT_EQ(test, m[0].size, 0x10000ULL);
	KUNIT_EXPECT_EQ(test, m[0].nr_vmas, 3U);
}

/* A gap that is not followed by the same file stays outside the module. */
static void modules_gap_not_absorbed_alone(struct kunit *test)
{
	const struct kmd_vma v[] = {
		FMAP(0x400000, 0x402000, R | X, 0, LIBM, 7),
		ANON(0x402000, 0x403000, 0),
		FMAP(0x403000, 0x405000, R | X, 0, LIBC, 42),
	};
	struct kmd_module m[4];

	KUNIT_ASSERT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 4), 2);
	KUNIT_EXPECT_EQ(test, m[0].size, 0x2000ULL);
	KUNIT_EXPECT_EQ(test, m[1].base, 0x403000ULL);
	KUNIT_EXPECT_STREQ(test, m[1].path, LIBC);
}

/* Mappings Breakpad never lists as module starts. */
static void modules_skip_rules(struct kunit *test)
{
	const struct kmd_vma v[] = {
		ANON(0x1000000, 0x1100000, R | W),			/* no path */
		FMAP(0x2000000, 0x2000800, R | X, 0, LIBC, 42),	/* < 4096 bytes */
		FMAP(0x3000000, 0x3010000, R, 0x5000, LIBM, 7),	/* data at offset */
		FMAP(0x4000000, 0x4010000, R | X, 0x5000, LIBM, 7),	/* exec at offset */
	};
	struct kmd_module m[4];

	KUNIT_ASSERT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 4), 1);
	KUNIT_EXPECT_EQ(test, m[0].base, 0x4000000ULL);
	KUNIT_EXPECT_EQ(test, m[0].file_offset, 0x5000ULL);
}

/* The same path twice, not contiguous or from another inode: two modules. */
static void modules_same_path_split(struct kunit *test)
{
	const struct kmd_vma v[] = {
		FMAP(0x10000, 0x20000, R | X, 0, LIBC, 42),
		FMAP(0x30000, 0x40000, R | X, 0, LIBC, 42),
		FMAP(0x40000, 0x50000, R | X, 0x10000, LIBC, 43),	/* replaced file */
	};
	struct kmd_module m[4];

	KUNIT_ASSERT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 4), 3);
	KUNIT_EXPECT_EQ(test, m[0].size, 0x10000ULL);
	KUNIT_EXPECT_EQ(test, m[1].base, 0x30000ULL);
	KUNIT_EXPECT_EQ(test, m[1].size, 0x10000ULL);
	KUNIT_EXPECT_EQ(test, m[2].base, 0x40000ULL);
}

/* After the executable part a non-executable mapping ends the module. */
static void modules_exec_then_data(struct kunit *test)
{
	const struct kmd_vma v[] = {
		FMAP(0x10000, 0x20000, R | X, 0, LIBC, 42),
		FMAP(0x20000, 0x30000, R | X, 0x10000, LIBC, 42),
		FMAP(0x30000, 0x31000, R | W, 0x20000, LIBC, 42),
	};
	struct kmd_module m[2];

	KUNIT_ASSERT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 2), 1);
	KUNIT_EXPECT_EQ(test, m[0].size, 0x20000ULL);
	KUNIT_EXPECT_EQ(test, m[0].nr_vmas, 2U);
}

static void modules_vdso_and_limits(struct kunit *test)
{
	const struct kmd_vma v[] = {
		FMAP(0x10000, 0x20000, R | X, 0, LIBC, 42),
		{ .start = 0x7fff0000, .end = 0x7fff2000, .flags = R | X | KMDUMP_VMA_FLAGS_VDSO,
		  .path = "[vdso]", .path_len = 6 },
		{ .start = 0x7fff2000, .end = 0x7fff6000, .flags = R | KMDUMP_VMA_FLAGS_VVAR,
		  .path = "[vvar]", .path_len = 6 },
	};
	struct kmd_module m[2];

	KUNIT_ASSERT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 2), 2);
	KUNIT_EXPECT_STREQ(test, m[1].path, "[vdso]");
	KUNIT_EXPECT_EQ(test, m[1].size, 0x2000ULL);
	/* Room for one module only: refused, not truncated. */
	KUNIT_EXPECT_EQ(test, merge(test, v, ARRAY_SIZE(v), m, 1), -E2BIG);
	KUNIT_EXPECT_EQ(test, merge(test, v, 0, m, 2), 0);
}

static void vma_find_bounds(struct kunit *test)
{
	const struct kmd_vma v[] = {
		ANON(0x1000, 0x2000, R), ANON(0x3000, 0x5000, R), ANON(0x5000, 0x6000, R),
	};

	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 3, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 3, 0x1fff), 0);
	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 3, 0x2000), -1);
	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 3, 0x4fff), 1);
	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 3, 0x5000), 2);
	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 3, 0x6000), -1);
	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 3, 0), -1);
	KUNIT_EXPECT_EQ(test, kmd_vma_find(v, 0, 0x1000), -1);
}

/* The core-dump skip rules (fs/coredump.c vma_dump_size) and flag mapping. */
static void vma_refusal_rules(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(VM_READ | VM_MAYREAD), 0);
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(VM_MAYREAD), 0);	/* PROT_NONE: FOLL_FORCE */
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(VM_READ | VM_MAYREAD | VM_IO), -EIO);
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(VM_READ | VM_MAYREAD | VM_PFNMAP), -EIO);
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(VM_READ | VM_MAYREAD | VM_DONTDUMP), -EPERM);
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(VM_READ | VM_MAYREAD | VM_UFFD_MISSING),
			-EDEADLK);
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(VM_READ | VM_MAYREAD | VM_UFFD_WP), -EDEADLK);
	KUNIT_EXPECT_EQ(test, kmd_vma_refusal(0), -EFAULT);
	KUNIT_EXPECT_EQ(test, kmd_vma_skip_reason(VM_MAYREAD | VM_IO), KMDUMP_VMA_SKIP_IO);
	KUNIT_EXPECT_EQ(test, kmd_vma_skip_reason(VM_MAYREAD | VM_UFFD_MISSING),
			KMDUMP_VMA_SKIP_UFFD);
	KUNIT_EXPECT_EQ(test, kmd_vma_skip_reason(VM_MAYREAD | VM_READ), KMDUMP_VMA_SKIP_NONE);
	KUNIT_EXPECT_EQ(test, kmd_vma_flags(VM_READ | VM_EXEC | VM_MAYSHARE),
			(u32)(R | X | KMDUMP_VMA_FLAGS_SHARED));
	KUNIT_EXPECT_EQ(test, kmd_vma_flags(VM_WRITE | VM_GROWSDOWN | VM_PFNMAP),
			(u32)(W | KMDUMP_VMA_FLAGS_GROWSDOWN | KMDUMP_VMA_FLAGS_IO));
}

static struct kunit_case modules_cases[] = {
	KUNIT_CASE(modules_lld_layout),
	KUNIT_CASE(modules_absorb_reservation_gap),
	KUNIT_CASE(modules_gap_not_absorbed_alone),
	KUNIT_CASE(modules_skip_rules),
	KUNIT_CASE(modules_same_path_split),
	KUNIT_CASE(modules_exec_then_data),
	KUNIT_CASE(modules_vdso_and_limits),
	KUNIT_CASE(vma_find_bounds),
	KUNIT_CASE(vma_refusal_rules),
	{}
};

static struct kunit_suite modules_suite = {
	.name = "kmdump_modules",
	.test_cases = modules_cases,
};

kunit_test_suites(&modules_suite);
