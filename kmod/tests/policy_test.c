// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the generated per-operation policies (netlink/kmdump-policy.h) against
 * well-formed, malformed and hostile attribute streams, parsed strictly as the
 * genl core does for this family (resv_start_op 0).
 */
#include <kunit/test.h>
#include <net/netlink.h>
#include "kmdump-policy.h"

struct attr_buf {
	u8 data[256];
	int len;
};

/* Appends an attribute; @len is the payload written, @claim the nla_len told. */
static void put_raw(struct attr_buf *b, u16 type, const void *v, int len, int claim)
{
	struct nlattr *a = (struct nlattr *)(b->data + b->len);

	a->nla_len = claim;
	a->nla_type = type;
	memcpy(nla_data(a), v, len);
	b->len += nla_total_size(len);
}

static void put_u32(struct attr_buf *b, u16 type, u32 v)
{
	put_raw(b, type, &v, 4, nla_attr_size(4));
}

static void put_u64(struct attr_buf *b, u16 type, u64 v)
{
	put_raw(b, type, &v, 8, nla_attr_size(8));
}

/* A range nest holding @b2's attributes. */
static void put_nest(struct attr_buf *b, u16 type, const struct attr_buf *inner)
{
	put_raw(b, type | NLA_F_NESTED, inner->data, inner->len, nla_attr_size(inner->len));
}

struct op_policy {
	const struct nla_policy *pol;
	int maxtype;
};

static const struct op_policy open_pol = {
	.pol = kmdump_session_open_do_nl_policy,
	.maxtype = ARRAY_SIZE(kmdump_session_open_do_nl_policy) - 1,
};

static const struct op_policy close_pol = {
	.pol = kmdump_session_close_do_nl_policy,
	.maxtype = ARRAY_SIZE(kmdump_session_close_do_nl_policy) - 1,
};

static const struct op_policy get_pol = {
	.pol = kmdump_session_get_do_nl_policy,
	.maxtype = ARRAY_SIZE(kmdump_session_get_do_nl_policy) - 1,
};

static const struct op_policy to_fd_pol = {
	.pol = kmdump_mem_read_to_fd_dump_nl_policy,
	.maxtype = ARRAY_SIZE(kmdump_mem_read_to_fd_dump_nl_policy) - 1,
};

static const struct op_policy read_pol = {
	.pol = kmdump_mem_read_dump_nl_policy,
	.maxtype = ARRAY_SIZE(kmdump_mem_read_dump_nl_policy) - 1,
};

static const struct op_policy kdump_pol = {
	.pol = kmdump_kernel_dump_do_nl_policy,
	.maxtype = ARRAY_SIZE(kmdump_kernel_dump_do_nl_policy) - 1,
};

static int parse(const struct attr_buf *b, const struct op_policy *op)
{
	struct nlattr *tb[KMDUMP_A_MAX + 1];

	return nla_parse(tb, op->maxtype, (const struct nlattr *)b->data, b->len, op->pol, NULL);
}

static void policy_open_valid(struct kunit *test)
{
	struct attr_buf b = {};

	put_u32(&b, KMDUMP_A_PID, 42);
	put_u32(&b, KMDUMP_A_MEM_FD, 3);
	put_u32(&b, KMDUMP_A_CAPTURE_FLAGS, KMDUMP_CAPTURE_FLAGS_ENVIRON);
	put_u32(&b, KMDUMP_A_WATCHDOG_MS, KMDUMP_WATCHDOG_MS_MIN);
	KUNIT_EXPECT_EQ(test, parse(&b, &open_pol), 0);
}

static void policy_open_bounds(struct kunit *test)
{
	static const struct { u16 type; u32 v; bool ok; } cases[] = {
		{ KMDUMP_A_PID, 0, false },
		{ KMDUMP_A_PID, 1, true },
		{ KMDUMP_A_MEM_FD, (u32)-1, false },
		{ KMDUMP_A_WATCHDOG_MS, KMDUMP_WATCHDOG_MS_MIN - 1, false },
		{ KMDUMP_A_WATCHDOG_MS, KMDUMP_WATCHDOG_MS_MAX, true },
		{ KMDUMP_A_WATCHDOG_MS, KMDUMP_WATCHDOG_MS_MAX + 1, false },
		{ KMDUMP_A_WATCHDOG_MS, U32_MAX, false },
		{ KMDUMP_A_CAPTURE_FLAGS, KMDUMP_CAPTURE_FLAGS_MASK, true },
		{ KMDUMP_A_CAPTURE_FLAGS, KMDUMP_CAPTURE_FLAGS_MASK + 1, false },
		{ KMDUMP_A_CAPTURE_FLAGS, 0x80000000, false },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct attr_buf b = {};
		int err;

		put_u32(&b, cases[i].type, cases[i].v);
		err = parse(&b, &open_pol);
		KUNIT_EXPECT_EQ_MSG(test, err == 0, cases[i].ok, "attr %u value %u: %d",
				    cases[i].type, cases[i].v, err);
	}
}

