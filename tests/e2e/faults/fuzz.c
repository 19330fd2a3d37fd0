// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz COUNTER-TARGET DIR [COUNT] [SECONDS] [SEED]: random and mutated
 * messages at the kmdump family over a raw generic netlink socket, bounded in
 * count (default 3000) and time (default 150 s), reproducible from the seed it
 * prints. Then checks what a user would notice: every request was answered
 * (no hang), every refusal of a kmdump command carries an HRESULT from the
 * contract's table and an extended-ack message, and the family still opens a
 * session on a live target, reads its memory correctly and closes it; the
 * target still runs. The harness checks the kernel log (oops, KASAN, lockdep,
 * kmemleak); the test script checks that the module unloads afterwards.
 *
 * Messages come from three generators:
 *   - valid requests of every command (real session ids, pids, descriptors,
 *     ranges inside the target's mappings) with one to three mutations: an
 *     attribute dropped, duplicated, retyped, truncated, grown, its length
 *     lying, an edge value, a flipped bit, another command, version or
 *     reserved byte, other netlink flags, a truncated message, trailing bytes;
 *   - random attributes (nested garbage in ranges, too many ranges) for
 *     random commands;
 *   - random bytes after the generic netlink header.
 * A few mutations are at the netlink level (nlmsg_len lying, no
 * NLM_F_REQUEST, two messages in one datagram); the kernel drops some of
 * those silently, so they are not expected to be answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define KMDUMP_WANT_TABLES
#include "kmdump.h"
#include "faults.h"
#include "counter-file.h"

#define ANSWER_WAIT_MS	60000	/* a session-open of a target may take long (debug kernel) */
#define MAX_REPLIES	20000	/* per request; then the socket is dropped mid-dump */
#define MAX_RANGES_SENT	4200	/* a little above max-ranges */
#define BUF_SIZE	(MAX_RANGES_SENT * 32 + 4096)

/* ---- deterministic randomness ---- */

static uint64_t rng;

static uint64_t rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static int chance(uint32_t one_in)
{
	return rnd(one_in) == 0;
}

/* ---- the world the messages refer to ---- */

struct world {
	struct counter_target target;
	int mem_fd, out_fd, append_fd, maps_fd, pipe_fd, null_fd;
	uint64_t vma_start[256], vma_len[256];
	unsigned int nvmas;
	uint64_t counter_addr;	/* where the target maps its counter file */
	const char *counter_path;
};

static struct world w;

static int load_maps(void)
{
	char path[64], line[4352], file[4097];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)w.target.pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && w.nvmas < 256) {
		unsigned long long a, b;

		file[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %4096s", &a, &b, file) < 2)
			continue;
		w.vma_start[w.nvmas] = a;
		w.vma_len[w.nvmas++] = b - a;
		if (!w.counter_addr && !strcmp(file, w.counter_path))
			w.counter_addr = a;
	}
	fclose(f);
	return w.nvmas && w.counter_addr ? 0 : -1;
}

/* Fds 0-2 may be this test's log: keep every write the module may do off them. */
static int relay_output(void)
{
	struct stat st;
	int p[2];
	pid_t pid;
	char buf[4096];
	ssize_t n;

	if (fstat(1, &st) || !S_ISREG(st.st_mode))
		return 0;
	if (pipe(p) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		while ((n = read(p[0], buf, sizeof(buf))) > 0)
			if (write(1, buf, (size_t)n) != n)
				break;
		_exit(0);
	}
	dup2(p[1], 1);
	dup2(p[1], 2);
	close(p[0]);
	close(p[1]);
	return 0;
}

static int setup_world(const char *prog, const char *dir)
{
	static char file[4096];
	char path[64], out[4096];
	int p[2];

	snprintf(file, sizeof(file), "%s/fuzz-target.cnt", dir);
	w.counter_path = file;
	if (counter_start(&w.target, prog, file, 4, 2, 4, 120000))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)w.target.pid);
	snprintf(out, sizeof(out), "%s/fuzz-out.bin", dir);
	w.mem_fd = open(path, O_RDONLY);
	w.out_fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	w.append_fd = open(out, O_WRONLY | O_APPEND);
	w.maps_fd = open("/proc/self/maps", O_RDONLY);
	w.null_fd = open("/dev/null", O_WRONLY);
	if (pipe(p) < 0)
		return -1;
	w.pipe_fd = p[1];
	if (w.mem_fd < 0 || w.out_fd < 0 || w.append_fd < 0 || w.maps_fd < 0 || w.null_fd < 0)
		return -1;
	return load_maps();
}

