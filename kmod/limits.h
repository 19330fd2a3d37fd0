/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmdump limits: the module parameters that bound what callers may hold, and
 * the per-user account that enforces them (limits.c). kmod/SECURITY.md says
 * which abuse each limit stops.
 */
#ifndef KMDUMP_LIMITS_H
#define KMDUMP_LIMITS_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct netlink_ext_ack;

/* Module parameters (read at each use, so a change applies to new work). */
extern unsigned int kmd_max_sessions;
extern unsigned int kmd_max_sessions_per_user;
extern unsigned int kmd_session_mem_max_mb;
extern unsigned int kmd_user_mem_max_mb;
extern unsigned int kmd_max_parks;
extern unsigned int kmd_max_parks_per_target;

/*
 * One user's account: the sessions it holds and the kernel memory their
 * captures use. Users are uids in the initial user namespace, so a user
 * namespace cannot mint fresh accounts.
 */
struct kmd_user {
	kuid_t uid;
	unsigned int sessions;		/* under kmd_users_lock */
	atomic64_t mem_used;		/* bytes, charged by the capture engine */
	refcount_t ref;			/* sessions + captures that charge it */
	struct hlist_node node;		/* kmd_users, under kmd_users_lock */
};

struct kmd_user *kmd_user_get(kuid_t uid);
void kmd_user_put(struct kmd_user *u);
int kmd_user_session_take(struct kmd_user *u, unsigned int total,
			  struct netlink_ext_ack *extack);
void kmd_user_session_drop(struct kmd_user *u);
int kmd_user_mem_charge(struct kmd_user *u, u64 bytes);
void kmd_user_mem_uncharge(struct kmd_user *u, u64 bytes);

static inline u64 kmd_mb(unsigned int mb)
{
	return (u64)mb << 20;
}

#endif /* KMDUMP_LIMITS_H */
