// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What every part of the engine calls back into: the first failure of a dump, the
 * caller's callback routine, and the cancel poll. Kept apart from engine.c (the callback
 * sequence) so that the parts it calls (sink, memread, policy, streams, exception) do not
 * call back into it.
 */
#include <stdarg.h>
#include <stdio.h>
#include "engine.h"

HRESULT kmd_eng_fail(struct eng *e, HRESULT hr, const char *fmt, ...)
{
	va_list ap;

	if (FAILED(e->err))
		return e->err; /* keep the first cause */
	e->err = hr;
	if (e->res) {
		va_start(ap, fmt);
		vsnprintf(e->res->message, sizeof(e->res->message), fmt, ap);
		va_end(ap);
	}
	return hr;
}

BOOL kmd_eng_callback(struct eng *e, ULONG type, MINIDUMP_CALLBACK_INPUT *in,
		  MINIDUMP_CALLBACK_OUTPUT *out)
{
	if (!e->a->callback)
		return FALSE;
	in->ProcessId = e->a->pid;
	in->ProcessHandle = e->a->pidfd;
	in->CallbackType = type;
	return e->a->callback(e->a->callback_param, in, out);
}

HRESULT kmd_eng_poll_cancel(struct eng *e)
{
	MINIDUMP_CALLBACK_INPUT in = { 0 };
	MINIDUMP_CALLBACK_OUTPUT out = { 0 };

	if (!e->polling)
		return S_OK;
	out.CheckCancel = TRUE;
	out.Cancel = FALSE;
	if (!kmd_eng_callback(e, CancelCallback, &in, &out))
		return S_OK;
	if (out.Cancel)
		return kmd_eng_fail(e, (HRESULT)KMDUMP_E_CANCELLED, "the dump was cancelled by the callback");
	if (!out.CheckCancel)
		e->polling = false;
	return S_OK;
}

