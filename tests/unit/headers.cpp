// SPDX-License-Identifier: LGPL-2.1-or-later
// The public headers must also compile as C++ (crash handlers are often C++).
#include <kmdump/kmdump.h>
#include <kmdump/minidumpapiset.h>
#include <kmdump/streams.h>

static_assert(sizeof(MINIDUMP_CALLBACK_OUTPUT) == 52, "C++ sees the Windows layout");
static_assert(sizeof(KMDUMP_TASK_ENTRY) == 112, "C++ sees the task entry layout");
static_assert(sizeof(struct kmdump_context) == 1232, "C++ sees the AMD64 context layout");

BOOL CALLBACK cxx_callback(PVOID, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT)
{
	return in->CallbackType == IncludeThreadCallback ? TRUE : FALSE;
}

// The native callback type and DbgHelp's are the same type.
static kmdump_callback_fn native = cxx_callback;
// C++ value-initialises and sets sz (designated initialisers are C++20's).
int cxx_options(void)
{
	kmdump_options o{};

	o.sz = sizeof(o);
	o.callback = native;
	return o.callback != nullptr;
}
static_assert(sizeof(kmdump_options) == 72, "kmdump_options has no padding a newer member could land in");
