/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kmdump generic netlink family: registration, the operations table and
 * helpers shared by the handlers in genl.c (sessions, kernel dump),
 * genl_snapshot.c (process, threads, VMAs) and genl_mem.c (memory).
 */
#ifndef KMDUMP_GENL_H
#define KMDUMP_GENL_H

#include <net/genetlink.h>

struct kmd_session;

extern struct genl_family kmd_genl_family;

enum kmd_mcgrp {
	KMD_MCGRP_STATUS,
};

int kmd_genl_init(void);
void kmd_genl_exit(void);

/*
 * cb->ctx of every kmdump dump: a refusal held back from ->start (see
 * kmd_nl_dump_start()), then the op's own cursor.
 */
struct kmd_dump_refusal {
	int err;
	const char *msg;
};

#define KMD_DUMP_CURSOR_MAX \
	(sizeof_field(struct netlink_callback, ctx) - sizeof(struct kmd_dump_refusal))

/* Shared helpers (genl.c). */
int kmd_nl_dump_start(struct netlink_callback *cb, int (*start)(struct netlink_callback *cb));
int kmd_nl_dump_refused(struct netlink_callback *cb);
void *kmd_nl_dump_cursor(struct netlink_callback *cb);
struct kmd_session *kmd_nl_session(struct sk_buff *skb, struct genl_info *info);
struct kmd_session *kmd_nl_dump_session(struct netlink_callback *cb);
const struct nlattr *kmd_nl_dump_attr(const struct netlink_callback *cb, int type);
void *kmd_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb);
int kmd_nl_put_u64(struct sk_buff *skb, int type, u64 value);

/* The session layer's answers to session-open and session-close (session.h). */
extern const struct kmd_session_answers kmd_nl_session_answers;

/* The handlers and the ops table are generated: netlink/kmdump-policy.h. */

#endif /* KMDUMP_GENL_H */