/* ---- messages ---- */

struct msg {
	uint8_t buf[BUF_SIZE];
	size_t len;		/* bytes to send */
	int expect_answer;	/* the kernel must answer it */
	int dump;
	uint8_t cmd;
};

static struct nlmsghdr *nlh(struct msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static void msg_init(struct msg *m, uint16_t family, uint8_t cmd, int dump)
{
	struct genlmsghdr g = { .cmd = cmd, .version = KMDUMP_FAMILY_VERSION };

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh(m)->nlmsg_type = family;
	nlh(m)->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
	memcpy(m->buf + NLMSG_HDRLEN, &g, sizeof(g));
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->expect_answer = 1;
	m->dump = dump;
	m->cmd = cmd;
}

static size_t put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };
	size_t at = m->len;

	if (m->len + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->buf) || NLA_HDRLEN + len > 0xffff)
		return at;
	memcpy(m->buf + m->len, &a, sizeof(a));
	if (len)
		memcpy(m->buf + m->len + NLA_HDRLEN, data, len);
	memset(m->buf + m->len + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
	return at;
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, 4);
}

static void put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	put(m, type, &v, 8);
}

static size_t nest_start(struct msg *m, uint16_t type)
{
	return put(m, type | NLA_F_NESTED, NULL, 0);
}

/* @at may be unaligned after a mutation appended odd bytes: no struct access. */
static void nest_end(struct msg *m, size_t at)
{
	uint16_t len = (uint16_t)(m->len - at);

	memcpy(m->buf + at, &len, sizeof(len));
}

static void msg_finish(struct msg *m)
{
	nlh(m)->nlmsg_len = (uint32_t)m->len;
}

/* An address inside (or just around) one of the target's mappings. */
static uint64_t some_addr(void)
{
	unsigned int i = rnd(w.nvmas);

	if (chance(10))
		return chance(2) ? rnd64() : (uint64_t)-1 - rnd(8192);
	return w.vma_start[i] + (chance(4) ? w.vma_len[i] - rnd(4096) : rnd((uint32_t)w.vma_len[i]));
}

static uint64_t some_len(void)
{
	switch (rnd(8)) {
	case 0: return 0;
	case 1: return rnd64();
	case 2: return 1ULL << 40;
	case 3: return (1ULL << 40) + 1;
	case 4: return 1 + rnd(1 << 20);
	default: return 1 + rnd(65536);
	}
}

static uint64_t some_offset(void)
{
	if (chance(16))
		return chance(2) ? rnd64() : INT64_MAX - rnd(4096);
	return rnd(64u << 20);
}

static void put_ranges(struct msg *m, int to_fd)
{
	unsigned int n = chance(40) ? KMDUMP_MAX_RANGES + 1 + rnd(50) : 1 + rnd(4), i;

	for (i = 0; i < n; i++) {
		size_t at = nest_start(m, KMDUMP_A_RANGE);

		put_u64(m, KMDUMP_A_RANGE_ADDR, some_addr());
		put_u64(m, KMDUMP_A_RANGE_LEN, n > 8 ? 1 + rnd(64) : some_len());
		if (to_fd || chance(8))
			put_u64(m, KMDUMP_A_RANGE_OFFSET, some_offset());
		nest_end(m, at);
	}
}

static uint32_t live_session;

static int32_t some_fd(void)
{
	const int32_t fds[] = { w.out_fd, w.out_fd, w.out_fd, w.append_fd, w.mem_fd, w.maps_fd,
				w.pipe_fd, w.null_fd, 999, -1 };

	return fds[rnd(sizeof(fds) / sizeof(fds[0]))];
}

