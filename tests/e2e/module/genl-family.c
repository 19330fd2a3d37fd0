// SPDX-License-Identifier: GPL-2.0
/*
 * genl-family: asks the kernel, through libnl-genl, whether kmdump's generic netlink
 * family is registered, the way every kmdump client finds it.
 *
 *   genl-family           the family must resolve, with the contract's version and its
 *                         "status" multicast group; prints the family id
 *   genl-family --absent  the family must NOT be registered (after rmmod)
 *
 * Exits 0 when the expectation holds, 1 with a message saying what differs.
 */
#include <stdio.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>

#include "kmdump.h"

static int expect_present(struct nl_sock *sk)
{
	struct nl_cache *cache = NULL;
	struct genl_family *fam;
	int id, grp, version, err;

	id = genl_ctrl_resolve(sk, KMDUMP_FAMILY_NAME);
	if (id < 0) {
		printf("family \"%s\" is not registered: %s\n", KMDUMP_FAMILY_NAME, nl_geterror(id));
		return 1;
	}
	err = genl_ctrl_alloc_cache(sk, &cache);
	if (err < 0) {
		printf("cannot list generic netlink families: %s\n", nl_geterror(err));
		return 1;
	}
	fam = genl_ctrl_search_by_name(cache, KMDUMP_FAMILY_NAME);
	version = fam ? (int)genl_family_get_version(fam) : -1;
	if (fam)
		genl_family_put(fam);
	nl_cache_free(cache);
	if (version != KMDUMP_FAMILY_VERSION) {
		printf("family \"%s\" has version %d, the contract says %d\n", KMDUMP_FAMILY_NAME,
		       version, KMDUMP_FAMILY_VERSION);
		return 1;
	}
	grp = genl_ctrl_resolve_grp(sk, KMDUMP_FAMILY_NAME, KMDUMP_MCGRP_STATUS);
	if (grp < 0) {
		printf("family \"%s\" has no multicast group \"%s\": %s\n", KMDUMP_FAMILY_NAME,
		       KMDUMP_MCGRP_STATUS, nl_geterror(grp));
		return 1;
	}
	printf("family \"%s\" id %d version %d, group \"%s\" id %d\n", KMDUMP_FAMILY_NAME, id,
	       version, KMDUMP_MCGRP_STATUS, grp);
	return 0;
}

static int expect_absent(struct nl_sock *sk)
{
	int id = genl_ctrl_resolve(sk, KMDUMP_FAMILY_NAME);

	if (id >= 0) {
		printf("family \"%s\" is still registered (id %d)\n", KMDUMP_FAMILY_NAME, id);
		return 1;
	}
	if (id != -NLE_OBJ_NOTFOUND) {
		printf("resolving family \"%s\" failed: %s\n", KMDUMP_FAMILY_NAME, nl_geterror(id));
		return 1;
	}
	printf("family \"%s\" is not registered\n", KMDUMP_FAMILY_NAME);
	return 0;
}

int main(int argc, char **argv)
{
	struct nl_sock *sk;
	int absent = argc == 2 && strcmp(argv[1], "--absent") == 0;
	int err, rc;

	if (argc > 2 || (argc == 2 && !absent)) {
		fprintf(stderr, "usage: %s [--absent]\n", argv[0]);
		return 2;
	}
	sk = nl_socket_alloc();
	if (!sk) {
		printf("out of memory\n");
		return 1;
	}
	err = genl_connect(sk);
	if (err < 0) {
		printf("cannot open a generic netlink socket: %s\n", nl_geterror(err));
		nl_socket_free(sk);
		return 1;
	}
	rc = absent ? expect_absent(sk) : expect_present(sk);
	nl_socket_free(sk);
	return rc;
}
