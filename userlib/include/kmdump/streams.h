/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MDMP streams libkmdump writes beyond DbgHelp's: Breakpad's Linux streams and
 * kmdump's kernel-stack table, for readers of kmdump's dumps. Uses the MINIDUMP_* types
 * of <kmdump/minidumpapiset.h>.
 */
#ifndef KMDUMP_STREAMS_H
#define KMDUMP_STREAMS_H

#include <kmdump/minidumpapiset.h>

/* Breakpad's Linux streams (minidump-format.md §5.1). */
#define KMDUMP_STREAM_LINUX_CPU_INFO 0x47670003u
#define KMDUMP_STREAM_LINUX_PROC_STATUS 0x47670004u
#define KMDUMP_STREAM_LINUX_LSB_RELEASE 0x47670005u
#define KMDUMP_STREAM_LINUX_CMD_LINE 0x47670006u
#define KMDUMP_STREAM_LINUX_ENVIRON 0x47670007u
#define KMDUMP_STREAM_LINUX_AUXV 0x47670008u
#define KMDUMP_STREAM_LINUX_MAPS 0x47670009u
#define KMDUMP_CV_SIGNATURE_ELF 0x4270454Cu /* 'BpEL' */

/*
 * The kernel-stack stream, type KMDUMP_STREAM_THREAD_KSTACKS (from the contract): one
 * entry per dumped thread, in the same table format as the kernel dump's
 * KMDUMP_STREAM_KERNEL_TASKS stream (kmod/kdump.c), so one reader serves both:
 *   header  KMDUMP_TASK_LIST (16 bytes)
 *   entries KMDUMP_TASK_ENTRY[NumberOfEntries] (112 bytes each; DataSize is exactly
 *           16 + 112 * N; the frame text lives outside the stream, by RVA)
 * State is the contract's enum kmdump_thread_state (scheduler state). In user dumps
 * Flags holds the contract's thread-flags (KMDUMP_THREAD_FLAGS_*) instead of PF_* flags
 * (the module does not report those for user threads). Frames points at FrameCount
 * NUL-terminated UTF-8 strings "function+0x1c/0x80 [module]", innermost first
 * (DataSize 0 when the kernel stack was not captured or was refused).
 */
#pragma pack(push, 4)
typedef struct _KMDUMP_TASK_LIST {
	ULONG32 SizeOfHeader; /* 16 */
	ULONG32 SizeOfEntry;  /* 112 */
	ULONG32 NumberOfEntries;
	ULONG32 Reserved;
} KMDUMP_TASK_LIST;

typedef struct _KMDUMP_TASK_ENTRY {
	ULONG32 Pid; /* the thread id */
	ULONG32 Tgid;
	ULONG32 PPid;
	ULONG32 State;
	ULONG32 Flags;
	ULONG32 Cpu;
	LONG Prio;
	LONG Nice;
	ULONG64 UtimeNs;
	ULONG64 StimeNs;
	ULONG64 StartBoottimeNs;
	ULONG64 Nvcsw;
	ULONG64 Nivcsw;
	char Comm[16];
	ULONG32 FrameCount;
	MINIDUMP_LOCATION_DESCRIPTOR Frames;
	MINIDUMP_LOCATION_DESCRIPTOR Wchan;
	ULONG32 OnCpu;
} KMDUMP_TASK_ENTRY;
#pragma pack(pop)
#if defined(__cplusplus)
#define KMDUMP_TASK_SA static_assert
#else
#define KMDUMP_TASK_SA _Static_assert
#endif
KMDUMP_TASK_SA(sizeof(KMDUMP_TASK_LIST) == 16, "KMDUMP_TASK_LIST");
KMDUMP_TASK_SA(sizeof(KMDUMP_TASK_ENTRY) == 112, "KMDUMP_TASK_ENTRY");
KMDUMP_TASK_SA(offsetof(KMDUMP_TASK_ENTRY, Comm) == 72, "KMDUMP_TASK_ENTRY.Comm");
KMDUMP_TASK_SA(offsetof(KMDUMP_TASK_ENTRY, Frames) == 92, "KMDUMP_TASK_ENTRY.Frames");
KMDUMP_TASK_SA(offsetof(KMDUMP_TASK_ENTRY, OnCpu) == 108, "KMDUMP_TASK_ENTRY.OnCpu");
#undef KMDUMP_TASK_SA

#endif /* KMDUMP_STREAMS_H */
