/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkmdump: write a standard minidump (MDMP) of a Linux process, with the kmdump kernel
 * module freezing the process and DbgHelp's callback stream delivered to the caller.
 *
 * Link with `pkg-config --cflags --libs kmdump`. This header is the native API and
 * defines no Windows names: HRESULTs are int32_t values named by <kmdump/uapi.h>
 * (KMDUMP_S_OK, KMDUMP_E_INVALIDARG, ...). The MINIDUMP_* types, the callback structures
 * (struct kmdump_callback_input/output are MINIDUMP_CALLBACK_INPUT/OUTPUT), the Windows
 * spellings (HRESULT, S_OK, ...) and MiniDumpWriteDump come from
 * <kmdump/minidumpapiset.h>; kmdump's own MDMP streams are in <kmdump/streams.h>.
 *
 * ABI: the library keeps its binary interface the way libbpf does. Every exported symbol
 * is named in a versioned node of its version script, options and results are structs
 * whose first member is their size (declare them with KMDUMP_OPTS() and
 * KMDUMP_RESULT_INIT), new members are only ever appended, and a caller built against an
 * older header keeps working: members past its size read as zero.
 *
 * Thread safety: every call works on its own session (its own netlink socket, its own
 * kernel session); several dumps may run at once from one process. The library keeps no
 * global state apart from the per-thread GetLastError value of the Windows API.
 *
 * Dumping the calling process works (the calling thread is never held; give its
 * registers in the exception information), but as with DbgHelp a crash handler should
 * rather start a helper process to write the dump: the library allocates memory and
 * talks to the kernel while the process's other threads are held, and one of them may
 * hold a lock the library needs.
 *
 * ==================================================================================
 * The callback stream
 * ==================================================================================
 * Every MINIDUMP_CALLBACK_TYPE is delivered, always in this order ("poll" = a
 * CancelCallback, sent until the callback answers CheckCancel = FALSE):
 *
 *   1. IsProcessSnapshotCallback  Output.Status preset E_NOTIMPL. The target is always a
 *                                 frozen process, i.e. a snapshot; S_FALSE is accepted and
 *                                 changes nothing, any other answer is ignored.
 *   2. VmStartCallback            Output.Status preset E_NOTIMPL. TRUE + S_FALSE turns on
 *                                 VmQuery/VmPreRead/VmPostRead (steps 12, 13).
 *   3. IoStartCallback            Input.Io.Handle = the output descriptor; Output.Status
 *                                 preset E_NOTIMPL. TRUE + S_FALSE: every write becomes an
 *                                 IoWriteAllCallback (step 15) and the descriptor is never
 *                                 touched (it may be -1).
 *   4. SecondaryFlagsCallback     Output.SecondaryFlags preset 0. Bits outside
 *                                 MiniSecondaryValidFlags fail the dump (E_INVALIDARG).
 *                                 MiniSecondaryWithoutPowerInfo writes MiscInfo version 1
 *                                 (24 bytes) instead of version 2 (with CPU MHz).
 *   5. CancelCallback             first poll. Output.CheckCancel preset TRUE, Cancel FALSE.
 *                                 TRUE + Cancel=TRUE fails the dump with
 *                                 HRESULT_FROM_WIN32(ERROR_CANCELLED) (0x800704C7) at any
 *                                 poll; TRUE + CheckCancel=FALSE ends polling; FALSE leaves
 *                                 polling on. Polls also come before every item of steps
 *                                 6-11 and 14 and before every memory block that is read.
 *   6. IncludeThreadCallback      per thread (Input.IncludeThread.ThreadId); Output
 *                                 .ThreadWriteFlags preset to the defaults (below). FALSE
 *                                 drops the thread; TRUE keeps it with flags AND-ed with
 *                                 what came back (bits can only be cleared). The module
 *                                 freezes the whole thread group at once, so a dropped
 *                                 thread is held like the others but left out of the dump.
 *   7. IncludeModuleCallback      per module (Input.IncludeModule.BaseOfImage); Output
 *                                 .ModuleWriteFlags preset; FALSE drops it; AND mask.
 *   8. ThreadCallback, or ThreadExCallback when the dump type has
 *      MiniDumpWithProcessThreadData: per included thread, with ThreadId, ThreadHandle
 *      (0), the full CONTEXT, SizeOfContext (1232), StackBase/StackEnd (low and high end
 *      of the stack range that will be written) and for ThreadEx BackingStoreBase/End =
 *      the thread-pointer block (fs_base) written for ThreadWriteThreadData. FALSE drops
 *      the thread; flags AND-ed. Clearing ThreadWriteThread drops it too; clearing
 *      ThreadWriteContext writes it with ContextFlags = CONTEXT_AMD64 only (no registers);
 *      clearing ThreadWriteStack writes no stack memory.
 *   9. ModuleCallback             per included module: FullPath (UTF-16), BaseOfImage,
 *                                 SizeOfImage, CvRecord/SizeOfCvRecord (the 'BpEL' record
 *                                 with the GNU build id). FALSE drops it; flags AND-ed;
 *                                 clearing ModuleWriteModule drops it, clearing
 *                                 ModuleWriteCvRecord writes no CodeView record.
 *  10. MemoryCallback loop        (not for MiniDumpWithFullMemory) each TRUE answer adds
 *                                 [MemoryBase, +MemorySize); FALSE or MemorySize 0 ends it.
 *  11. RemoveMemoryCallback loop  (not for full memory) each answer cuts a range out of
 *                                 the blocks (IP windows, flag-driven blocks and what the
 *                                 Memory loop added), splitting them; a thread's stack is
 *                                 one block kept whole (clear ThreadWriteStack to drop it).
 *                                 FALSE or size 0 ends it.
 *  12. VmQueryCallback            (VM callbacks on) once per mapping, Input.VmQuery.Offset =
 *                                 its start; Output.VmQueryStatus preset E_NOTIMPL. S_OK
 *                                 replaces the MemoryInfoList entry with VmQueryResult;
 *                                 E_NOTIMPL or FALSE keeps ours; another error stops the
 *                                 queries for the rest of the dump.
 *  13. Memory reads. Every read of target memory (stacks, blocks, full memory, thread
 *      data, exception records with ClientPointers) is, with VM callbacks on, bracketed by
 *      VmPreReadCallback (VmReadStatus preset E_NOTIMPL; S_OK + VmReadBytesCompleted = N
 *      means the callee filled the first N bytes of Buffer itself) and VmPostReadCallback
 *      (Completed/Status = the result; the callee may patch Buffer and change
 *      VmReadStatus/VmReadBytesCompleted, which become the result).
 *      ReadMemoryFailureCallback comes for every failed read of a non-stack block, once
 *      per contiguous unreadable run (Offset = address, Bytes, FailureStatus); Output
 *      .Status preset S_FALSE (S_OK with MiniDumpIgnoreInaccessibleMemory): TRUE + S_OK
 *      leaves the run out (the block is split around it), anything else fails the dump
 *      with FailureStatus. A failed read inside a thread's stack fails the dump without a
 *      callback (documented DbgHelp behaviour).
 *  14. IncludeVmRegionCallback    (full memory only) once per readable mapping, Output
 *                                 .VmRegion preset to its MINIDUMP_MEMORY_INFO, Continue
 *                                 preset TRUE. The region may be shrunk to a page-aligned
 *                                 subset (size 0 leaves it out); a region that is not a
 *                                 subset fails with E_INVALIDARG. FALSE or Continue=FALSE
 *                                 stops the region callbacks and fails the dump with
 *                                 E_ABORT, as documented.
 *  15. IoWriteAllCallback         (I/O redirected) for every write, header and directory
 *                                 last: Io.Offset (from the start of the dump), Buffer,
 *                                 BufferBytes; Output.Status preset E_FAIL, must be S_OK
 *                                 with TRUE, else the dump fails with that status (E_FAIL
 *                                 for FALSE). Writes are not sequential.
 *      IoFinishCallback           (I/O redirected) once after the last write; Status
 *                                 preset E_FAIL; anything but TRUE + S_OK fails the dump.
 *  16. WriteKernelMinidumpCallback after the user dump is complete; Output.Handle preset
 *                                 INVALID_HANDLE_VALUE. TRUE with a descriptor asks the
 *                                 module to write a kernel minidump of the target's threads
 *                                 into it (needs CAP_SYS_ADMIN). The target is released
 *                                 after this step, so both dumps show the same moment.
 *  17. KernelMinidumpStatusCallback Input.Status = the HRESULT the module reported for
 *                                 that kernel dump. The same callback also carries, as they
 *                                 arrive, the module's status events for this session
 *                                 (freeze, failed reads, thaw), in Input.Status. The
 *                                 module's status group is admin-only: without
 *                                 CAP_SYS_ADMIN only the session-open status arrives.
 * Input.ProcessId and Input.ProcessHandle (a pidfd) are filled for every callback.
 * A NULL callback routine behaves like one that returns FALSE everywhere.
 *
 * Default write flags: threads Thread|Stack|Context|InstructionWindow, plus ThreadData
 * with MiniDumpWithProcessThreadData and ThreadInfo with MiniDumpWithThreadInfo; modules
 * Module|MiscRecord|CvRecord, plus DataSeg (WithDataSegs), TlsData
 * (WithProcessThreadData), CodeSegs (WithCodeSegs), ReferencedByMemory (ScanMemory, for
 * modules that a stack points into).
 *
 * ==================================================================================
 * MINIDUMP_TYPE on Linux
 * ==================================================================================
 * Honoured:
 *   MiniDumpNormal                 threads, contexts, stacks (sp & ~4095 up to
 *                                  stack_limit, clipped to the mapping), modules, the IP
 *                                  window (256 bytes around each IP), and the streams below.
 *   MiniDumpWithDataSegs           writable file-backed mappings of each module.
 *   MiniDumpWithFullMemory         every readable mapping, in a Memory64List (stacks too;
 *                                  stacks stay in the MemoryList for Breakpad).
 *   MiniDumpFilterMemory           stack words that are not pointers into a module or a
 *                                  stack are written as zero.
 *   MiniDumpScanMemory             modules no stack points into lose
 *                                  ModuleReferencedByMemory and are left out.
 *   MiniDumpWithUnloadedModules    an UnloadedModuleListStream; Linux records no unloaded
 *                                  libraries, so it always has 0 entries.
 *   MiniDumpWithIndirectlyReferencedMemory  256 bytes around every stack word that points
 *                                  into a readable private mapping (heap, anon).
 *   MiniDumpFilterModulePaths      module names without their directories.
 *   MiniDumpWithProcessThreadData  the thread pointer block (fs_base -/+ 4 KiB, clipped)
 *                                  of every thread; MINIDUMP_THREAD.Teb = fs_base.
 *   MiniDumpWithPrivateReadWriteMemory  every private writable mapping.
 *   MiniDumpWithoutOptionalData    no IP windows, no LinuxCmdLine/LinuxEnviron/LinuxAuxv.
 *   MiniDumpWithFullMemoryInfo     the MemoryInfoList also lists the free gaps (MEM_FREE).
 *   MiniDumpWithThreadInfo         a ThreadInfoListStream (times, exit state, fs_base).
 *   MiniDumpWithCodeSegs           executable file-backed mappings of each module.
 *   MiniDumpWithoutAuxiliaryState  no kernel-stack stream (KMDUMP_STREAM_THREAD_KSTACKS).
 *   MiniDumpWithFullAuxiliaryState kernel stacks are required: a refusal (no
 *                                  CAP_SYS_ADMIN, lockdown) fails the dump. Not together
 *                                  with WithoutAuxiliaryState.
 *   MiniDumpWithPrivateWriteCopyMemory  private writable file-backed mappings.
 *   MiniDumpIgnoreInaccessibleMemory    unreadable runs are left out without failing
 *                                  (ReadMemoryFailure Status preset S_OK).
 *   MiniDumpWithModuleHeaders      the first page of each module (ELF and program headers).
 *   MiniDumpFilterWriteCombinedMemory   always true on Linux: device (VM_IO/VM_PFNMAP)
 *                                  mappings, which is where write-combined memory lives,
 *                                  are never read.
 * Refused with E_INVALIDARG (the message names the flag):
 *   MiniDumpWithHandleData, MiniDumpWithTokenInformation, MiniDumpFilterTriage,
 *   MiniDumpWithAvxXStateContext, MiniDumpWithIptTrace,
 *   MiniDumpScanInaccessiblePartialPages, and any bit outside MiniDumpValidTypeFlags.
 *
 * ==================================================================================
 * What a dump holds
 * ==================================================================================
 * Header (Flags = the dump type), then SystemInfo (AMD64, PlatformId 0x8201 Linux, CPU
 * vendor and cpuid, CSD "Linux <release> <version> x86_64"), MiscInfo (pid, start time,
 * user/kernel seconds), ThreadList (CONTEXT flags CONTEXT_ALL when the debug registers
 * were captured, else CONTEXT_FULL|CONTEXT_SEGMENTS; each context blob is 1232 bytes +
 * 16 zero bytes, DataSize 1248, for lldb), ModuleList (108-byte entries, UTF-16 paths,
 * 'BpEL' CodeView with the GNU build id), MemoryList (stacks and blocks), MemoryInfoList,
 * Exception (always: the given exception, else code MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED
 * for the first thread), ThreadNames, Breakpad's LinuxMaps, LinuxProcStatus,
 * LinuxCpuInfo, LinuxCmdLine, LinuxAuxv, LinuxLsbRelease (/etc/lsb-release, else
 * /etc/os-release), LinuxEnviron (only with KMDUMP_FLAG_ENVIRONMENT), the kernel-stack
 * stream below, user streams, and last the Memory64List: its table (room is reserved
 * for every readable mapping plus splits; DataSize counts only the ranges written) and
 * then its data, the last bytes of the file. Each stream type appears once. A dump that fails midway has its signature zeroed (or is removed, when
 * kmdump_write_dump_file() created it).
 */