/* A valid request of @cmd (as far as this program can make one). */
static void valid(struct msg *m, uint16_t family, uint8_t cmd)
{
	int dump = cmd == KMDUMP_CMD_THREAD_GET || cmd == KMDUMP_CMD_VMA_GET ||
		   cmd == KMDUMP_CMD_MODULE_GET || cmd == KMDUMP_CMD_MEM_READ ||
		   cmd == KMDUMP_CMD_MEM_READ_TO_FD;

	msg_init(m, family, cmd, dump);
	switch (cmd) {
	case KMDUMP_CMD_SESSION_OPEN:
		put_u32(m, KMDUMP_A_PID, (uint32_t)w.target.pid);
		put(m, KMDUMP_A_MEM_FD, &w.mem_fd, 4);
		if (chance(3))
			put_u32(m, KMDUMP_A_CAPTURE_FLAGS, rnd(4));
		if (chance(2))
			put_u32(m, KMDUMP_A_WATCHDOG_MS, KMDUMP_WATCHDOG_MS_MIN + rnd(10000));
		break;
	case KMDUMP_CMD_MEM_READ_TO_FD:
		put_u32(m, KMDUMP_A_SESSION_ID, live_session);
		put_u32(m, KMDUMP_A_OUT_FD, (uint32_t)some_fd());
		put_ranges(m, 1);
		break;
	case KMDUMP_CMD_MEM_READ:
		put_u32(m, KMDUMP_A_SESSION_ID, live_session);
		put_ranges(m, 0);
		break;
	case KMDUMP_CMD_KERNEL_DUMP:
		if (!chance(4))	/* without it: a whole-system dump (slow: keep it rare) */
			put_u32(m, KMDUMP_A_SESSION_ID, live_session);
		put_u32(m, KMDUMP_A_OUT_FD, (uint32_t)some_fd());
		break;
	default:
		put_u32(m, KMDUMP_A_SESSION_ID, live_session);
		break;
	}
}

/* The attribute offsets of @m's top level. */
static unsigned int attrs(struct msg *m, size_t *at, unsigned int max)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	unsigned int n = 0;

	while (off + NLA_HDRLEN <= m->len && n < max) {
		struct nlattr *a = (struct nlattr *)(m->buf + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > m->len)
			break;
		at[n++] = off;
		off += NLA_ALIGN(a->nla_len);
	}
	return n;
}

static const uint64_t edges[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
};

