// SPDX-License-Identifier: GPL-2.0
/*
 * kmdump: freeze a process, capture its state and its threads' kernel state,
 * and report every step as an HRESULT over the "kmdump" generic netlink
 * family (netlink/kmdump.yaml).
 *
 * Init brings up the session layer first and registers the family last, so
 * no request can arrive before everything it needs exists; exit does the
 * reverse. Each session holds a module reference, so rmmod is refused while
 * any session is open (and while a park work of the capture engine is still
 * queued on a blocked thread: capture.h).
 */
#include <linux/module.h>
#include "genl.h"
#include "session.h"

static int __init kmd_init(void)
{
	int err = kmd_sessions_init(&kmd_nl_session_answers);

	if (err)
		return err;
	err = kmd_genl_init();
	if (err)
		kmd_sessions_exit();
	return err;
}

static void __exit kmd_exit(void)
{
	kmd_genl_exit();
	kmd_sessions_exit();
}

module_init(kmd_init);
module_exit(kmd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmdump: kernel-assisted minidumps with HRESULT status over generic netlink");
MODULE_ALIAS_GENL_FAMILY("kmdump");
