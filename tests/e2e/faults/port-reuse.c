// SPDX-License-Identifier: GPL-2.0
/*
 * port-reuse SECONDS [GROUPS]: a session belongs to the socket that opened
 * it, never to its netlink port id. Run as root; daemon owns the sessions
 * (an agent, agent.h), nobody attacks. For SECONDS, again and again: daemon
 * opens a READY session on its own target, then closes its socket; nobody,
 * spinning on bind(2) of a fresh raw netlink socket to that very port id,
 * gets the port the moment the owner's socket lets it go (before or while
 * NETLINK_URELEASE is processed) and asks for the session id: session-get and
 * thread-get in turn. Every such request must be refused
 * with ERROR_NOT_FOUND, "no such session on this socket": never answered, and
 * never "the session is ending" either (that too is the owner's session, found
 * through a port number). The owner's sockets join GROUPS (default 32)
 * multicast groups, so their release, which leaves the groups after freeing
 * the port and before the notifier runs, takes a little longer: the window
 * the issue describes, made wide enough to hit under test. Owner and attacker
 * run on different CPUs. Prints TAP.
 */
#include <sched.h>
#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "faults.h"
#include "agent.h"

#define NOBODY	65534
#define DAEMON	1

static int family;

/* ---- nobody's side: a raw socket on a chosen port ---- */

struct req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	struct nlattr a;
	uint32_t id;
};

static void put_req(struct req *r, uint8_t cmd, uint16_t flags, uint32_t id, uint32_t seq)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = sizeof(*r);
	r->n.nlmsg_type = (uint16_t)family;
	r->n.nlmsg_flags = NLM_F_REQUEST | flags;
	r->n.nlmsg_seq = seq;
	r->g.cmd = cmd;
	r->g.version = KMDUMP_FAMILY_VERSION;
	r->a.nla_len = sizeof(r->a) + sizeof(r->id);
	r->a.nla_type = KMDUMP_A_SESSION_ID;
	r->id = id;
}

/* The NLMSGERR_ATTR_MSG among the TLVs at @off of message @h, if any. */
static void tlv_msg(const struct nlmsghdr *h, size_t off, char *msg, size_t len)
{
	const struct nlattr *a;

	msg[0] = 0;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (NLMSG_HDRLEN + off + sizeof(*a) <= h->nlmsg_len) {
		a = (const void *)((const char *)NLMSG_DATA(h) + off);
		if (a->nla_len < sizeof(*a) || NLMSG_HDRLEN + off + a->nla_len > h->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(msg, len, "%.*s", (int)(a->nla_len - sizeof(*a)),
				 (const char *)(a + 1));
		off += NLA_ALIGN(a->nla_len);
	}
}

/* The extended-ack message of an NLMSG_ERROR, if any. */
static void ack_msg(const struct nlmsghdr *h, char *msg, size_t len)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	tlv_msg(h, off, msg, len);
}

/*
 * Sends @cmd for session @id and reads the answer: the number of kmdump
 * messages it got (*err: 0, or the errno of the NLMSG_ERROR or NLMSG_DONE
 * that ended it; 6.1 sends a dump's refusal in NLMSG_DONE, 6.12 in either).
 */
static int ask(int fd, uint8_t cmd, uint16_t flags, uint32_t id, int *err, char *msg, size_t len)
{
	static uint32_t seq;
	static char buf[65536];
	struct req r;
	int replies = 0;

	put_req(&r, cmd, flags, id, ++seq);
	*err = 0;
	msg[0] = 0;
	if (send(fd, &r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		*err = errno;
		snprintf(msg, len, "send: %s", strerror(errno));
		return 0;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			*err = errno;
			snprintf(msg, len, "recv: %s", strerror(errno));
			return replies;
		}
		for (h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				*err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
				ack_msg(h, msg, len);
				return replies;
			}
			if (h->nlmsg_type == NLMSG_DONE) {	/* a dump: its errno and message */
				int e = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
					*(int *)NLMSG_DATA(h) : 0;

				*err = e < 0 ? -e : 0;
				tlv_msg(h, sizeof(int), msg, len);
				return replies;
			}
			if (h->nlmsg_type == family)
				replies++;
		}
	}
}

enum outcome { NOT_BOUND, NOT_FOUND, ENDING, LEAKED, OTHER };

/*
 * Binds a fresh socket to @port as soon as it is free, then asks for @id:
 * session-get, or (@dump) thread-get.
 */
static enum outcome attack(uint32_t port, uint32_t id, int dump, char *what, size_t len)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_pid = port };
	struct timeval tv = { .tv_sec = 30 };
	int fd, one = 1, err, n, threads = 0;
	uint64_t end = now_ms() + 3000;
	char msg[512];

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return snprintf(what, len, "socket: %s", strerror(errno)), OTHER;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (errno != EADDRINUSE || now_ms() >= end) {
			snprintf(what, len, "bind: %s", strerror(errno));
			close(fd);
			return NOT_BOUND;
		}
	}
	if (dump) {
		threads = ask(fd, KMDUMP_CMD_THREAD_GET, NLM_F_DUMP, id, &err, msg, sizeof(msg));
		if (threads > 0) {
			snprintf(what, len, "thread-get of session %u answered: %d threads", id,
				 threads);
			close(fd);
			return LEAKED;
		}
	} else {
		n = ask(fd, KMDUMP_CMD_SESSION_GET, NLM_F_ACK, id, &err, msg, sizeof(msg));
		if (n > 0 && !err) {
			threads = ask(fd, KMDUMP_CMD_THREAD_GET, NLM_F_DUMP, id, &err, msg,
				      sizeof(msg));
			snprintf(what, len,
				 "session-get of session %u answered; then thread-get gave %d threads (errno %d)",
				 id, threads, err);
			close(fd);
			return LEAKED;
		}
	}
	close(fd);
	snprintf(what, len, "errno %d: %s", err, msg);
	if (err == ENOENT && strstr(msg, "no such session on this socket"))
		return NOT_FOUND;
	if (err == ECANCELED)
		return ENDING;
	return OTHER;
}

