// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "harness.h"

static BOOL recorder(PVOID param, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	struct run *r = param;
	int answer;

	if (r->n < REC_MAX)
		r->types[r->n++] = in->CallbackType;
	if (in->CallbackType < 32)
		r->count[in->CallbackType]++;
	if (in->ProcessId != FAKE_PID || in->ProcessHandle != TEST_PIDFD)
		r->bad_identity = true;
	if (in->CallbackType == KernelMinidumpStatusCallback && r->nstatus < 64)
		r->statuses[r->nstatus++] = in->Status;
	if (in->CallbackType == ReadMemoryFailureCallback && r->nfailures < 64)
		r->failures[r->nfailures++] = in->ReadMemoryFailure;
	if (r->hook) {
		answer = r->hook(r, in, out);
		if (answer >= 0)
			return answer;
	}
	return TRUE; /* keep every preset: the neutral answer */
}

void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	fake_init(&r->f);
	r->fd = memfd_create("dump", MFD_CLOEXEC);
	r->a.pid = FAKE_PID;
	r->a.pidfd = TEST_PIDFD;
	r->a.fd = r->fd;
	r->a.now = TEST_NOW;
	r->a.callback = recorder;
	r->a.callback_param = r;
	r->valid = -1;
}

HRESULT run_dump(struct run *r)
{
	r->hr = kmd_engine_run(&r->f.src, &r->a, &r->res);
	md_free(&r->md);
	if (r->io)
		r->valid = md_load(&r->md, r->io, r->io_len);
	else
		r->valid = md_load_fd(&r->md, r->fd);
	return r->hr;
}

struct run R;

void run_setup(void)
{
	run_init(&R);
}

void run_teardown(void)
{
	run_free(&R);
}

void dump_ok(void)
{
	ck_assert_msg(run_dump(&R) == S_OK, "dump failed: 0x%08x %s", (unsigned)R.hr, R.res.message);
	ck_assert_msg(R.valid == 0, "invalid dump: %s", R.md.err);
}

void run_free(struct run *r)
{
	md_free(&r->md);
	free(r->io);
	if (r->fd >= 0)
		close(r->fd);
}

long run_first(const struct run *r, ULONG type)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->types[i] == type)
			return (long)i;
	return -1;
}

long run_last(const struct run *r, ULONG type)
{
	size_t i;

	for (i = r->n; i > 0; i--)
		if (r->types[i - 1] == type)
			return (long)i - 1;
	return -1;
}

int hook_redirect(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out)
{
	switch (in->CallbackType) {
	case IoStartCallback:
		out->Status = S_FALSE;
		return TRUE;
	case IoWriteAllCallback: {
		size_t end = in->Io.Offset + in->Io.BufferBytes;

		if (end > r->io_len) {
			r->io = realloc(r->io, end);
			memset(r->io + r->io_len, 0, end - r->io_len);
			r->io_len = end;
		}
		memcpy(r->io + in->Io.Offset, in->Io.Buffer, in->Io.BufferBytes);
		out->Status = S_OK;
		return TRUE;
	}
	case IoFinishCallback:
		out->Status = S_OK;
		return TRUE;
	default:
		return -1;
	}
}