#ifndef KMDUMP_KMDUMP_H
#define KMDUMP_KMDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <kmdump/uapi.h>
#include <kmdump/context.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What libkmdump exports; every other symbol of the library is hidden. */
#define KMDUMP_API __attribute__((visibility("default")))

/* The version of this header; kmdump_version_string() is the library's at run time. */
#define KMDUMP_VERSION_MAJOR 1
#define KMDUMP_VERSION_MINOR 0

/* The library's version as running: may be newer than the header's (never older). */
KMDUMP_API uint32_t kmdump_major_version(void);
KMDUMP_API uint32_t kmdump_minor_version(void);
/* "1.0" */
KMDUMP_API const char *kmdump_version_string(void);

/* Exception information, what an in-process crash handler has. */
struct kmdump_exception {
	uint32_t thread_id;     /* the thread that took the signal (gettid()) */
	int32_t signo;          /* ExceptionCode */
	int32_t si_code;        /* ExceptionFlags */
	uint64_t fault_address; /* si_addr -> ExceptionAddress */
	/* Registers at the fault; NULL: the thread's captured context is used. Fill one
	 * from a signal handler's ucontext_t with kmdump_context_from_ucontext(). */
	const struct kmdump_context *context;
};

/* A stream of the caller's, written as is (MINIDUMP_USER_STREAM's layout). */
struct kmdump_user_stream {
	uint32_t type;      /* > 0xFFFF (LastReservedStream), each type once */
	uint32_t size;      /* bytes at buffer */
	const void *buffer;
};

