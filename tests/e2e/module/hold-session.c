// SPDX-License-Identifier: GPL-2.0
/*
 * hold-session: proves the module refuses to unload while it is in use.
 *
 * It starts a child that sleeps, opens a kmdump session on it over generic netlink (which
 * freezes the child and pins the module), and then asks the kernel to unload the module
 * with delete_module(2), exactly as rmmod does. The unload must be refused and the module
 * must stay live; closing the session then thaws the child. Exits 0 when all of that
 * holds, 1 with a message saying which step differed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kmdump.h"

struct reply {
	int acked;
	int have_hresult;
	unsigned int hresult;
	unsigned int session_id;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct reply *r = arg;
	struct nlattr *tb[KMDUMP_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KMDUMP_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[KMDUMP_A_HRESULT]) {
		r->have_hresult = 1;
		r->hresult = nla_get_u32(tb[KMDUMP_A_HRESULT]);
	}
	if (tb[KMDUMP_A_SESSION_ID])
		r->session_id = nla_get_u32(tb[KMDUMP_A_SESSION_ID]);
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct reply *)arg)->acked = 1;
	return NL_STOP;
}

/* Sends one kmdump request and waits for its reply and acknowledgement. */
static int request(struct nl_sock *sk, int family, int cmd, struct reply *r,
		   int (*fill)(struct nl_msg *, void *), void *data)
{
	struct nl_msg *msg = nlmsg_alloc();
	int err;

	if (!msg)
		return -NLE_NOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
			 KMDUMP_FAMILY_VERSION) || fill(msg, data) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	memset(r, 0, sizeof(*r));
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	err = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !r->acked)
		err = nl_recvmsgs_default(sk);
	return err < 0 ? err : 0;
}

struct open_args {
	pid_t pid;
	int mem_fd;
};

static int fill_open(struct nl_msg *msg, void *data)
{
	struct open_args *a = data;

	if (nla_put_u32(msg, KMDUMP_A_PID, (unsigned int)a->pid) < 0 ||
	    nla_put_s32(msg, KMDUMP_A_MEM_FD, a->mem_fd) < 0 ||
	    nla_put_u32(msg, KMDUMP_A_WATCHDOG_MS, 60000) < 0)
		return -1;
	return 0;
}

static int fill_close(struct nl_msg *msg, void *data)
{
	return nla_put_u32(msg, KMDUMP_A_SESSION_ID, *(unsigned int *)data);
}

static int module_live(void)
{
	char state[16] = "";
	FILE *f = fopen("/sys/module/kmdump/initstate", "r");

	if (!f)
		return 0;
	if (!fgets(state, sizeof(state), f))
		state[0] = 0;
	fclose(f);
	return strncmp(state, "live", 4) == 0;
}

/* The unload attempt of rmmod(8): must be refused while the session pins the module. */
static int unload_refused(void)
{
	if (syscall(SYS_delete_module, "kmdump", O_NONBLOCK) == 0) {
		printf("delete_module(kmdump) succeeded while a session was open\n");
		return 0;
	}
	if (errno != EWOULDBLOCK && errno != EBUSY) {
		printf("delete_module(kmdump) failed, but not as \"in use\": %s\n", strerror(errno));
		return 0;
	}
	printf("delete_module(kmdump) refused while a session is open: %s\n", strerror(errno));
	if (!module_live()) {
		printf("the module is no longer live after the refused unload\n");
		return 0;
	}
	return 1;
}

static int run(struct nl_sock *sk, int family, pid_t child)
{
	struct open_args a = { .pid = child };
	struct reply r;
	char path[64];
	unsigned int id;
	int ok, err;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
	a.mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a.mem_fd < 0) {
		printf("cannot open %s: %s\n", path, strerror(errno));
		return 0;
	}
	err = request(sk, family, KMDUMP_CMD_SESSION_OPEN, &r, fill_open, &a);
	close(a.mem_fd);
	if (err < 0 || !r.have_hresult || r.hresult != KMDUMP_S_OK || !r.session_id) {
		printf("session-open on pid %d failed: %s, hresult %s0x%08x, session %u\n",
		       (int)child, err < 0 ? nl_geterror(err) : "no netlink error",
		       r.have_hresult ? "" : "(none) ", r.hresult, r.session_id);
		return 0;
	}
	printf("session %u open on pid %d\n", r.session_id, (int)child);
	ok = unload_refused();
	id = r.session_id;

	err = request(sk, family, KMDUMP_CMD_SESSION_CLOSE, &r, fill_close, &id);
	if (err < 0 || r.hresult != KMDUMP_S_OK) {
		printf("session-close failed: %s, hresult 0x%08x\n",
		       err < 0 ? nl_geterror(err) : "no netlink error", r.hresult);
		return 0;
	}
	printf("session %u closed\n", id);
	return ok;
}

int main(void)
{
	struct nl_sock *sk;
	int family, ok = 0, status;
	pid_t child = fork();

	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		pause();
		_exit(0);
	}
	sk = nl_socket_alloc();
	if (sk && genl_connect(sk) == 0) {
		family = genl_ctrl_resolve(sk, KMDUMP_FAMILY_NAME);
		if (family < 0)
			printf("family \"%s\" is not registered: %s\n", KMDUMP_FAMILY_NAME,
			       nl_geterror(family));
		else
			ok = run(sk, family, child);
	} else {
		printf("cannot open a generic netlink socket\n");
	}
	nl_socket_free(sk);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return ok ? 0 : 1;
}
