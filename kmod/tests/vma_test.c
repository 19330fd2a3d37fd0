// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: VMA classification (the core-dump skip rules, the flags reported).
 * Which VMAs form a module, and which holds a stack, is the library's
 * decision (userlib/module_map.c and engine.c, unit-tested there).
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/userfaultfd_k.h>
#include "capture_internal.h"

#define R	KMDUMP_VMA_FLAGS_READ
#define W	KMDUMP_VMA_FLAGS_WRITE
#define X	KMDUMP_VMA_FLAGS_EXEC

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

static struct kunit_case vma_cases[] = {
	KUNIT_CASE(vma_refusal_rules),
	{}
};

static struct kunit_suite vma_suite = {
	.name = "kmdump_vma",
	.test_cases = vma_cases,
};

kunit_test_suites(&vma_suite);
