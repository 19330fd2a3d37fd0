// SPDX-License-Identifier: LGPL-2.1-or-later
/* HRESULT names and messages, generated from the contract's one table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "engine.h"

struct hr_entry {
	HRESULT hr;
	const char *name;
	const char *message;
};

#define KMD_HR_ENTRY(cname, value, winname, msg) { (HRESULT)(value), winname, msg },
static const struct hr_entry hr_table[] = { KMDUMP_HRESULTS(KMD_HR_ENTRY) };
#undef KMD_HR_ENTRY

static const struct hr_entry *hr_find(HRESULT hr)
{
	size_t i;

	for (i = 0; i < sizeof(hr_table) / sizeof(hr_table[0]); i++)
		if (hr_table[i].hr == hr)
			return &hr_table[i];
	return NULL;
}

const char *kmdump_hresult_name(HRESULT hr)
{
	const struct hr_entry *x = hr_find(hr);

	return x ? x->name : NULL;
}

const char *kmdump_strerror(HRESULT hr)
{
	static _Thread_local char buf[160];
	const struct hr_entry *x = hr_find(hr);
	uint32_t u = (uint32_t)hr;

	if (x)
		return x->message;
	if ((u & 0xFFFF0000u) == ((uint32_t)KMDUMP_HRESULT_FROM_ERRNO(0) & 0xFFFF0000u)) {
		errno = (int)(u & 0xFFFFu); /* %m: strerror without its shared buffer */
		snprintf(buf, sizeof(buf), "Linux error %u: %m", u & 0xFFFFu);
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
	return type < sizeof(callback_names) / sizeof(callback_names[0]) ? callback_names[type] : NULL;
}