static void mutate(struct msg *m)
{
	size_t at[64], a, alen;
	unsigned int n = attrs(m, at, 64);
	struct nlattr *na;
	uint8_t tmp[256];
	uint64_t e;
	size_t i;

	a = n ? at[rnd(n)] : 0;
	na = (struct nlattr *)(m->buf + a);
	alen = n ? na->nla_len : 0;
	switch (rnd(15)) {
	case 0:		/* drop an attribute */
		if (n) {
			memmove(m->buf + a, m->buf + a + NLA_ALIGN(alen), m->len - a - NLA_ALIGN(alen));
			m->len -= NLA_ALIGN(alen);
		}
		break;
	case 1:		/* duplicate one */
		if (n && alen <= sizeof(tmp) && m->len + NLA_ALIGN(alen) <= sizeof(m->buf)) {
			memcpy(tmp, m->buf + a, alen);
			memcpy(m->buf + m->len, tmp, NLA_ALIGN(alen));
			m->len += NLA_ALIGN(alen);
		}
		break;
	case 2:		/* another type, maybe with the nested/byte-order bits */
		if (n)
			na->nla_type = (uint16_t)(rnd(KMDUMP_A_MAX + 4) |
						  (chance(4) ? NLA_F_NESTED : 0) |
						  (chance(8) ? NLA_F_NET_BYTEORDER : 0));
		break;
	case 3:		/* a shorter value (what followed it is now misaligned garbage) */
		if (n && alen > NLA_HDRLEN)
			na->nla_len = (uint16_t)(NLA_HDRLEN + rnd((uint32_t)(alen - NLA_HDRLEN)));
		break;
	case 4:		/* a longer value: garbage appended to the last attribute */
		if (n) {
			size_t last = at[n - 1], grow = 1 + rnd(64);
			struct nlattr *l = (struct nlattr *)(m->buf + last);

			if (m->len + grow + 4 <= sizeof(m->buf)) {
				for (i = 0; i < grow + 3; i++)
					m->buf[last + l->nla_len + i] = (uint8_t)rnd64();
				l->nla_len = (uint16_t)(l->nla_len + grow);
				m->len = last + NLA_ALIGN(l->nla_len);
			}
		}
		break;
	case 5:		/* an attribute's length lies */
		if (n)
			na->nla_len = chance(2) ? (uint16_t)rnd(4) : (uint16_t)(alen + 4 + rnd(4096));
		break;
	case 6:		/* an edge value */
		if (n && alen > NLA_HDRLEN) {
			e = edges[rnd(sizeof(edges) / sizeof(edges[0]))];
			memcpy(m->buf + a + NLA_HDRLEN, &e,
			       alen - NLA_HDRLEN < 8 ? alen - NLA_HDRLEN : 8);
		}
		break;
	case 7:		/* a flipped bit anywhere after the genl header */
		if (m->len > NLMSG_HDRLEN + GENL_HDRLEN) {
			i = NLMSG_HDRLEN + GENL_HDRLEN + rnd((uint32_t)(m->len - NLMSG_HDRLEN - GENL_HDRLEN));
			m->buf[i] ^= (uint8_t)(1u << rnd(8));
		}
		break;
	case 8:		/* another command */
		m->buf[NLMSG_HDRLEN] = (uint8_t)(chance(3) ? rnd(256) : rnd(KMDUMP_CMD_MAX + 2));
		m->cmd = m->buf[NLMSG_HDRLEN];
		break;
	case 9:		/* version or reserved */
		m->buf[NLMSG_HDRLEN + (chance(2) ? 1 : 2 + rnd(2))] = (uint8_t)rnd(256);
		break;
	case 10:	/* other flags: dump or not, no ack, odd bits */
		nlh(m)->nlmsg_flags ^= chance(2) ? NLM_F_DUMP : chance(2) ? NLM_F_ACK :
				       (uint16_t)(1u << rnd(16));
		nlh(m)->nlmsg_flags |= NLM_F_REQUEST;
		m->dump = (nlh(m)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
		break;
	case 11:	/* the message cut short (consistently) */
		m->len = NLMSG_HDRLEN + rnd((uint32_t)(m->len - NLMSG_HDRLEN + 1));
		break;
	case 12:	/* trailing bytes */
		for (i = 0, e = 1 + rnd(16); i < e && m->len < sizeof(m->buf); i++)
			m->buf[m->len++] = (uint8_t)rnd64();
		break;
	case 13:	/* garbage nested in a range */
		{
			size_t st = nest_start(m, KMDUMP_A_RANGE);

			for (i = 0, e = rnd(6); i < e; i++) {
				uint8_t junk[24];
				size_t j, l = rnd(sizeof(junk));

				for (j = 0; j < l; j++)
					junk[j] = (uint8_t)rnd64();
				put(m, (uint16_t)(rnd(8) | (chance(4) ? NLA_F_NESTED : 0)), junk, l);
			}
			nest_end(m, st);
		}
		break;
	default:	/* the session id of something else */
		put_u32(m, KMDUMP_A_SESSION_ID, (uint32_t)edges[rnd(11)]);
		break;
	}
}

static void random_attrs(struct msg *m, uint16_t family)
{
	unsigned int i, n = rnd(8);

	msg_init(m, family, (uint8_t)(chance(4) ? rnd(256) : rnd(KMDUMP_CMD_MAX + 1)), chance(3));
	for (i = 0; i < n; i++) {
		uint16_t type = (uint16_t)(chance(6) ? rnd(0x4000) : rnd(KMDUMP_A_MAX + 2));

		if (type == KMDUMP_A_RANGE || chance(10)) {
			put_ranges(m, chance(2));
		} else if (chance(2)) {
			put_u32(m, type, (uint32_t)edges[rnd(sizeof(edges) / sizeof(edges[0]))]);
		} else {
			uint8_t junk[80];
			size_t j, l = rnd(sizeof(junk));

			for (j = 0; j < l; j++)
				junk[j] = (uint8_t)rnd64();
			put(m, type, junk, l);
		}
	}
}

static void random_bytes(struct msg *m, uint16_t family)
{
	size_t i, n = rnd(256);

	msg_init(m, family, (uint8_t)rnd(KMDUMP_CMD_MAX + 2), chance(3));
	for (i = 0; i < n; i++)
		m->buf[m->len++] = (uint8_t)rnd64();
}

/* ---- the socket ---- */

struct stats {
	unsigned int sent, answered, unanswered, replies_cut, errors, acks, dumps_done;
	unsigned int no_extack, unmapped, lost;
	unsigned int by_errno[160];
	unsigned int no_msg[KMDUMP_CMD_MAX + 1][160];	/* known command, errno, no message */
};

static struct stats st;
static int sock = -1;
static uint16_t family;

static int sock_open(void)
{
	int one = 1, size = 4 << 20;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sock < 0)
		return -1;
	setsockopt(sock, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	live_session = 0;
	return 0;
}

static uint32_t seq = 1;

static int send_raw(const void *buf, size_t len)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	return sendto(sock, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -1 : 0;
}

/* The errno's entry in the contract's table, or NULL. */
static const struct kmdump_errno_hresult *table_entry(int err)
{
	size_t i;

	for (i = 0; i < sizeof(kmdump_errno_hresults) / sizeof(kmdump_errno_hresults[0]); i++)
		if (kmdump_errno_hresults[i].err == err)
			return &kmdump_errno_hresults[i];
	return NULL;
}

/* The extended-ack message of an error, or "". */
static const char *ext_msg(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	const uint8_t *base = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return "";
	if (h->nlmsg_type == NLMSG_DONE)
		off = sizeof(int);	/* a dump's end: errno, then the TLVs */
	else if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const void *)(base + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN)
			return (const char *)(a + 1);
		off += NLA_ALIGN(a->nla_len);
	}
	return "";
}

