// SPDX-License-Identifier: LGPL-2.1-or-later
/* The native API: kmdump_write_dump() and kmdump_write_dump_file(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "api.h"

void kmdump_options_init(struct kmdump_options *o, pid_t pid)
{
	memset(o, 0, sizeof(*o));
	o->pid = pid;
	o->fd = -1;
	o->pidfd = -1;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

HRESULT kmd_dump_pid(kmd_open_fn open_source, struct kmd_dump_args *a, struct kmdump_result *res)
{
	struct kmd_source src = { 0 };
	int own_pidfd = -1;
	HRESULT hr;

	memset(res, 0, sizeof(*res));
	if ((int32_t)a->pid <= 0) {
		snprintf(res->message, sizeof(res->message), "invalid process id %d", (int)a->pid);
		return E_INVALIDARG;
	}
	/* bad arguments are refused before the target is touched */
	hr = kmd_engine_check_args(a, res);
	if (FAILED(hr))
		return hr;
	if (a->pidfd < 0) {
		/* ProcessHandle is a pidfd; without one (kernel < 5.3) callbacks see -1 */
		own_pidfd = open_pidfd((pid_t)a->pid);
		if (own_pidfd < 0 && errno == ESRCH) {
			snprintf(res->message, sizeof(res->message),
				 "no process %u: check the pid (it may have exited)", a->pid);
			return (HRESULT)KMDUMP_E_INVALID_CID;
		}
		a->pidfd = own_pidfd;
	}
	hr = open_source(&src, a->pid, res->message, sizeof(res->message));
	if (SUCCEEDED(hr)) {
		hr = kmd_engine_run(&src, a, res);
		src.ops->close(src.ctx);
	}
	if (own_pidfd >= 0)
		close(own_pidfd);
	return hr;
}

static void args_from_options(struct kmd_dump_args *a, const struct kmdump_options *o)
{
	memset(a, 0, sizeof(*a));
	a->pid = (uint32_t)o->pid;
	a->pidfd = o->pidfd;
	a->fd = o->fd;
	a->dump_type = o->dump_type;
	a->flags = o->flags;
	a->exception = o->exception;
	a->user_streams = o->user_streams;
	a->user_stream_count = o->user_stream_count;
	a->callback = o->callback;
	a->callback_param = o->callback_param;
	a->max_size = o->max_size;
	a->stack_limit = o->stack_limit;
	a->now = time(NULL);
}

/* Common entry checks: a result to fill (the caller's or a scratch one) and options. */
static HRESULT begin_dump(const struct kmdump_options *o, struct kmdump_result **result,
			  struct kmdump_result *scratch, struct kmd_dump_args *a)
{
	if (!*result)
		*result = scratch;
	if (!o) {
		memset(*result, 0, sizeof(**result));
		snprintf((*result)->message, sizeof((*result)->message), "no options given");
		return E_INVALIDARG;
	}
	args_from_options(a, o);
	return S_OK;
}

HRESULT kmdump_write_dump(const struct kmdump_options *o, struct kmdump_result *result)
{
	struct kmdump_result local;
	struct kmd_dump_args a;
	HRESULT hr = begin_dump(o, &result, &local, &a);

	if (FAILED(hr))
		return hr;
	return kmd_dump_pid(kmd_source_kmod_open, &a, result);
}

HRESULT kmd_dump_path(kmd_open_fn open_source, struct kmd_dump_args *a, const char *path,
		      struct kmdump_result *res)
{
	HRESULT hr;
	int fd;

	memset(res, 0, sizeof(*res));
	if (!path || !*path) {
		snprintf(res->message, sizeof(res->message), "no output path given");
		return E_INVALIDARG;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int err = errno;

		snprintf(res->message, sizeof(res->message), "cannot create %s: %s", path, strerror(err));
		return kmd_hresult_from_errno(err);
	}
	a->fd = fd;
	hr = kmd_dump_pid(open_source, a, res);
	if (close(fd) && SUCCEEDED(hr)) {
		hr = kmd_hresult_from_errno(errno);
		snprintf(res->message, sizeof(res->message), "closing %s failed: %s", path, strerror(errno));
	}
	if (FAILED(hr))
		unlink(path); /* never leave a partial dump behind */
	return hr;
}

HRESULT kmdump_write_dump_file(const struct kmdump_options *o, const char *path,
			       struct kmdump_result *result)
{
	struct kmdump_result local;
	struct kmd_dump_args a;
	HRESULT hr = begin_dump(o, &result, &local, &a);

	if (FAILED(hr))
		return hr;
	return kmd_dump_path(kmd_source_kmod_open, &a, path, result);
}
