// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The command's callback routine: --verbose tracing, the progress bar, and the kernel
 * dump descriptor for --kernel-dump. It never changes what goes into the dump.
 */
#include <stdio.h>
#include <time.h>
#include "cmd.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void trace(const PMINIDUMP_CALLBACK_INPUT in)
{
	const char *name = kmdump_callback_type_name(in->CallbackType);

	fprintf(stderr, "kmdump: callback %-28s", name ? name : "?");
	switch (in->CallbackType) {
	case IncludeThreadCallback:
		fprintf(stderr, " tid %u", in->IncludeThread.ThreadId);
		break;
	case ThreadCallback:
	case ThreadExCallback:
		fprintf(stderr, " tid %u rip 0x%llx stack [0x%llx, 0x%llx)", in->Thread.ThreadId,
			(unsigned long long)in->Thread.Context.Rip,
			(unsigned long long)in->Thread.StackBase, (unsigned long long)in->Thread.StackEnd);
		break;
	case IncludeModuleCallback:
		fprintf(stderr, " base 0x%llx", (unsigned long long)in->IncludeModule.BaseOfImage);
		break;
	case ModuleCallback:
		fprintf(stderr, " base 0x%llx size 0x%x", (unsigned long long)in->Module.BaseOfImage,
			in->Module.SizeOfImage);
		break;
	case ReadMemoryFailureCallback:
		fprintf(stderr, " 0x%llx +%u: 0x%08x %s",
			(unsigned long long)in->ReadMemoryFailure.Offset, in->ReadMemoryFailure.Bytes,
			(unsigned int)in->ReadMemoryFailure.FailureStatus,
			kmdump_strerror(in->ReadMemoryFailure.FailureStatus));
		break;
	case KernelMinidumpStatusCallback:
		fprintf(stderr, " 0x%08x %s", (unsigned int)in->Status, kmdump_strerror(in->Status));
		break;
	}
	fputc('\n', stderr);
}

static void draw(struct cmd_state *s, bool force)
{
	uint64_t t = now_ns();
	unsigned int pct, i;

	if (!s->progress || !s->total || (!force && t - s->last_draw_ns < 100000000ull))
		return;
	s->last_draw_ns = t;
	pct = s->done >= s->total ? 100 : (unsigned int)(s->done * 100 / s->total);
	fprintf(stderr, "\r[");
	for (i = 0; i < 40; i++)
		fputc(i < pct * 40 / 100 ? '#' : '.', stderr);
	fprintf(stderr, "] %3u%% %llu/%llu MiB", pct, (unsigned long long)(s->done >> 20),
		(unsigned long long)(s->total >> 20));
	fflush(stderr);
}

void cmd_progress_end(struct cmd_state *s)
{
	if (s->progress && s->total && s->last_draw_ns) {
		s->done = s->total;
		draw(s, true);
		fputc('\n', stderr);
	}
}

BOOL cmd_callback(PVOID param, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	struct cmd_state *s = param;

	if (s->verbose && in->CallbackType != CancelCallback)
		trace(in);
	switch (in->CallbackType) {
	case IncludeThreadCallback:
	case IncludeModuleCallback:
	case ThreadCallback:
	case ThreadExCallback:
	case ModuleCallback:
		return TRUE; /* keep everything with the default flags */
	case IncludeVmRegionCallback:
		/* one callback per region, just before it is read: count the previous one */
		s->done += s->pending;
		s->pending = out->VmRegion.RegionSize;
		draw(s, false);
		return TRUE; /* keep each region whole (Continue is preset TRUE) */
	case CancelCallback:
		out->CheckCancel = s->progress ? TRUE : FALSE;
		out->Cancel = FALSE;
		draw(s, false);
		return TRUE;
	case WriteKernelMinidumpCallback:
		if (s->kernel_fd < 0)
			return FALSE;
		out->Handle = s->kernel_fd;
		return TRUE;
	default:
		return FALSE; /* the documented "not handled" answer */
	}
}