struct kmdump_callback_input;   /* MINIDUMP_CALLBACK_INPUT, <kmdump/minidumpapiset.h> */
struct kmdump_callback_output;  /* MINIDUMP_CALLBACK_OUTPUT */
/* MINIDUMP_CALLBACK_ROUTINE with native types: returns nonzero for TRUE. */
typedef int (*kmdump_callback_fn)(void *param, struct kmdump_callback_input *input,
				  struct kmdump_callback_output *output);

/* kmdump_options.flags */
#define KMDUMP_FLAG_ENVIRONMENT 0x1u /* write LinuxEnviron (the target's environment) */

/*
 * Options of a dump; every member's zero is its default. Declare them with KMDUMP_OPTS(),
 * which sets sz:
 *   struct kmdump_options o = KMDUMP_OPTS(.dump_type = MiniDumpWithFullMemory);
 * (C++ before C++20: kmdump_options o{}; o.sz = sizeof(o);)
 */
struct kmdump_options {
	size_t sz;              /* sizeof(struct kmdump_options) as the caller knew it */
	uint32_t dump_type;     /* MINIDUMP_TYPE bits; 0 is MiniDumpNormal */
	uint32_t flags;         /* KMDUMP_FLAG_* */
	const struct kmdump_exception *exception;          /* NULL: dump requested */
	const struct kmdump_user_stream *user_streams;     /* user_stream_count of them */
	kmdump_callback_fn callback;                        /* NULL: FALSE to every callback */
	void *callback_param;
	uint64_t max_size;      /* size cap in bytes, 0: none (memory is left out to fit) */
	uint32_t user_stream_count;
	uint32_t stack_limit;   /* bytes of stack per thread, 0: 32 KiB */
	int pidfd;              /* a pidfd of the target for ProcessHandle; 0: opened here */
	uint32_t reserved;      /* must be 0 */
};
#define KMDUMP_OPTS(...) { .sz = sizeof(struct kmdump_options), __VA_ARGS__ }