/*
 * Refusals the netlink and genetlink core make before any kmdump code runs,
 * without a message the module could add: a message too short for a genl
 * header, a command without a handler of that kind (EOPNOTSUPP), a second
 * dump on a socket whose first dump still runs (EBUSY).
 */
static int core_refusal(int err, int dump, size_t len)
{
	return len < NLMSG_HDRLEN + GENL_HDRLEN || err == EOPNOTSUPP || (dump && err == EBUSY);
}

static const struct msg *current_msg;

/* Notes an error answer to a request of @cmd. */
static void note_error(uint8_t cmd, const struct nlmsghdr *h, int err)
{
	const char *msg = ext_msg(h);
	const struct msg *m = current_msg;
	size_t i;

	st.errors++;
	st.by_errno[err < 160 ? err : 0]++;
	if (cmd < 1 || cmd > KMDUMP_CMD_MAX)
		return;
	if (!table_entry(err)) {
		if (st.unmapped++ < 10)
			printf("# cmd %u refused with errno %d, which the contract's table does not map ('%s')\n",
			       cmd, err, msg);
	}
	if (!msg[0] && !(m && core_refusal(err, m->dump, m->len))) {
		if (!st.no_msg[cmd][err < 160 ? err : 0]++) {
			printf("# cmd %u refused with errno %d (%s) without an extended-ack message; request:",
			       cmd, err, strerror(err));
			for (i = NLMSG_HDRLEN; m && i < m->len && i < NLMSG_HDRLEN + 64; i++)
				printf(" %02x", m->buf[i]);
			printf("\n");
		}
		st.no_extack++;
	}
}

