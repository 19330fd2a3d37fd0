// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the session state machine, the limits (per socket, per user, in
 * all), socket ownership and the end paths (close, socket release), on real
 * sessions of the running module, owned by real kernel netlink sockets.
 * The sessions used here are target-less kernel-dump jobs, so nothing is
 * frozen. Module suites run once the module is live (6.12: at
 * MODULE_STATE_LIVE), so the session layer is initialised.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/net.h>
#include <net/sock.h>
#include <net/net_namespace.h>
#include "kmdump.h"
#include "session.h"
#include "limits.h"

/* Port ids the sessions are filed under (the sockets are unbound). */
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
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(0), 0);
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(KMDUMP_MAX_SESSIONS_PER_PORT - 1), 0);
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(KMDUMP_MAX_SESSIONS_PER_PORT), -EUSERS);
	KUNIT_EXPECT_EQ(test, kmd_session_limits_check(UINT_MAX), -EUSERS);
}

/* A real netlink socket: sessions belong to a socket, not to a port id. */
static struct socket *nl_socket(struct kunit *test)
{
	struct socket *sock = NULL;

	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, PF_NETLINK, SOCK_RAW,
					       NETLINK_GENERIC, &sock), 0);
	return sock;
}

static struct kmd_session *job(struct kunit *test, struct socket *sock, u32 port)
{
	struct kmd_session *s = kmd_session_create(sock->sk, port, KMD_KIND_SYSTEM_KDUMP, 0,
						   NULL);

	if (!IS_ERR(s))
		kmd_session_job_ready(s);
	return s;
}

/* Waits (bounded) until @sk holds no session: ending runs on the worker. */
static bool sock_drained(const struct sock *sk)
{
	unsigned long deadline = jiffies + 10 * HZ;

	while (kmd_sessions_count(sk) && time_before(jiffies, deadline))
		msleep(20);
	return !kmd_sessions_count(sk);
}

static void session_socket_limit_and_release(struct kunit *test)
{
	struct kmd_session *s[KMDUMP_MAX_SESSIONS_PER_PORT + 1];
	struct socket *a = nl_socket(test), *b = nl_socket(test);
	struct sock *dead = a->sk;
	int i;

	for (i = 0; i < KMDUMP_MAX_SESSIONS_PER_PORT; i++) {
		s[i] = job(test, a, PORT_A);
		KUNIT_ASSERT_FALSE(test, IS_ERR(s[i]));
	}
	s[i] = job(test, a, PORT_A);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(s[i]), -EUSERS);
	KUNIT_EXPECT_EQ(test, kmd_sessions_count(a->sk), KMDUMP_MAX_SESSIONS_PER_PORT);
	KUNIT_EXPECT_EQ(test, kmd_sessions_count(b->sk), 0U);
	/* A live socket on the same port id owns none of them. */
	s[i] = job(test, b, PORT_A);
	KUNIT_EXPECT_FALSE(test, IS_ERR(s[i]));
	KUNIT_EXPECT_EQ(test, kmd_sessions_release_port(PORT_A), 0U);
	for (i = 0; i < KMDUMP_MAX_SESSIONS_PER_PORT; i++)
		kmd_session_put(s[i]);
	/* What NETLINK_URELEASE does when the owner's socket closes. */
	sock_hold(dead);
	sock_release(a);
	KUNIT_EXPECT_EQ(test, kmd_sessions_release_port(PORT_A), KMDUMP_MAX_SESSIONS_PER_PORT);
	KUNIT_EXPECT_TRUE(test, sock_drained(dead));
	sock_put(dead);
	if (!IS_ERR(s[KMDUMP_MAX_SESSIONS_PER_PORT])) {
		KUNIT_EXPECT_EQ(test, kmd_sessions_count(b->sk), 1U);
		KUNIT_EXPECT_EQ(test, kmd_session_close_wait(s[KMDUMP_MAX_SESSIONS_PER_PORT]), 0);
		kmd_session_put(s[KMDUMP_MAX_SESSIONS_PER_PORT]);
	}
	sock_release(b);
}

#define N_SOCKS	(KMDUMP_MAX_SESSIONS / KMDUMP_MAX_SESSIONS_PER_PORT + 1)

/* Opens sessions over @n sockets until refused; returns how many opened. */
static int fill(struct kunit *test, struct socket **socks, struct kmd_session **s,
		int max, int *err)
{
	int i;

	for (i = 0; i < max; i++) {
		s[i] = job(test, socks[i / KMDUMP_MAX_SESSIONS_PER_PORT], PORT_A);
		if (IS_ERR(s[i])) {
			*err = PTR_ERR(s[i]);
			return i;
		}
	}
	*err = 0;
	return i;
}

