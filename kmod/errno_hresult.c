// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the one errno -> HRESULT table. The table itself lives in
 * netlink/kmdump.yaml and reaches us as kmdump_errno_hresults[] in the
 * generated header, so module and library cannot disagree about a mapping.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#define KMDUMP_WANT_TABLES
#include "kmdump.h"
#include "errno_hresult.h"

u32 kmd_errno_to_hresult(int err)
{
	unsigned int i;

	if (err < 0)
		err = -err;
	if (!err)
		return KMDUMP_S_OK;
	for (i = 0; i < ARRAY_SIZE(kmdump_errno_hresults); i++)
		if (kmdump_errno_hresults[i].err == err)
			return kmdump_errno_hresults[i].hresult;
	/* Kernel-internal codes (ERESTARTSYS, ENOTSUPP...) land here too. */
	return KMDUMP_HRESULT_FROM_ERRNO(err);
}

/* The HRESULT's Windows name, for log messages; NULL if it has none. */
const char *kmd_hresult_name(u32 hr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kmdump_hresult_names); i++)
		if (kmdump_hresult_names[i].value == hr)
			return kmdump_hresult_names[i].name;
	return NULL;
}