/* A reply carrying a session id for a session-open: remember it. */
static void note_reply(uint8_t cmd, const struct nlmsghdr *h)
{
	const uint8_t *p = (const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
	size_t off = 0, len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	if (cmd != KMDUMP_CMD_SESSION_OPEN || h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const void *)(p + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		if (a->nla_type == KMDUMP_A_SESSION_ID && a->nla_len == NLA_HDRLEN + 4)
			memcpy(&live_session, a + 1, 4);
		off += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Reads answers to request @s until it is complete (an error or ack, a
 * doit's reply, a dump's DONE), for at most @wait_ms. Returns 1 when
 * answered, 0 when not, -1 when the socket was dropped (too many replies).
 */
static int await(uint32_t s, uint8_t cmd, int dump, int ack, unsigned int wait_ms)
{
	static uint8_t buf[1 << 17];
	uint64_t end = now_ms() + wait_ms;
	unsigned int replies = 0;

	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		long left = (long)(end - now_ms());
		ssize_t n;
		struct nlmsghdr *h;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return 0;
		n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				st.lost++;
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return 0;
		}
		for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != s)
				continue;	/* a late answer to an earlier request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					note_error(cmd, h, -e->error);
				else
					st.acks++;
				return 1;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					memcpy(&err, NLMSG_DATA(h), sizeof(int));
				if (err)
					note_error(cmd, h, -err);
				st.dumps_done++;
				return 1;
			}
			note_reply(cmd, h);
			if (++replies > MAX_REPLIES) {
				st.replies_cut++;
				close(sock);	/* in the middle of a dump: the module must cope */
				return sock_open() ? -2 : -1;
			}
			if (!dump && !(h->nlmsg_flags & NLM_F_MULTI) && !ack)
				return 1;
		}
	}
}

/* Sends one message and waits for its answer if one is due. */
static int exchange(struct msg *m)
{
	uint16_t flags;
	int answer, r;

	nlh(m)->nlmsg_seq = ++seq;
	if (chance(40)) {	/* the length field lies: the kernel drops it silently */
		nlh(m)->nlmsg_len = chance(2) ? (uint32_t)rnd(NLMSG_HDRLEN) :
				    (uint32_t)(m->len + 1 + rnd(64));
		m->expect_answer = 0;
	} else if (chance(60)) {	/* not a request: ignored */
		nlh(m)->nlmsg_flags &= (uint16_t)~NLM_F_REQUEST;
		m->expect_answer = 0;
	}
	flags = nlh(m)->nlmsg_flags;
	m->dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	current_msg = m;
	st.sent++;
	if (send_raw(m->buf, m->len))
		return 0;	/* e.g. a datagram the socket layer refuses */
	r = await(seq, m->cmd, (flags & NLM_F_DUMP) == NLM_F_DUMP, !!(flags & NLM_F_ACK),
		  m->expect_answer ? ANSWER_WAIT_MS : 100);
	answer = r != 0;
	if (r == -2)
		return -1;
	if (answer)
		st.answered++;
	else if (m->expect_answer) {
		st.unanswered++;
		printf("# no answer within %d s to message %u (cmd %u, flags 0x%x, %zu bytes)\n",
		       ANSWER_WAIT_MS / 1000, st.sent, m->cmd, flags, m->len);
	}
	return 0;
}

/* Two messages in one datagram: the kernel handles each. */
static int exchange_batch(struct msg *a, struct msg *b)
{
	static uint8_t both[2 * BUF_SIZE];
	size_t la = NLMSG_ALIGN(a->len);

	nlh(a)->nlmsg_seq = ++seq;
	nlh(b)->nlmsg_seq = ++seq;
	memcpy(both, a->buf, a->len);
	memset(both + a->len, 0, la - a->len);
	memcpy(both + la, b->buf, b->len);
	st.sent += 2;
	if (send_raw(both, la + b->len))
		return 0;
	current_msg = a;
	if (await(nlh(a)->nlmsg_seq, a->cmd, a->dump, 1, 100) == -2)
		return -1;
	current_msg = b;
	if (await(nlh(b)->nlmsg_seq, b->cmd, b->dump, 1, 100) == -2)
		return -1;
	return 0;
}