/* The attacker process: "PORT ID" lines in, "armed" then "OUTCOME what" out. */
static void attacker(int in, int out)
{
	FILE *f = fdopen(in, "r");
	unsigned int port, id, n = 0;
	char line[64], what[600];
	enum outcome o;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u", &port, &id) != 2)
			break;
		(void)!write(out, "armed\n", 6);
		o = attack(port, id, n++ % 2, what, sizeof(what));
		dprintf(out, "%d %s\n", (int)o, what);
	}
	_exit(0);
}

static pid_t start_attacker(int *to, struct agent *from)
{
	int a[2], b[2], fd;
	pid_t pid;

	if (pipe(a) || pipe(b))
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (fd = 3; fd < 1024; fd++)
			if (fd != a[0] && fd != b[1])
				close(fd);
		if (become(NOBODY, NOBODY))
			_exit(126);
		attacker(a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	*to = a[1];
	memset(from, 0, sizeof(*from));	/* reuse the agent's line reader */
	from->pid = pid;
	from->from = b[0];
	from->to = -1;
	return pid;
}

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);	/* best effort */
}

static int resolve_family(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id = -1;

	if (sk && !genl_connect(sk))
		id = genl_ctrl_resolve(sk, KMDUMP_FAMILY_NAME);
	if (sk)
		nl_socket_free(sk);
	return id;
}

int main(int argc, char **argv)
{
	unsigned int seconds = argc > 1 ? (unsigned int)atoi(argv[1]) : 60;
	unsigned int groups = argc > 2 ? (unsigned int)atoi(argv[2]) : 32;
	unsigned int count[OTHER + 1] = { 0 }, tries = 0, opened = 0;
	char first[OTHER + 1][600] = { { 0 } };
	struct agent owner, att;
	uint64_t end;
	const char *r;
	pid_t target;
	int to_att, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	family = resolve_family();
	if (family < 0)
		return printf("not ok 1 - the kmdump family resolves\n"), 1;
	if (agent_start(&owner, DAEMON, DAEMON) || start_attacker(&to_att, &att) < 0)
		return printf("not ok 1 - daemon's agent and nobody's attacker start\n"), 1;
	pin(owner.pid, 0);
	pin(att.pid, 1);
	r = agent_call(&owner, 30000, "groups %u", groups);
	r = agent_call(&owner, 30000, "spawn");
	target = (pid_t)reply_num(r, "pid");
	if (target <= 0)
		return printf("not ok 1 - daemon's target starts: %s\n", r ? r : "no answer"), 1;
	end = now_ms() + (uint64_t)seconds * 1000;
	while (now_ms() < end) {
		uint64_t busy_end = now_ms() + 10000;
		unsigned int id, port;
		int o;

		do {	/* the previous session may still be ending (ERROR_BUSY) */
			r = agent_call(&owner, 60000, "open %d 60000", (int)target);
		} while (reply_hr(r) == (HRESULT)KMDUMP_E_BUSY && now_ms() < busy_end &&
			 !usleep(10000));
		if (FAILED(reply_hr(r))) {
			printf("# daemon's session-open failed: %s\n", r ? r : "no answer");
			break;
		}
		opened++;
		id = (unsigned int)reply_num(r, "id");
		port = (unsigned int)reply_num(r, "port");
		dprintf(to_att, "%u %u\n", port, id);
		r = agent_wait(&att, 30000, NULL, NULL);
		if (!r || strcmp(r, "armed"))
			break;
		r = agent_call(&owner, 30000, "drop %u", id);
		r = agent_wait(&att, 60000, NULL, NULL);
		if (!r)
			break;
		tries++;
		o = atoi(r);
		if (o < NOT_BOUND || o > OTHER)
			o = OTHER;
		if (!count[o]++)
			snprintf(first[o], sizeof(first[o]), "%s", strchr(r, ' ') ? strchr(r, ' ') + 1 : r);
	}
	printf("# %u sessions of daemon's, %u released; nobody bound the port after %u releases: "
	       "ERROR_NOT_FOUND %u, 'is ending' %u, answered %u, other %u\n", opened, tries,
	       tries - count[NOT_BOUND], count[NOT_FOUND], count[ENDING], count[LEAKED],
	       count[OTHER]);
	check(tries > 0 && count[NOT_BOUND] < tries,
	      "nobody's new socket got the owner's port id right after the owner's socket closed (%u of %u times) %s",
	      tries - count[NOT_BOUND], tries, first[NOT_BOUND]);
	check(!count[LEAKED],
	      "it never read the owner's session: session-get or thread-get answered %u times %s",
	      count[LEAKED], first[LEAKED]);
	check(!count[ENDING] && !count[OTHER],
	      "every request of it was refused with ERROR_NOT_FOUND 'no such session on this socket' (%u 'the session is ending', %u other) %s%s",
	      count[ENDING], count[OTHER], first[ENDING], first[OTHER]);
	close(to_att);
	waitpid(att.pid, &status, 0);
	close(att.from);
	agent_stop(&owner);
	return tap_done();
}