/* What a dump wrote. Declare it with KMDUMP_RESULT_INIT (sets sz). */
struct kmdump_result {
	size_t sz;               /* sizeof(struct kmdump_result) as the caller knew it */
	uint32_t threads;        /* threads written */
	uint32_t modules;        /* modules written */
	uint32_t memory_ranges;  /* MemoryList + Memory64List ranges */
	uint32_t failed_reads;   /* unreadable runs left out */
	uint64_t memory_bytes;   /* target bytes written */
	uint64_t bytes;          /* size of the dump */
	uint64_t pause_ns;       /* how long the target was held (0 if unknown) */
	int32_t kernel_dump_status; /* S_OK or the kernel minidump's HRESULT if one was asked */
	bool capped;             /* max_size made the library leave memory out */
	char message[256];       /* on failure: what went wrong and what to do */
};
#define KMDUMP_RESULT_INIT { .sz = sizeof(struct kmdump_result) }

/*
 * kmdump_write_dump() - write a minidump of process pid (its thread group) to fd, a
 * seekable descriptor written from its current offset. opts may be NULL (defaults) and
 * result may be NULL. Returns KMDUMP_S_OK, or an HRESULT saying why not, with
 * result->message explaining it. On failure the bytes written so far carry a zero
 * signature, so they never pass for a dump.
 */