static int resolve_family(void)
{
	struct msg *m = calloc(1, sizeof(*m));
	struct genlmsghdr g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 };
	static uint8_t buf[8192];
	ssize_t n;
	struct nlmsghdr *h;

	if (!m)
		return -1;
	nlh(m)->nlmsg_type = GENL_ID_CTRL;
	nlh(m)->nlmsg_flags = NLM_F_REQUEST;
	nlh(m)->nlmsg_seq = ++seq;
	memcpy(m->buf + NLMSG_HDRLEN, &g, sizeof(g));
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	put(m, CTRL_ATTR_FAMILY_NAME, KMDUMP_FAMILY_NAME, sizeof(KMDUMP_FAMILY_NAME));
	msg_finish(m);
	if (send_raw(m->buf, m->len) || (n = recv(sock, buf, sizeof(buf), 0)) < 0) {
		free(m);
		return -1;
	}
	free(m);
	for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		const uint8_t *p = (const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
		size_t off = 0, len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

		if (h->nlmsg_type != GENL_ID_CTRL)
			return -1;
		while (off + NLA_HDRLEN <= len) {
			const struct nlattr *a = (const void *)(p + off);

			if (a->nla_len < NLA_HDRLEN)
				break;
			if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
				memcpy(&family, a + 1, 2);
				return 0;
			}
			off += NLA_ALIGN(a->nla_len);
		}
	}
	return -1;
}

/*
 * Opens a session on the target from the fuzz socket (a real one to mutate
 * around) when there is none, and now and then anyway (the last one may have
 * been closed or expired; while it lives the target is taken: ERROR_BUSY).
 */
static void ensure_session(struct msg *m, unsigned int i)
{
	if (live_session && i % 25)
		return;
	valid(m, family, KMDUMP_CMD_SESSION_OPEN);
	msg_finish(m);
	nlh(m)->nlmsg_seq = ++seq;
	if (!send_raw(m->buf, m->len))
		await(seq, KMDUMP_CMD_SESSION_OPEN, 0, 1, ANSWER_WAIT_MS);
}

static int fuzz(unsigned int count, unsigned int seconds)
{
	static struct msg a, b;
	uint64_t end = now_ms() + (uint64_t)seconds * 1000;
	unsigned int i, k;

	for (i = 0; i < count && now_ms() < end; i++) {
		if (i % 100 == 0 && ftruncate(w.out_fd, 0))
			return -1;
		ensure_session(&a, i);
		switch (rnd(10)) {
		case 0:
			random_attrs(&a, family);
			break;
		case 1:
			random_bytes(&a, family);
			break;
		default:
			valid(&a, family, (uint8_t)(1 + rnd(KMDUMP_CMD_MAX)));
			if (a.cmd == KMDUMP_CMD_KERNEL_DUMP && !chance(8))
				valid(&a, family, KMDUMP_CMD_SESSION_GET);
			for (k = 1 + (chance(3) ? rnd(3) : 0); k; k--)
				mutate(&a);
			break;
		}
		msg_finish(&a);
		if (chance(30)) {
			valid(&b, family, (uint8_t)(1 + rnd(KMDUMP_CMD_MAX)));
			mutate(&b);
			msg_finish(&b);
			if (b.cmd == KMDUMP_CMD_KERNEL_DUMP)
				continue;
			if (exchange_batch(&a, &b))
				return -1;
			continue;
		}
		if (exchange(&a))
			return -1;
	}
	return 0;
}

/* ---- afterwards: a user's session still works ---- */