/* Attributes another command takes, unknown types and type 0 are refused. */
static void policy_foreign_attributes(struct kunit *test)
{
	static const u16 foreign[] = {
		KMDUMP_A_DATA, KMDUMP_A_SESSION_ID, KMDUMP_A_OUT_FD, KMDUMP_A_HRESULT,
		KMDUMP_A_MAX, KMDUMP_A_MAX + 1, 0x3fff, 0,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(foreign); i++) {
		struct attr_buf b = {};

		put_u32(&b, KMDUMP_A_PID, 1);
		put_u32(&b, foreign[i], 1);
		KUNIT_EXPECT_LT_MSG(test, parse(&b, &open_pol), 0,
				    "type %u accepted by session-open", foreign[i]);
	}
}

/* Lengths that lie: too short, too long, past the end of the message. */
static void policy_hostile_lengths(struct kunit *test)
{
	struct attr_buf b = {};
	u64 big = 0;

	put_raw(&b, KMDUMP_A_PID, &big, 2, nla_attr_size(2));
	KUNIT_EXPECT_LT(test, parse(&b, &open_pol), 0);

	b.len = 0;
	put_raw(&b, KMDUMP_A_PID, &big, 8, nla_attr_size(8));
	KUNIT_EXPECT_LT(test, parse(&b, &open_pol), 0);

	b.len = 0;
	put_raw(&b, KMDUMP_A_PID, &big, 4, 200);	/* claims more than there is */
	KUNIT_EXPECT_LT(test, parse(&b, &open_pol), 0);

	b.len = 0;
	put_raw(&b, KMDUMP_A_PID, &big, 4, 2);		/* shorter than its own header */
	KUNIT_EXPECT_LT(test, parse(&b, &open_pol), 0);

	b.len = 0;
	put_u32(&b, KMDUMP_A_SESSION_ID, 7);
	b.len -= 2;					/* truncated stream */
	KUNIT_EXPECT_LT(test, parse(&b, &get_pol), 0);
}

static void policy_ranges(struct kunit *test)
{
	struct attr_buf b = {}, r = {};

	put_u64(&r, KMDUMP_A_RANGE_ADDR, 0x1000);
	put_u64(&r, KMDUMP_A_RANGE_LEN, 0x2000);
	put_u64(&r, KMDUMP_A_RANGE_OFFSET, 0);
	put_u32(&b, KMDUMP_A_SESSION_ID, 1);
	put_u32(&b, KMDUMP_A_OUT_FD, 5);
	put_nest(&b, KMDUMP_A_RANGE, &r);
	put_nest(&b, KMDUMP_A_RANGE, &r);
	KUNIT_EXPECT_EQ(test, parse(&b, &to_fd_pol), 0);
	/* mem-read takes no out-fd */
	KUNIT_EXPECT_LT(test, parse(&b, &read_pol), 0);

	/* a u32 where the range wants a u64 */
	r.len = 0;
	put_u32(&r, KMDUMP_A_RANGE_ADDR, 0x1000);
	b.len = 0;
	put_u32(&b, KMDUMP_A_SESSION_ID, 1);
	put_nest(&b, KMDUMP_A_RANGE, &r);
	KUNIT_EXPECT_LT(test, parse(&b, &read_pol), 0);

	/* unknown and pad types inside a range */
	r.len = 0;
	put_u64(&r, KMDUMP_A_RANGE_PAD, 0);
	b.len = 0;
	put_nest(&b, KMDUMP_A_RANGE, &r);
	KUNIT_EXPECT_LT(test, parse(&b, &read_pol), 0);
	r.len = 0;
	put_u64(&r, 99, 0);
	b.len = 0;
	put_nest(&b, KMDUMP_A_RANGE, &r);
	KUNIT_EXPECT_LT(test, parse(&b, &read_pol), 0);

	/* a range that is not a nest */
	b.len = 0;
	put_u64(&b, KMDUMP_A_RANGE, 5);
	KUNIT_EXPECT_LT(test, parse(&b, &read_pol), 0);
}

static void policy_session_id(struct kunit *test)
{
	struct attr_buf b = {};

	put_u32(&b, KMDUMP_A_SESSION_ID, 0);
	KUNIT_EXPECT_LT(test, parse(&b, &close_pol), 0);
	b.len = 0;
	put_u32(&b, KMDUMP_A_SESSION_ID, 1);
	KUNIT_EXPECT_EQ(test, parse(&b, &close_pol), 0);
	KUNIT_EXPECT_EQ(test, parse(&b, &kdump_pol), 0);
	put_u32(&b, KMDUMP_A_OUT_FD, (u32)-5);
	KUNIT_EXPECT_LT(test, parse(&b, &kdump_pol), 0);
}

static struct kunit_case policy_cases[] = {
	KUNIT_CASE(policy_open_valid),
	KUNIT_CASE(policy_open_bounds),
	KUNIT_CASE(policy_foreign_attributes),
	KUNIT_CASE(policy_hostile_lengths),
	KUNIT_CASE(policy_ranges),
	KUNIT_CASE(policy_session_id),
	{}
};

static struct kunit_suite policy_suite = {
	.name = "kmdump_policy",
	.test_cases = policy_cases,
};

kunit_test_suites(&policy_suite);
