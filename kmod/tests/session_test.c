// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the session state machine, the limits, port ownership and the end
 * paths (close, socket release), on real sessions of the running module.
 * The sessions used here are target-less kernel-dump jobs, so nothing is
 * frozen. Module suites run once the module is live (6.12: at
 * MODULE_STATE_LIVE), so the session layer is initialised.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
#include "kmdump.h"
#include "session.h"

/* Ports no real socket of the test kernel uses. */
#define PORT_A	0xFFFF0A01U
#define PORT_B	0xFFFF0B01U

struct transition {
	enum kmd_session_state from;
	enum kmd_session_event ev;
	int err;
	enum kmd_session_state to;
	const char *what;
};

static const struct transition transitions[] = {
	{ KMD_SESSION_OPENING, KMD_EV_OPENED, 0, KMD_SESSION_READY, "opening -opened-> ready" },
	{ KMD_SESSION_OPENING, KMD_EV_END, 0, KMD_SESSION_ENDING, "opening -end-> ending" },
	{ KMD_SESSION_READY, KMD_EV_END, 0, KMD_SESSION_ENDING, "ready -end-> ending" },
	{ KMD_SESSION_ENDING, KMD_EV_THAWED, 0, KMD_SESSION_ENDED, "ending -thawed-> ended" },
	{ KMD_SESSION_READY, KMD_EV_OPENED, -EINVAL, 0, "ready cannot open again" },
	{ KMD_SESSION_ENDING, KMD_EV_END, -EALREADY, 0, "ending twice is refused" },
	{ KMD_SESSION_ENDED, KMD_EV_END, -EALREADY, 0, "ended cannot end" },
	{ KMD_SESSION_ENDING, KMD_EV_OPENED, -EINVAL, 0, "an ending session never becomes ready" },
	{ KMD_SESSION_READY, KMD_EV_THAWED, -EINVAL, 0, "only an ending session thaws" },
	{ KMD_SESSION_OPENING, KMD_EV_THAWED, -EINVAL, 0, "an opening session does not thaw" },
};

static void transition_desc(const struct transition *t, char *desc)
{
	strscpy(desc, t->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(transition, transitions, transition_desc);

static void session_state_machine(struct kunit *test)
{
	const struct transition *t = test->param_value;
	enum kmd_session_state next = 0;

	KUNIT_EXPECT_EQ(test, kmd_session_next(t->from, t->ev, &next), t->err);
	if (!t->err)
		KUNIT_EXPECT_EQ(test, next, t->to);
}

static void session_limits_function(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(0, 0), 0);
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(KMDUMP_MAX_SESSIONS_PER_PORT - 1,
						       KMDUMP_MAX_SESSIONS - 1), 0);
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(KMDUMP_MAX_SESSIONS_PER_PORT, 0), -EUSERS);
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(0, KMDUMP_MAX_SESSIONS), -EUSERS);
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(UINT_MAX, UINT_MAX), -EUSERS);
}

static struct kmd_session *job(struct kunit *test, u32 port)
{
	struct kmd_session *s = kmd_session_create(port, KMD_KIND_SYSTEM_KDUMP, 0, NULL);

	if (!IS_ERR(s))
		kmd_session_job_ready(s);
	return s;
}

/* Waits (bounded) until @port holds no session: ending runs on the worker. */
static bool port_drained(u32 port)
{
	int i;

	for (i = 0; i < 100 && kmd_sessions_count(port); i++)
		msleep(20);
	return !kmd_sessions_count(port);
}

static void session_port_limit_and_release(struct kunit *test)
{
	struct kmd_session *s[KMDUMP_MAX_SESSIONS_PER_PORT + 1];
	int i;

	for (i = 0; i < KMDUMP_MAX_SESSIONS_PER_PORT; i++) {
		s[i] = job(test, PORT_A);
		KUNIT_ASSERT_FALSE(test, IS_ERR(s[i]));
	}
	s[i] = job(test, PORT_A);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(s[i]), -EUSERS);
	KUNIT_EXPECT_EQ(test, kmd_sessions_count(PORT_A), KMDUMP_MAX_SESSIONS_PER_PORT);
	KUNIT_EXPECT_EQ(test, kmd_sessions_count(PORT_B), 0U);
	for (i = 0; i < KMDUMP_MAX_SESSIONS_PER_PORT; i++)
		kmd_session_put(s[i]);
	/* What NETLINK_URELEASE does when the owner's socket closes. */
	KUNIT_EXPECT_EQ(test, kmd_sessions_release_port(PORT_A), KMDUMP_MAX_SESSIONS_PER_PORT);
	KUNIT_EXPECT_TRUE(test, port_drained(PORT_A));
	s[0] = job(test, PORT_A);
	KUNIT_EXPECT_FALSE(test, IS_ERR(s[0]));
	if (!IS_ERR(s[0])) {
		KUNIT_EXPECT_EQ(test, kmd_session_close(s[0]), 0);
		kmd_session_put(s[0]);
	}
}

