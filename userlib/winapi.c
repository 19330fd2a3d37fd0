// SPDX-License-Identifier: LGPL-2.1-or-later
/* MiniDumpWriteDump for Linux (see <kmdump/minidumpapiset.h>). */
#include <string.h>
#include "api.h"

static _Thread_local DWORD last_error;

DWORD kmdump_GetLastError(void)
{
	return last_error;
}

BOOL WINAPI MiniDumpWriteDump(HANDLE hProcess, DWORD ProcessId, HANDLE hFile,
			      MINIDUMP_TYPE DumpType,
			      PMINIDUMP_EXCEPTION_INFORMATION ExceptionParam,
			      PMINIDUMP_USER_STREAM_INFORMATION UserStreamParam,
			      PMINIDUMP_CALLBACK_INFORMATION CallbackParam)
{
	struct kmdump_user_stream streams[KMD_MAX_USER_STREAMS];
	struct kmdump_result res;
	struct kmd_dump_args a;
	HRESULT hr;
	uint32_t i;

	memset(&a, 0, sizeof(a));
	a.pid = ProcessId;
	a.pidfd = (hProcess > 0 && hProcess != INVALID_HANDLE_VALUE) ? (int)hProcess : -1;
	a.fd = hFile == INVALID_HANDLE_VALUE ? -1 : (int)hFile;
	a.dump_type = (uint32_t)DumpType;
	a.win_exception = ExceptionParam;
	if (UserStreamParam) {
		/* The engine refuses more than it has room for before reading any. */
		a.user_stream_count = UserStreamParam->UserStreamCount;
		a.user_streams = UserStreamParam->UserStreamArray ? streams : NULL;
		for (i = 0; a.user_streams && i < a.user_stream_count && i < KMD_MAX_USER_STREAMS; i++) {
			const MINIDUMP_USER_STREAM *s = &UserStreamParam->UserStreamArray[i];

			streams[i] = (struct kmdump_user_stream){ s->Type, s->BufferSize, s->Buffer };
		}
	}
	if (CallbackParam) {
		a.callback = CallbackParam->CallbackRoutine;
		a.callback_param = CallbackParam->CallbackParam;
	}
	a.now = time(NULL);
	hr = kmd_dump_pid(kmd_source_kmod_open, &a, &res);
	if (FAILED(hr)) {
		last_error = (DWORD)hr;
		return FALSE;
	}
	return TRUE;
}
