/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One dump run against the fake source, with a recording callback: every test builds
 * a run, changes what it is about, calls run_dump() and asserts on the result, the
 * recorded callback stream and the parsed file.
 */
#ifndef KMDUMP_TEST_HARNESS_H
#define KMDUMP_TEST_HARNESS_H

#include <check.h>
#include "fake_source.h"
#include "mdmp_check.h"

#define REC_MAX 8192
#define TEST_PIDFD 77
#define TEST_NOW 1750000000

struct run;
/* Return 0 or 1 to answer FALSE/TRUE yourself, -1 to let the default answer. */
typedef int (*hook_fn)(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out);

struct run {
	struct fake f;
	struct kmd_dump_args a;
	struct kmdump_result res;
	int fd;
	HRESULT hr;
	struct md md;
	int valid; /* md_load result: 0 valid */
	/* recorded callbacks */
	ULONG types[REC_MAX];
	size_t n;
	unsigned int count[32];
	bool bad_identity; /* some callback had the wrong ProcessId/ProcessHandle */
	hook_fn hook;
	void *hook_arg;
	int hook_int;  /* free for hooks */
	uint64_t hook_u64;
	/* IoWriteAll sink */
	uint8_t *io;
	size_t io_len;
	/* the last inputs of interest */
	HRESULT statuses[64];
	size_t nstatus;
	MINIDUMP_READ_MEMORY_FAILURE_CALLBACK failures[64];
	size_t nfailures;
};

void run_init(struct run *r);
/* The run of the current test, for suites that use the fixture run_setup/run_teardown. */
extern struct run R;
void run_setup(void);
void run_teardown(void);
/* run_dump(&R) succeeds and the file it wrote is a valid MDMP. */
void dump_ok(void);
HRESULT run_dump(struct run *r);
void run_free(struct run *r);
/* index of the first/last recorded callback of a type, -1 if none */
long run_first(const struct run *r, ULONG type);
long run_last(const struct run *r, ULONG type);
/* a hook that turns on I/O redirection into r->io */
int hook_redirect(struct run *r, PMINIDUMP_CALLBACK_INPUT in, PMINIDUMP_CALLBACK_OUTPUT out);

Suite *writer_suite(void);
Suite *callbacks_suite(void);
Suite *args_suite(void);
Suite *support_suite(void);
Suite *readers_suite(void);
Suite *api_suite(void);
Suite *compat_suite(void);
Suite *buildid_suite(void);
Suite *module_map_suite(void);

#endif