static int after_check(void)
{
	static struct msg m;
	static uint8_t buf[1 << 16];
	struct counter_file head;
	int ok = 0, got = 0, i;
	ssize_t n;

	close(sock);
	if (sock_open())
		return 0;
	/* The fuzz socket's sessions end asynchronously: the target may be busy a moment. */
	for (i = 0; i < 100 && !live_session; i++) {
		valid(&m, family, KMDUMP_CMD_SESSION_OPEN);
		msg_finish(&m);
		nlh(&m)->nlmsg_seq = ++seq;
		current_msg = &m;
		if (send_raw(m.buf, m.len) ||
		    await(seq, KMDUMP_CMD_SESSION_OPEN, 0, 1, ANSWER_WAIT_MS) != 1)
			break;
		if (!live_session)
			usleep(100000);
	}
	if (!live_session) {
		printf("# session-open after fuzzing failed\n");
		return 0;
	}
	/* Read the counter file's header where the target maps it. */
	msg_init(&m, family, KMDUMP_CMD_MEM_READ, 1);
	put_u32(&m, KMDUMP_A_SESSION_ID, live_session);
	{
		size_t at = nest_start(&m, KMDUMP_A_RANGE);

		put_u64(&m, KMDUMP_A_RANGE_ADDR, w.counter_addr);
		put_u64(&m, KMDUMP_A_RANGE_LEN, sizeof(head));
		nest_end(&m, at);
	}
	msg_finish(&m);
	nlh(&m)->nlmsg_seq = ++seq;
	if (send_raw(m.buf, m.len))
		return 0;
	while (!got && (n = recv(sock, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *h;

		for (h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const uint8_t *p = (const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
			size_t off = 0, len;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				got = 1;
				break;
			}
			len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			while (off + NLA_HDRLEN <= len) {
				const struct nlattr *a = (const void *)(p + off);

				if (a->nla_len < NLA_HDRLEN)
					break;
				if (a->nla_type == KMDUMP_A_DATA &&
				    a->nla_len >= NLA_HDRLEN + sizeof(head)) {
					memcpy(&head, a + 1, sizeof(head));
					ok = head.magic == COUNTER_MAGIC && head.threads == 4;
				}
				off += NLA_ALIGN(a->nla_len);
			}
		}
	}
	msg_init(&m, family, KMDUMP_CMD_SESSION_CLOSE, 0);
	put_u32(&m, KMDUMP_A_SESSION_ID, live_session);
	msg_finish(&m);
	nlh(&m)->nlmsg_seq = ++seq;
	if (send_raw(m.buf, m.len) || await(seq, KMDUMP_CMD_SESSION_CLOSE, 0, 1, ANSWER_WAIT_MS) != 1)
		ok = 0;
	close(sock);
	return ok;
}

int main(int argc, char **argv)
{
	unsigned int count, seconds, seed, i;
	uint64_t t0;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 3)
		return fprintf(stderr, "usage: fuzz COUNTER-TARGET DIR [COUNT] [SECONDS] [SEED]\n"), 2;
	count = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 0) : 3000;
	seconds = argc > 4 ? (unsigned int)strtoul(argv[4], NULL, 0) : 150;
	seed = argc > 5 ? (unsigned int)strtoul(argv[5], NULL, 0) : (unsigned int)time(NULL);
	rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed << 17 | seed);
	if (relay_output())
		return printf("not ok 1 - set up output\n"), 1;
	printf("# seed %u (replay: fuzz %s %s %u %u %u)\n", seed, argv[1], argv[2], count, seconds,
	       seed);
	if (setup_world(argv[1], argv[2]))
		return printf("not ok 1 - set up the target (%s)\n", strerror(errno)), 1;
	if (sock_open() || resolve_family())
		return printf("not ok 1 - resolve the family %s\n", KMDUMP_FAMILY_NAME), 1;
	t0 = now_ms();
	r = fuzz(count, seconds);
	printf("# sent %u messages in %.1f s: %u answered (%u errors, %u acks, %u dumps done), %u unanswered,"
	       " %u dumps cut off, %u times replies were lost\n", st.sent,
	       (double)(now_ms() - t0) / 1000, st.answered, st.errors, st.acks, st.dumps_done,
	       st.unanswered, st.replies_cut, st.lost);
	for (i = 1; i < 160; i++)
		if (st.by_errno[i])
			printf("#   errno %3u %-14s x%u\n", i,
			       table_entry((int)i) ? table_entry((int)i)->errno_name : "(unmapped)",
			       st.by_errno[i]);
	check(r == 0, "seed %u: %u random and mutated messages sent (bounds %u messages, %u s)",
	      seed, st.sent, count, seconds);
	check(st.unanswered == 0, "seed %u: every request was answered within %d s (%u were not)",
	      seed, ANSWER_WAIT_MS / 1000, st.unanswered);
	check(st.unmapped == 0,
	      "seed %u: every refusal of a kmdump command has an errno the HRESULT table maps (%u did not)",
	      seed, st.unmapped);
	check(st.no_extack == 0,
	      "seed %u: every refusal the module makes carries an extended-ack message (%u did not)",
	      seed, st.no_extack);
	check(after_check(),
	      "after fuzzing, a new socket opens a session, reads the target's memory correctly and closes it");
	counter_mark(&w.target);
	check(counter_all_move_within(&w.target, now_ms(), 10000, &(unsigned long){ 0 }) >= 0,
	      "the target runs: all its threads count");
	counter_stop(&w.target);
	return tap_done();
}