/* Ends @n sessions and waits (bounded) until the sockets hold none. */
static void end_all(struct kunit *test, struct socket **socks, struct kmd_session **s, int n)
{
	int i;

	while (n--) {
		kmd_session_end(s[n], KMD_END_CLOSE);
		kmd_session_put(s[n]);
	}
	for (i = 0; i < N_SOCKS; i++)
		KUNIT_EXPECT_TRUE(test, sock_drained(socks[i]->sk));
}

/* max_sessions_per_user, then max_sessions, each refused with -EUSERS. */
static void session_user_and_total_limits(struct kunit *test)
{
	unsigned int saved_user = kmd_max_sessions_per_user, saved_total = kmd_max_sessions;
	struct kmd_session *s[KMDUMP_MAX_SESSIONS + 1];
	struct socket *socks[N_SOCKS];
	int i, made, err;

	for (i = 0; i < N_SOCKS; i++)
		socks[i] = nl_socket(test);
	kmd_max_sessions_per_user = 5;
	made = fill(test, socks, s, KMDUMP_MAX_SESSIONS + 1, &err);
	KUNIT_EXPECT_EQ(test, made, 5);
	KUNIT_EXPECT_EQ(test, err, -EUSERS);
	end_all(test, socks, s, made);

	kmd_max_sessions_per_user = UINT_MAX;
	kmd_max_sessions = 7;
	made = fill(test, socks, s, KMDUMP_MAX_SESSIONS + 1, &err);
	KUNIT_EXPECT_EQ(test, made, 7);
	KUNIT_EXPECT_EQ(test, err, -EUSERS);
	end_all(test, socks, s, made);
	kmd_max_sessions_per_user = saved_user;
	kmd_max_sessions = saved_total;
	for (i = 0; i < N_SOCKS; i++)
		sock_release(socks[i]);
}

static void session_owned_by_socket(struct kunit *test)
{
	struct socket *a = nl_socket(test), *b = nl_socket(test);
	struct kmd_session *s = job(test, a, PORT_A), *f;

	KUNIT_ASSERT_FALSE(test, IS_ERR(s));
	f = kmd_session_find(s->id, b->sk, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	f = kmd_session_find(s->id + 1000000, a->sk, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	f = kmd_session_find(s->id, a->sk, NULL);
	KUNIT_EXPECT_PTR_EQ(test, f, s);
	if (!IS_ERR(f))
		kmd_session_put(f);
	/* Releasing another port leaves it alone. */
	KUNIT_EXPECT_EQ(test, kmd_sessions_release_port(PORT_B), 0U);
	KUNIT_EXPECT_EQ(test, kmd_sessions_count(a->sk), 1U);
	KUNIT_EXPECT_EQ(test, kmd_session_close_wait(s), 0);
	f = kmd_session_find(s->id, a->sk, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	kmd_session_put(s);
	sock_release(a);
	sock_release(b);
}

/* Ending is idempotent; every path (close, release, end) frees the session once. */
static void session_end_idempotent(struct kunit *test)
{
	struct socket *a = nl_socket(test);
	struct kmd_session *s = job(test, a, PORT_A);
	struct sock *sk = a->sk;

	KUNIT_ASSERT_FALSE(test, IS_ERR(s));
	sock_hold(sk);
	kmd_session_end(s, KMD_END_WATCHDOG);
	kmd_session_end(s, KMD_END_CLOSE);
	sock_release(a);
	kmd_sessions_release_port(PORT_A);
	KUNIT_EXPECT_EQ(test, kmd_session_close_wait(s), 0);
	KUNIT_EXPECT_EQ(test, s->end_reason, KMD_END_WATCHDOG);
	KUNIT_EXPECT_EQ(test, s->state, KMD_SESSION_ENDED);
	KUNIT_EXPECT_EQ(test, kmd_session_io_lock(s), -ECANCELED);
	kmd_session_put(s);
	KUNIT_EXPECT_TRUE(test, sock_drained(sk));
	sock_put(sk);
}

static struct kunit_case session_cases[] = {
	KUNIT_CASE_PARAM(session_state_machine, transition_gen_params),
	KUNIT_CASE(session_limits_function),
	KUNIT_CASE(session_socket_limit_and_release),
	KUNIT_CASE(session_user_and_total_limits),
	KUNIT_CASE(session_owned_by_socket),
	KUNIT_CASE(session_end_idempotent),
	{}
};

static struct kunit_suite session_suite = {
	.name = "kmdump_session",
	.test_cases = session_cases,
};

kunit_test_suites(&session_suite);