KMDUMP_API int32_t kmdump_write_dump(pid_t pid, int fd, const struct kmdump_options *opts,
				     struct kmdump_result *result);

/*
 * kmdump_write_dump_file() - the same, to a file the library creates at path (mode
 * 0600, an existing file is replaced). The file is removed when the dump fails.
 */
KMDUMP_API int32_t kmdump_write_dump_file(pid_t pid, const char *path,
					  const struct kmdump_options *opts,
					  struct kmdump_result *result);

/*
 * kmdump_context_from_ucontext() - fill an AMD64 context (CONTEXT_FULL|SEGMENTS, FXSAVE
 * area included) from a signal handler's ucontext_t (passed as const void * so this
 * header does not need <ucontext.h>). Async-signal-safe.
 */
KMDUMP_API void kmdump_context_from_ucontext(struct kmdump_context *ctx, const void *ucontext);

/*
 * kmdump_strerror() - the message for an HRESULT, from the contract's table: "what
 * happened" plus, where the library knows it, "what to do". Never NULL; unknown values
 * get a generic text naming the facility and code. Thread-safe (returns static text).
 */
KMDUMP_API const char *kmdump_strerror(int32_t hr);
/* kmdump_hresult_name() - the Windows name ("E_INVALIDARG", ...) or NULL if unknown. */
KMDUMP_API const char *kmdump_hresult_name(int32_t hr);

/* kmdump_dump_type_name() - "MiniDumpWithFullMemory" for one bit, NULL if unknown. */
KMDUMP_API const char *kmdump_dump_type_name(uint32_t bit);
/* kmdump_dump_type_refusal() - why one MINIDUMP_TYPE bit is refused on Linux, NULL if honoured. */
KMDUMP_API const char *kmdump_dump_type_refusal(uint32_t bit);
/* kmdump_callback_type_name() - "ThreadCallback" etc., NULL if out of range. */
KMDUMP_API const char *kmdump_callback_type_name(uint32_t type);

#ifdef __cplusplus
}
#endif
#endif /* KMDUMP_KMDUMP_H */
