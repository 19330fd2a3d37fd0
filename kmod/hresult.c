// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the one errno -> HRESULT table. The table itself lives in
 * netlink/kmdump.yaml and reaches us as the X-macro KMDUMP_ERRNO_HRESULTS, so
 * module and library cannot disagree about a mapping.
 */
#include <linux/errno.h>
#include "kmdump.h"
#include "hresult.h"

u32 kmd_errno_to_hresult(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return KMDUMP_S_OK;
#define KMD_ERRNO_CASE(e, hr)	case e: return hr;
	KMDUMP_ERRNO_HRESULTS(KMD_ERRNO_CASE)
#undef KMD_ERRNO_CASE
	default:
		/* Kernel-internal codes (ERESTARTSYS, ENOTSUPP...) land here too. */
		return KMDUMP_HRESULT_FROM_ERRNO(err);
	}
}
