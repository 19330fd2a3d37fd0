// SPDX-License-Identifier: LGPL-2.1-or-later
/* LinuxProcStatus from the module's process facts (proc_status.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "proc_status.h"

/* The letter of /proc/<pid>/status's State: line, by KMDUMP_THREAD_STATE_* (1-based). */
static char state_letter(uint32_t state)
{
	static const char letters[] = "RSDTtXZPI";

	if (state < KMDUMP_THREAD_STATE_RUNNING || state > KMDUMP_THREAD_STATE_MAX)
		return '?';
	return letters[state - KMDUMP_THREAD_STATE_RUNNING];
}

HRESULT kmd_proc_status_text(const struct kmd_tr_process *p, struct kmd_blob *out)
{
	char *b = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&b, &len);
	int n;

	if (!f)
		return E_OUTOFMEMORY;
	/* as fs/proc/array.c prints them; memory in kB, as there */
	fprintf(f, "Name:\t%.16s\nUmask:\t%04o\nState:\t%c\nTgid:\t%" PRIu32 "\nPid:\t%" PRIu32
		"\nPPid:\t%" PRIu32 "\nTracerPid:\t%" PRIu32 "\n", p->comm, p->umask,
		state_letter(p->state), p->tgid ? p->tgid : p->pid, p->pid, p->ppid, p->tracer_pid);
	fprintf(f, "Uid:\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\n", p->uid[0],
		p->uid[1], p->uid[2], p->uid[3]);
	fprintf(f, "Gid:\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\n", p->gid[0],
		p->gid[1], p->gid[2], p->gid[3]);
	fprintf(f, "VmPeak:\t%8" PRIu64 " kB\nVmSize:\t%8" PRIu64 " kB\nVmHWM:\t%8" PRIu64
		" kB\nVmRSS:\t%8" PRIu64 " kB\n", p->vm_peak / 1024, p->vm_size / 1024,
		p->vm_hwm / 1024, p->vm_rss / 1024);
	fprintf(f, "VmData:\t%8" PRIu64 " kB\nVmStk:\t%8" PRIu64 " kB\nVmExe:\t%8" PRIu64
		" kB\nVmLib:\t%8" PRIu64 " kB\nVmPTE:\t%8" PRIu64 " kB\nVmSwap:\t%8" PRIu64 " kB\n",
		p->vm_data / 1024, p->vm_stk / 1024, p->vm_exe / 1024, p->vm_lib / 1024,
		p->vm_pte / 1024, p->vm_swap / 1024);
	n = fprintf(f, "Threads:\t%" PRIu32 "\nSigPnd:\t%016" PRIx64 "\nShdPnd:\t%016" PRIx64
		    "\nSigBlk:\t%016" PRIx64 "\n", p->threads, p->sig_pending,
		    p->sig_shared_pending, p->sig_blocked);
	if (fclose(f) || n < 0) {
		free(b);
		return E_OUTOFMEMORY;
	}
	out->data = b;
	out->len = len;
	return S_OK;
}
