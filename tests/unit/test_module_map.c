// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which mappings form a module (userlib/module_map.c), over synthetic memory maps
 * written the way /proc/<pid>/maps shows real processes (lld and GNU ld layouts,
 * reservation gaps, the vDSO); the expected modules are what Breakpad's Linux dumper
 * lists for them.
 */
#include <string.h>
#include "harness.h"
#include "module_map.h"

#define R KMD_SRC_V_READ
#define W KMD_SRC_V_WRITE
#define X KMD_SRC_V_EXEC

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBM "/usr/lib/x86_64-linux-gnu/libm.so.6"

/* A file mapping of P (inode INO) at [S, E) with file offset OFF. */
#define FMAP(S, E, FL, OFF, P, INO) \
	{ .start = (S), .end = (E), .flags = (FL), .pgoff = (OFF), .inode = (INO), \
	  .dev_major = 8, .dev_minor = 1, .path = (P) }
#define ANON(S, E, FL) { .start = (S), .end = (E), .flags = (FL) | KMD_SRC_V_ANON }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct kmd_src_module m[8];

static size_t merge(const struct kmd_src_vma *v, size_t n)
{
	memset(m, 0x5a, sizeof(m));
	return kmd_modules_from_vmas(v, n, m);
}

/* lld / modern ld: r-- r-x r-- rw- plus bss; Breakpad merges r-- with r-x only. */
START_TEST(lld_layout)
{
	const struct kmd_src_vma v[] = {
		FMAP(0x7f0000000000, 0x7f0000028000, R, 0, LIBC, 42),
		FMAP(0x7f0000028000, 0x7f00001bd000, R | X, 0x28000, LIBC, 42),
		FMAP(0x7f00001bd000, 0x7f0000215000, R, 0x1bd000, LIBC, 42),
		FMAP(0x7f0000215000, 0x7f000021b000, R | W, 0x214000, LIBC, 42),
		ANON(0x7f000021b000, 0x7f0000228000, R | W),
	};

	ck_assert_uint_eq(merge(v, N(v)), 1);
	ck_assert_uint_eq(m[0].base, 0x7f0000000000ull);
	ck_assert_uint_eq(m[0].size, 0x1bd000ull);
	ck_assert_str_eq(m[0].path, LIBC);
	ck_assert_uint_eq(m[0].build_id_len, 0);
}
END_TEST

/* GNU ld with a ---p reservation between the headers and the text. */
START_TEST(absorb_reservation_gap)
{
	const struct kmd_src_vma v[] = {
		FMAP(0x400000, 0x401000, R, 0, LIBM, 7),
		ANON(0x401000, 0x402000, 0),
		FMAP(0x402000, 0x410000, R | X, 0x2000, LIBM, 7),
		FMAP(0x410000, 0x411000, R | W, 0x10000, LIBM, 7),
	};

	ck_assert_uint_eq(merge(v, N(v)), 1);
	ck_assert_uint_eq(m[0].base, 0x400000ull);
	ck_assert_uint_eq(m[0].size, 0x10000ull);
}
END_TEST

/* A gap that is not followed by the same file stays outside the module. */
START_TEST(gap_not_absorbed_alone)
{
	const struct kmd_src_vma v[] = {
		FMAP(0x400000, 0x402000, R | X, 0, LIBM, 7),
		ANON(0x402000, 0x403000, 0),
		FMAP(0x403000, 0x405000, R | X, 0, LIBC, 42),
	};

	ck_assert_uint_eq(merge(v, N(v)), 2);
	ck_assert_uint_eq(m[0].size, 0x2000ull);
	ck_assert_uint_eq(m[1].base, 0x403000ull);
	ck_assert_str_eq(m[1].path, LIBC);
}
END_TEST

/* Mappings Breakpad never lists as module starts. */
START_TEST(skip_rules)
{
	const struct kmd_src_vma v[] = {
		ANON(0x1000000, 0x1100000, R | W),		       /* no path */
		FMAP(0x2000000, 0x2000800, R | X, 0, LIBC, 42),	       /* < 4096 bytes */
		FMAP(0x3000000, 0x3010000, R, 0x5000, LIBM, 7),	       /* data at offset */
		FMAP(0x4000000, 0x4010000, R | X, 0x5000, LIBM, 7),    /* exec at offset */
		{ .start = 0x5000000, .end = 0x5021000, .flags = R | W | KMD_SRC_V_ANON,
		  .path = "[heap]" },				       /* a name, no file */
	};

	ck_assert_uint_eq(merge(v, N(v)), 1);
	ck_assert_uint_eq(m[0].base, 0x4000000ull);
}
END_TEST

/* The same path twice, not contiguous or from another inode: separate modules. */
START_TEST(same_path_split)
{
	const struct kmd_src_vma v[] = {
		FMAP(0x10000, 0x20000, R | X, 0, LIBC, 42),
		FMAP(0x30000, 0x40000, R | X, 0, LIBC, 42),
		FMAP(0x40000, 0x50000, R | X, 0x10000, LIBC, 43), /* replaced file */
	};

	ck_assert_uint_eq(merge(v, N(v)), 3);
	ck_assert_uint_eq(m[0].size, 0x10000ull);
	ck_assert_uint_eq(m[1].base, 0x30000ull);
	ck_assert_uint_eq(m[1].size, 0x10000ull);
	ck_assert_uint_eq(m[2].base, 0x40000ull);
}
END_TEST

/* After the executable part a non-executable mapping ends the module. */
START_TEST(exec_then_data)
{
	const struct kmd_src_vma v[] = {
		FMAP(0x10000, 0x20000, R | X, 0, LIBC, 42),
		FMAP(0x20000, 0x30000, R | X, 0x10000, LIBC, 42),
		FMAP(0x30000, 0x31000, R | W, 0x20000, LIBC, 42),
	};

	ck_assert_uint_eq(merge(v, N(v)), 1);
	ck_assert_uint_eq(m[0].size, 0x20000ull);
}
END_TEST

/* The vDSO is a module; [vvar] and an empty map give none. */
START_TEST(vdso_and_empty)
{
	const struct kmd_src_vma v[] = {
		FMAP(0x10000, 0x20000, R | X, 0, LIBC, 42),
		{ .start = 0x7fff0000, .end = 0x7fff2000,
		  .flags = R | X | KMD_SRC_V_ANON | KMD_SRC_V_VDSO, .path = "[vdso]" },
		{ .start = 0x7fff2000, .end = 0x7fff6000, .flags = R | KMD_SRC_V_ANON,
		  .path = "[vvar]" },
	};

	ck_assert_uint_eq(merge(v, N(v)), 2);
	ck_assert_str_eq(m[1].path, "[vdso]");
	ck_assert_uint_eq(m[1].size, 0x2000ull);
	ck_assert_uint_eq(merge(v, 0), 0);
}
END_TEST

Suite *module_map_suite(void)
{
	Suite *s = suite_create("module_map");
	TCase *tc = tcase_create("module_map");

	tcase_add_test(tc, lld_layout);
	tcase_add_test(tc, absorb_reservation_gap);
	tcase_add_test(tc, gap_not_absorbed_alone);
	tcase_add_test(tc, skip_rules);
	tcase_add_test(tc, same_path_split);
	tcase_add_test(tc, exec_then_data);
	tcase_add_test(tc, vdso_and_empty);
	suite_add_tcase(s, tc);
	return s;
}