static void session_total_limit(struct kunit *test)
{
	struct kmd_session *s[KMDUMP_MAX_SESSIONS];
	struct kmd_session *extra;
	int i, made = 0;

	for (i = 0; i < KMDUMP_MAX_SESSIONS; i++) {
		s[i] = job(test, PORT_A + i / KMDUMP_MAX_SESSIONS_PER_PORT);
		if (IS_ERR(s[i]))
			break;
		made++;
	}
	/* Real sockets of the test kernel may hold sessions; none should. */
	KUNIT_EXPECT_EQ(test, made, KMDUMP_MAX_SESSIONS);
	extra = job(test, PORT_B + 0x100);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(extra), -EUSERS);
	for (i = 0; i < made; i++) {
		kmd_session_end(s[i], KMD_END_CLOSE);
		kmd_session_put(s[i]);
	}
	for (i = 0; i < KMDUMP_MAX_SESSIONS / KMDUMP_MAX_SESSIONS_PER_PORT; i++)
		KUNIT_EXPECT_TRUE(test, port_drained(PORT_A + i));
}

static void session_owned_by_port(struct kunit *test)
{
	struct kmd_session *s = job(test, PORT_A), *f;

	KUNIT_ASSERT_FALSE(test, IS_ERR(s));
	f = kmd_session_find(s->id, PORT_B, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	f = kmd_session_find(s->id + 1000000, PORT_A, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	f = kmd_session_find(s->id, PORT_A, NULL);
	KUNIT_EXPECT_PTR_EQ(test, f, s);
	if (!IS_ERR(f))
		kmd_session_put(f);
	/* Releasing another port leaves it alone. */
	KUNIT_EXPECT_EQ(test, kmd_sessions_release_port(PORT_B), 0U);
	KUNIT_EXPECT_EQ(test, kmd_sessions_count(PORT_A), 1U);
	KUNIT_EXPECT_EQ(test, kmd_session_close(s), 0);
	f = kmd_session_find(s->id, PORT_A, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	kmd_session_put(s);
}

/* Ending is idempotent; every path (close, release, end) frees the session once. */
static void session_end_idempotent(struct kunit *test)
{
	struct kmd_session *s = job(test, PORT_A);

	KUNIT_ASSERT_FALSE(test, IS_ERR(s));
	kmd_session_end(s, KMD_END_WATCHDOG);
	kmd_session_end(s, KMD_END_CLOSE);
	kmd_sessions_release_port(PORT_A);
	KUNIT_EXPECT_EQ(test, kmd_session_close(s), 0);
	KUNIT_EXPECT_EQ(test, s->end_reason, KMD_END_WATCHDOG);
	KUNIT_EXPECT_EQ(test, s->state, KMD_SESSION_ENDED);
	KUNIT_EXPECT_EQ(test, kmd_session_io_lock(s), -ECANCELED);
	kmd_session_put(s);
	KUNIT_EXPECT_TRUE(test, port_drained(PORT_A));
}

static struct kunit_case session_cases[] = {
	KUNIT_CASE_PARAM(session_state_machine, transition_gen_params),
	KUNIT_CASE(session_limits_function),
	KUNIT_CASE(session_port_limit_and_release),
	KUNIT_CASE(session_total_limit),
	KUNIT_CASE(session_owned_by_port),
	KUNIT_CASE(session_end_idempotent),
	{}
};

static struct kunit_suite session_suite = {
	.name = "kmdump_session",
	.test_cases = session_cases,
};

kunit_test_suites(&session_suite);
