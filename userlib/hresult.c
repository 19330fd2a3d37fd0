// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HRESULT names and messages, and errno -> HRESULT, from the contract's one table
 * (netlink/kmdump.h with KMDUMP_WANT_TABLES: this file owns the library's copy).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#define KMDUMP_WANT_TABLES
#include "engine.h"

#define KMD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct kmdump_hresult_name *hr_find(HRESULT hr)
{
	size_t i;

	for (i = 0; i < KMD_ARRAY_SIZE(kmdump_hresult_names); i++)
		if ((HRESULT)kmdump_hresult_names[i].value == hr)
			return &kmdump_hresult_names[i];
	return NULL;
}

HRESULT kmd_hresult_from_errno(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	if (!err)
		return S_OK;
	for (i = 0; i < KMD_ARRAY_SIZE(kmdump_errno_hresults); i++)
		if (kmdump_errno_hresults[i].err == err)
			return (HRESULT)kmdump_errno_hresults[i].hresult;
	return (HRESULT)KMDUMP_HRESULT_FROM_ERRNO(err);
}

const char *kmdump_hresult_name(HRESULT hr)
{
	const struct kmdump_hresult_name *x = hr_find(hr);

	return x ? x->name : NULL;
}

const char *kmdump_strerror(HRESULT hr)
{
	static _Thread_local char buf[160];
	const struct kmdump_hresult_name *x = hr_find(hr);
	uint32_t u = (uint32_t)hr;

	if (x)
		return x->message;
	if (KMDUMP_HRESULT_IS_ERRNO(u)) {
		errno = KMDUMP_HRESULT_ERRNO(u); /* %m: strerror without its shared buffer */
		snprintf(buf, sizeof(buf), "Linux error %d: %m", KMDUMP_HRESULT_ERRNO(u));
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s 0x%08x (facility %u, code %u)",
		 FAILED(hr) ? "Error" : "Status", u, (u >> 16) & 0x7FFu, u & 0xFFFFu);
	return buf;
}

static const char *const callback_names[] = {
	"ModuleCallback", "ThreadCallback", "ThreadExCallback", "IncludeThreadCallback",
	"IncludeModuleCallback", "MemoryCallback", "CancelCallback",
	"WriteKernelMinidumpCallback", "KernelMinidumpStatusCallback", "RemoveMemoryCallback",
	"IncludeVmRegionCallback", "IoStartCallback", "IoWriteAllCallback", "IoFinishCallback",
	"ReadMemoryFailureCallback", "SecondaryFlagsCallback", "IsProcessSnapshotCallback",
	"VmStartCallback", "VmQueryCallback", "VmPreReadCallback", "VmPostReadCallback",
};

const char *kmdump_callback_type_name(uint32_t type)
{
	return type < KMD_ARRAY_SIZE(callback_names) ? callback_names[type] : NULL;
}
