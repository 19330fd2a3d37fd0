// SPDX-License-Identifier: GPL-2.0
/*
 * Memory a capture allocates: charged to the session's limit and to its
 * user's (limits.h), and allocated with __GFP_ACCOUNT in the memory cgroup the
 * worker runs in (the opener's). A leaf: every engine file allocates here,
 * and this file calls only limits.c.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include "capture.h"
#include "limits.h"

/* Charges the session's limit, then its user's; -EDQUOT names the one hit. */
int kmd_mem_charge(struct kmd_capture *c, u64 bytes)
{
	u64 now = atomic64_add_return(bytes, &c->mem_used);

	if (c->mem_limit && now > c->mem_limit) {
		atomic64_sub(bytes, &c->mem_used);
		kmd_limit_hit(c,
			      "kmdump: the snapshot exceeds session_mem_max_mb, the kernel memory one session may use: have root raise /sys/module/kmdump/parameters/session_mem_max_mb");
		return -EDQUOT;
	}
	if (c->user && kmd_user_mem_charge(c->user, bytes)) {
		atomic64_sub(bytes, &c->mem_used);
		kmd_limit_hit(c,
			      "kmdump: this user's captures together exceed user_mem_max_mb: close a session, or have root raise /sys/module/kmdump/parameters/user_mem_max_mb");
		return -EDQUOT;
	}
	return 0;
}

void kmd_mem_uncharge(struct kmd_capture *c, u64 bytes)
{
	atomic64_sub(bytes, &c->mem_used);
	if (c->user)
		kmd_user_mem_uncharge(c->user, bytes);
}

void *kmd_alloc(struct kmd_capture *c, size_t size)
{
	void *p;

	if (!size || kmd_mem_charge(c, size))
		return NULL;
	p = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!p)
		kmd_mem_uncharge(c, size);
	return p;
}

void kmd_free(struct kmd_capture *c, void *p, size_t size)
{
	if (!p)
		return;
	kvfree(p);
	kmd_mem_uncharge(c, size);
}
