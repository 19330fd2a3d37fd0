// SPDX-License-Identifier: GPL-2.0
/*
 * Paths as the requester sees them.
 *
 * The capture runs in a worker, whose root is the machine's, so a plain
 * d_path() there would show a chrooted or containerised requester the host's
 * layout. A file is named only if it lies under the requester's root
 * (path_is_under()), and then with the root's own path cut off the front:
 * "/srv/jail/usr/lib/libc.so.6" becomes "/usr/lib/libc.so.6" for a requester
 * chrooted in /srv/jail. A file outside that root gets no name at all.
 * (__d_path(), which resolves against any root, is not exported.)
 */
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "capture_internal.h"

/*
 * @p's name relative to @root, in @buf (PATH_MAX bytes, @rbuf the same for
 * the root's own name), or NULL if @p is outside @root or has no name.
 */
const char *kmd_path_in_root(const struct path *p, const struct path *root,
			     char *buf, char *rbuf)
{
	const char *name, *rname;
	size_t rlen;

	if (!root->mnt || !path_is_under((struct path *)p, (struct path *)root))
		return NULL;
	name = d_path(p, buf, PATH_MAX);
	rname = d_path(root, rbuf, PATH_MAX);
	if (IS_ERR(name) || IS_ERR(rname))
		return NULL;
	rlen = strlen(rname);
	if (rlen == 1)
		return name;	/* the requester's root is "/" */
	if (strncmp(name, rname, rlen) || (name[rlen] && name[rlen] != '/'))
		return NULL;	/* renamed meanwhile: say nothing rather than guess */
	return name[rlen] ? name + rlen : "/";
}
