// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the one errno -> HRESULT table. The table itself lives in
 * netlink/kmdump.yaml and reaches us as the X-macro KMDUMP_ERRNO_HRESULTS, so
 * module and library cannot disagree about a mapping.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include "kmdump.h"
#include "hresult.h"

struct kmd_errno_hresult {
	int err;
	u32 hr;
};

#define KMD_ERRNO_ENTRY(e, h)	{ .err = (e), .hr = (h) },
static const struct kmd_errno_hresult kmd_errno_hresults[] = {
	KMDUMP_ERRNO_HRESULTS(KMD_ERRNO_ENTRY)
};

#undef KMD_ERRNO_ENTRY

u32 kmd_errno_to_hresult(int err)
{
	unsigned int i;

	if (err < 0)
		err = -err;
	if (!err)
		return KMDUMP_S_OK;
	for (i = 0; i < ARRAY_SIZE(kmd_errno_hresults); i++)
		if (kmd_errno_hresults[i].err == err)
			return kmd_errno_hresults[i].hr;
	/* Kernel-internal codes (ERESTARTSYS, ENOTSUPP...) land here too. */
	return KMDUMP_HRESULT_FROM_ERRNO(err);
}
