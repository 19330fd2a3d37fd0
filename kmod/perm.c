// SPDX-License-Identifier: GPL-2.0
/*
 * The proof of access. ptrace_may_access() is not exported, so the caller
 * opens /proc/<pid>/mem itself: that open ran mm_access(PTRACE_MODE_ATTACH |
 * PTRACE_MODE_FSCREDS) with the caller's credentials (uid/gid match or
 * CAP_SYS_PTRACE, dumpability, Yama, LSMs), exactly what /proc/<pid>/mem
 * readers get. mem_open() (fs/proc/base.c, same in 6.1 and 6.12) stores the
 * mm it checked in file->private_data (mmgrab'ed, NULL if the task had none).
 *
 * We accept the file only if it is on procfs, named "mem" directly inside a
 * numeric (pid or tid) directory, open for reading, and its mm is the
 * target's current mm. The name matters: /proc/<pid>/environ and auxv keep
 * the mm in private_data too but were opened with the weaker
 * PTRACE_MODE_READ. The mm equality also defeats pid reuse and exec after the
 * open (exec gives the process a new mm). This relies on a procfs internal
 * (private_data of mem files) that has been stable since 2012; the e2e tests
 * check it on every supported kernel.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/ctype.h>
#include <linux/dcache.h>
#include <linux/capability.h>
#include <linux/security.h>
#include <linux/netlink.h>
#include <net/netlink.h>
#include "perm.h"

static bool kmd_name_is_number(const struct dentry *d)
{
	const struct qstr *q = &d->d_name;
	unsigned int i;

	if (!q->len)
		return false;
	for (i = 0; i < q->len; i++)
		if (!isdigit(q->name[i]))
			return false;
	return true;
}

bool kmd_perm_is_proc_mem(const struct file *f)
{
	const struct dentry *d = f->f_path.dentry;
	bool ok;

	if (file_inode(f)->i_sb->s_magic != PROC_SUPER_MAGIC ||
	    !S_ISREG(file_inode(f)->i_mode))
		return false;
	if (d->d_name.len != 3 || memcmp(d->d_name.name, "mem", 3))
		return false;
	rcu_read_lock();
	ok = kmd_name_is_number(READ_ONCE(d->d_parent));
	rcu_read_unlock();
	return ok;
}

int kmd_perm_mem_fd(const struct nlattr *fd_attr, struct mm_struct *mm,
		    struct netlink_ext_ack *extack)
{
	struct file *f = fget(nla_get_s32(fd_attr));
	int err = 0;

	if (!f) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr,
				    "mem-fd is not an open file descriptor of the caller");
		return -EBADF;
	}
	if (!kmd_perm_is_proc_mem(f)) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr,
				    "mem-fd is not a /proc/<pid>/mem file: open /proc/<pid>/mem of the target and pass that");
		err = -EACCES;
	} else if (!(f->f_mode & FMODE_READ)) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr, "mem-fd must be open for reading");
		err = -EACCES;
	} else if (!f->private_data) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr,
				    "mem-fd names a thread that had exited when it was opened: use /proc/<pid>/task/<tid>/mem of a live thread");
		err = -ESRCH;
	} else if (!mm || f->private_data != mm) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr,
				    "mem-fd belongs to another process (or the target exec'd since it was opened): reopen /proc/<pid>/mem");
		err = -EACCES;
	}
	fput(f);
	return err;
}

int kmd_perm_kernel_state(const struct sk_buff *skb, struct netlink_ext_ack *extack)
{
	int err;

	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "kernel stacks and kernel dumps need CAP_SYS_ADMIN (as /proc/<pid>/stack does)");
		return -EPERM;
	}
	err = security_locked_down(LOCKDOWN_DBG_READ_KERNEL);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack,
				   "refused: the kernel is locked down (confidentiality), kernel state cannot be read");
		return err;
	}
	return 0;
}

/* The caller's output file: a regular file open for writing, not O_APPEND. */
struct file *kmd_perm_out_fd(const struct nlattr *fd_attr, struct netlink_ext_ack *extack)
{
	struct file *f = fget(nla_get_s32(fd_attr));
	int err = 0;

	if (!f) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr,
				    "out-fd is not an open file descriptor of the caller");
		return ERR_PTR(-EBADF);
	}
	if (!(f->f_mode & FMODE_WRITE)) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr, "out-fd must be open for writing");
		err = -EBADF;
	} else if (!S_ISREG(file_inode(f)->i_mode)) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr,
				    "out-fd must be a regular file (bytes are written at offsets)");
		err = -ESPIPE;
	} else if (f->f_flags & O_APPEND) {
		NL_SET_ERR_MSG_ATTR(extack, fd_attr,
				    "out-fd must not be O_APPEND (bytes are written at offsets)");
		err = -EINVAL;
	}
	if (err) {
		fput(f);
		return ERR_PTR(err);
	}
	return f;
}
