/* SPDX-License-Identifier: GPL-2.0 */
/*
 * errno -> HRESULT, through the one table generated into netlink/kmdump.h
 * (kmdump_errno_hresults[]). The library maps netlink errors with the same
 * table.
 */
#ifndef KMDUMP_ERRNO_HRESULT_H
#define KMDUMP_ERRNO_HRESULT_H

#include <linux/types.h>

/* @err: 0, or an errno of either sign. Never fails: see the fallback rule in kmdump.h. */
u32 kmd_errno_to_hresult(int err);
const char *kmd_hresult_name(u32 hr);

#endif /* KMDUMP_ERRNO_HRESULT_H */
