// SPDX-License-Identifier: GPL-2.0
/*
 * compat-writer: a dump writer written ONLY against the Windows-compatible header
 * <kmdump/minidumpapiset.h> (no kmdump_* call, no <kmdump/kmdump.h>), the way a program
 * ported from Windows calls DbgHelp: a MINIDUMP_CALLBACK_ROUTINE that keeps threads and
 * modules, adds one memory block and cancels nothing, MiniDumpWriteDump with HANDLEs, and
 * GetLastError() on failure. The Linux differences the header documents: a HANDLE is a
 * file descriptor and hProcess a pidfd.
 *
 *   compat-writer PID DUMP [ADDRESS-HEX SIZE]
 *
 * With ADDRESS and SIZE, the MemoryCallback adds that block of the target to the dump.
 * Prints, one per line:
 *   callback <CallbackType number> <count>     for every type that was called
 *   written <bytes>                           when MiniDumpWriteDump returned TRUE
 *   failed 0x<GetLastError()>                 when it returned FALSE
 *   bad-flag 0x<GetLastError()>               MiniDumpWithHandleData (refused on Linux)
 *   no-process 0x<GetLastError()>             a process id that does not exist
 * Exit status 0 when the dump was written and both bad calls failed, 1 otherwise.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <kmdump/minidumpapiset.h>

#define CALLBACK_TYPES 21

struct seen {
	unsigned long count[CALLBACK_TYPES];
	ULONG64 extra_base; /* the block MemoryCallback adds, if any */
	ULONG extra_size;
	BOOL extra_given;
};

static BOOL CALLBACK dump_callback(PVOID param, const PMINIDUMP_CALLBACK_INPUT input,
				   PMINIDUMP_CALLBACK_OUTPUT output)
{
	struct seen *seen = param;

	if (input->CallbackType < CALLBACK_TYPES)
		seen->count[input->CallbackType]++;
	switch (input->CallbackType) {
	case IncludeThreadCallback:
	case IncludeModuleCallback:
	case ThreadCallback:
	case ThreadExCallback:
	case ModuleCallback:
		return TRUE; /* keep every thread and module with the default flags */
	case MemoryCallback:
		if (seen->extra_given || !seen->extra_size)
			return FALSE;
		output->MemoryBase = seen->extra_base;
		output->MemorySize = seen->extra_size;
		seen->extra_given = TRUE;
		return TRUE;
	case CancelCallback:
		output->Cancel = FALSE;
		output->CheckCancel = FALSE;
		return TRUE;
	default:
		return FALSE;
	}
}

int main(int argc, char **argv)
{
	MINIDUMP_CALLBACK_INFORMATION info;
	struct seen seen = { 0 };
	DWORD pid;
	HANDLE process, file;
	BOOL ok;
	int rc = 0;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: %s PID DUMP [ADDRESS-HEX SIZE]\n", argv[0]);
		return 2;
	}
	pid = (DWORD)strtoul(argv[1], NULL, 10);
	process = (HANDLE)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	file = open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (process < 0 || file < 0) {
		perror("compat-writer");
		return 1;
	}

	info.CallbackRoutine = dump_callback;
	info.CallbackParam = &seen;
	if (argc == 5) {
		seen.extra_base = strtoull(argv[3], NULL, 16);
		seen.extra_size = (ULONG)strtoul(argv[4], NULL, 0);
	}
	ok = MiniDumpWriteDump(process, pid, file,
			       MiniDumpWithThreadInfo | MiniDumpWithProcessThreadData |
				       MiniDumpWithFullMemoryInfo,
			       NULL, NULL, &info);
	for (int t = 0; t < CALLBACK_TYPES; t++)
		if (seen.count[t])
			printf("callback %d %lu\n", t, seen.count[t]);
	if (ok) {
		printf("written %lld\n", (long long)lseek(file, 0, SEEK_END));
	} else {
		printf("failed 0x%08x\n", (unsigned int)GetLastError());
		rc = 1;
	}
	close(file);

	/* What Windows code checks after a failed call: FALSE and GetLastError(). */
	file = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ok = MiniDumpWriteDump(process, pid, file, MiniDumpWithHandleData, NULL, NULL, NULL);
	printf("bad-flag 0x%08x\n", ok ? 0u : (unsigned int)GetLastError());
	rc |= ok || !GetLastError();
	ok = MiniDumpWriteDump(INVALID_HANDLE_VALUE, 0x3ffffff0, file, MiniDumpNormal, NULL, NULL,
			       NULL);
	printf("no-process 0x%08x\n", ok ? 0u : (unsigned int)GetLastError());
	rc |= ok || !GetLastError();
	close(file);
	close(process);
	return rc;
}
