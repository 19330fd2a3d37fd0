// SPDX-License-Identifier: GPL-2.0
/*
 * kmdump limits (limits.h).
 *
 * Each limit is a module parameter, writable by root at run time, and every
 * refusal names the parameter that raises it. Defaults let one user dump
 * big processes while leaving room for others: a single user can hold at
 * most a quarter of the machine's sessions, so it cannot lock root or anyone
 * else out of kmdump.
 *
 * Lock order: kmd_users_lock (spinlock) is a leaf. Callers may hold
 * kmd_sessions_lock around it; nothing is taken under it.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/hashtable.h>
#include <linux/spinlock.h>
#include <linux/slab.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <net/netlink.h>
#include "kmdump.h"
#include "limits.h"

unsigned int kmd_max_sessions = KMDUMP_MAX_SESSIONS;
module_param_named(max_sessions, kmd_max_sessions, uint, 0644);
MODULE_PARM_DESC(max_sessions,
		 "Sessions open at once on the machine, all users together (default 32)");

unsigned int kmd_max_sessions_per_user = 8;
module_param_named(max_sessions_per_user, kmd_max_sessions_per_user, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_user,
		 "Sessions one user (uid in the initial user namespace) may hold at once (default 8)");

unsigned int kmd_session_mem_max_mb = KMDUMP_SESSION_MEM_MAX >> 20;
module_param_named(session_mem_max_mb, kmd_session_mem_max_mb, uint, 0644);
MODULE_PARM_DESC(session_mem_max_mb,
		 "Kernel memory one session's capture may use, in MiB (default 256; 0: no limit)");

unsigned int kmd_user_mem_max_mb = 1024;
module_param_named(user_mem_max_mb, kmd_user_mem_max_mb, uint, 0644);
MODULE_PARM_DESC(user_mem_max_mb,
		 "Kernel memory all captures of one user may use together, in MiB (default 1024; 0: no limit)");

unsigned int kmd_max_parks = 65536;
module_param_named(max_parks, kmd_max_parks, uint, 0644);
MODULE_PARM_DESC(max_parks,
		 "Park works queued and not yet run, on the whole machine (default 65536)");

unsigned int kmd_max_parks_per_target = 16384;
module_param_named(max_parks_per_target, kmd_max_parks_per_target, uint, 0644);
MODULE_PARM_DESC(max_parks_per_target,
		 "Threads of one target the freeze may queue park works on (default 16384)");

static DEFINE_SPINLOCK(kmd_users_lock);
static DEFINE_HASHTABLE(kmd_users, 6);

static struct kmd_user *kmd_user_lookup(kuid_t uid)
{
	struct kmd_user *u;

	lockdep_assert_held(&kmd_users_lock);
	hash_for_each_possible(kmd_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* The account of @uid, with a reference; NULL only when out of memory. */
struct kmd_user *kmd_user_get(kuid_t uid)
{
	struct kmd_user *u, *fresh;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	spin_lock(&kmd_users_lock);
	u = kmd_user_lookup(uid);
	if (u) {
		refcount_inc(&u->ref);
	} else if (fresh) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		atomic64_set(&u->mem_used, 0);
		refcount_set(&u->ref, 1);
		hash_add(kmd_users, &u->node, __kuid_val(uid));
	}
	spin_unlock(&kmd_users_lock);
	kfree(fresh);
	return u;
}

void kmd_user_put(struct kmd_user *u)
{
	if (!u)
		return;
	spin_lock(&kmd_users_lock);
	if (!refcount_dec_and_test(&u->ref)) {
		spin_unlock(&kmd_users_lock);
		return;
	}
	hash_del(&u->node);
	spin_unlock(&kmd_users_lock);
	WARN_ON_ONCE(atomic64_read(&u->mem_used) || u->sessions);
	kfree(u);
}

/*
 * Takes one of @u's sessions, given @total sessions on the machine now, or
 * refuses with -EUSERS and a message naming the parameter to raise.
 */
int kmd_user_session_take(struct kmd_user *u, unsigned int total,
			  struct netlink_ext_ack *extack)
{
	unsigned int per_user = READ_ONCE(kmd_max_sessions_per_user);
	int err = 0;

	spin_lock(&kmd_users_lock);
	if (u->sessions >= per_user) {
		NL_SET_ERR_MSG_MOD(extack,
				   "this user holds max_sessions_per_user sessions already: close one, or have root raise /sys/module/kmdump/parameters/max_sessions_per_user");
		err = -EUSERS;
	} else if (total >= READ_ONCE(kmd_max_sessions)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "max_sessions sessions are open on the machine: close one, or have root raise /sys/module/kmdump/parameters/max_sessions");
		err = -EUSERS;
	} else {
		u->sessions++;
	}
	spin_unlock(&kmd_users_lock);
	return err;
}

void kmd_user_session_drop(struct kmd_user *u)
{
	spin_lock(&kmd_users_lock);
	u->sessions--;
	spin_unlock(&kmd_users_lock);
}

/* Charges @bytes to @u's captures, or -EDQUOT past user_mem_max_mb. */
int kmd_user_mem_charge(struct kmd_user *u, u64 bytes)
{
	u64 limit = kmd_mb(READ_ONCE(kmd_user_mem_max_mb));
	u64 now = atomic64_add_return(bytes, &u->mem_used);

	if (limit && now > limit) {
		atomic64_sub(bytes, &u->mem_used);
		return -EDQUOT;
	}
	return 0;
}

void kmd_user_mem_uncharge(struct kmd_user *u, u64 bytes)
{
	atomic64_sub(bytes, &u->mem_used);
}
