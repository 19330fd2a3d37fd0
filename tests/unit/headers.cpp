// SPDX-License-Identifier: LGPL-2.1-or-later
// The public headers must also compile as C++ (crash handlers are often C++).
#include <kmdump/kmdump.h>
#include <kmdump/minidumpapiset.h>

static_assert(sizeof(MINIDUMP_CALLBACK_OUTPUT) == 52, "C++ sees the Windows layout");
static_assert(sizeof(KMDUMP_TASK_ENTRY) == 112, "C++ sees the task entry layout");

BOOL CALLBACK cxx_callback(PVOID, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT)
{
	return in->CallbackType == IncludeThreadCallback ? TRUE : FALSE;
}
