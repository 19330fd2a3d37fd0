// SPDX-License-Identifier: GPL-2.0
/*
 * genl-query FAMILY...: asks the generic netlink controller for each family
 * (CTRL_CMD_GETFAMILY, what every genetlink user does first) and prints
 * "family NAME id=N ms=T", or "family NAME missing". Exits 0 when every family
 * answered. A test runs it in the background and only waits for it as long as
 * it likes: a stalled genetlink leaves it blocked in sendmsg(2).
 */
#include <stdio.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "counter-file.h"

int main(int argc, char **argv)
{
	struct nl_sock *sk = nl_socket_alloc();
	int i, id, rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!sk || genl_connect(sk))
		return printf("genl-query: cannot open a generic netlink socket\n"), 2;
	for (i = 1; i < argc; i++) {
		uint64_t t = now_ms();

		id = genl_ctrl_resolve(sk, argv[i]);
		if (id < 0) {
			printf("family %s missing\n", argv[i]);
			rc = 1;
		} else {
			printf("family %s id=%d ms=%llu\n", argv[i], id,
			       (unsigned long long)(now_ms() - t));
		}
	}
	nl_socket_free(sk);
	return rc;
}
