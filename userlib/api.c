// SPDX-License-Identifier: LGPL-2.1-or-later
/* The native API: kmdump_write_dump() and kmdump_write_dump_file(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "api.h"
#include "opts.h"

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

/* The caller's options, checked, as the engine's arguments (opts may be NULL). */
static HRESULT args_from_options(struct kmd_dump_args *a, pid_t pid, int fd,
				 const struct kmdump_options *o, struct kmdump_result *res)
{
	memset(a, 0, sizeof(*a));
	a->pid = (uint32_t)pid;
	a->fd = fd;
	a->now = time(NULL);
	a->pidfd = -1;
	if (!o)
		return S_OK;
	if (!kmd_opts_check(o, o->sz, sizeof(*o), "kmdump_options", res->message,
			    sizeof(res->message)))
		return E_INVALIDARG;
	if (KMD_OPTS_GET(o, reserved, 0)) {
		snprintf(res->message, sizeof(res->message), "kmdump_options.reserved must be 0");
		return E_INVALIDARG;
	}
	a->dump_type = KMD_OPTS_GET(o, dump_type, 0);
	a->flags = KMD_OPTS_GET(o, flags, 0);
	a->exception = KMD_OPTS_GET(o, exception, NULL);
	a->user_streams = KMD_OPTS_GET(o, user_streams, NULL);
	a->callback = KMD_OPTS_GET(o, callback, NULL);
	a->callback_param = KMD_OPTS_GET(o, callback_param, NULL);
	a->max_size = KMD_OPTS_GET(o, max_size, 0);
	a->user_stream_count = KMD_OPTS_GET(o, user_stream_count, 0);
	a->stack_limit = KMD_OPTS_GET(o, stack_limit, 0);
	if (KMD_OPTS_GET(o, pidfd, 0) > 0)
		a->pidfd = o->pidfd;
	return S_OK;
}

/*
 * The caller's result gets the first sz bytes of ours (sz kept), so a caller built
 * against an older header never sees a member it does not know written past its struct.
 * A result whose sz is too small to trust is left alone: the HRESULT still says it.
 */
static void result_out(struct kmdump_result *out, const struct kmdump_result *r)
{
	size_t sz;

	if (!out || out->sz < sizeof(out->sz))
		return;
	sz = out->sz < sizeof(*r) ? out->sz : sizeof(*r);
	memcpy((char *)out + sizeof(out->sz), (const char *)r + sizeof(r->sz),
	       sz - sizeof(r->sz));
}

/* Both entry points: options checked, then a dump to fd or to a file created at path. */
static HRESULT write_dump(pid_t pid, int fd, const char *path, const struct kmdump_options *o,
			  struct kmdump_result *result)
{
	struct kmdump_result r = { .sz = sizeof(r) };
	struct kmd_dump_args a;
	HRESULT hr;

	if (result && result->sz < sizeof(result->sz))
		hr = E_INVALIDARG; /* no room to say why: the HRESULT must do */
	else
		hr = args_from_options(&a, pid, fd, o, &r);
	if (SUCCEEDED(hr))
		hr = path ? kmd_dump_path(kmd_source_kmod_open, &a, path, &r) :
			    kmd_dump_pid(kmd_source_kmod_open, &a, &r);
	result_out(result, &r);
	return hr;
}

int32_t kmdump_write_dump(pid_t pid, int fd, const struct kmdump_options *o,
			  struct kmdump_result *result)
{
	return write_dump(pid, fd, NULL, o, result);
}

int32_t kmdump_write_dump_file(pid_t pid, const char *path, const struct kmdump_options *o,
			       struct kmdump_result *result)
{
	return write_dump(pid, -1, path ? path : "", o, result);
}
