/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Permission checks (DESIGN decision 6): the caller proves ptrace-read access
 * with an open /proc/<pid>/mem descriptor; kernel state needs CAP_SYS_ADMIN
 * and no lockdown confidentiality. All of these run in the requester's
 * context (a genl doit or dump start), where its descriptors resolve.
 */
#ifndef KMDUMP_PERM_H
#define KMDUMP_PERM_H

#include <linux/types.h>

struct file;
struct mm_struct;
struct nlattr;
struct sk_buff;
struct netlink_ext_ack;

int kmd_perm_mem_fd(const struct nlattr *fd_attr, struct mm_struct *mm,
		    struct netlink_ext_ack *extack);
int kmd_perm_kernel_state(const struct sk_buff *skb, struct netlink_ext_ack *extack);
struct file *kmd_perm_out_fd(const struct nlattr *fd_attr, struct netlink_ext_ack *extack);
bool kmd_perm_is_proc_mem(const struct file *f);

#endif /* KMDUMP_PERM_H */
