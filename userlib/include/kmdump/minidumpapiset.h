/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * minidumpapiset.h for Linux: DbgHelp's MiniDumpWriteDump and the MINIDUMP_* types,
 * enums and flags with Windows' names, values and pack(4) layouts, so code written
 * against DbgHelp compiles on Linux with little change.
 *
 * What differs from Windows, on purpose:
 *  - HANDLE is an intptr_t that holds a file descriptor. hFile is the descriptor the
 *    dump is written to (a seekable regular file, written from its current offset),
 *    hProcess is a pidfd (pidfd_open(2)) or 0/INVALID_HANDLE_VALUE to let the library
 *    open one, and MINIDUMP_CALLBACK_INPUT.ProcessHandle is always a pidfd of the
 *    target. WriteKernelMinidumpCallback's Output.Handle is a descriptor as well.
 *  - GetLastError() returns the HRESULT of the last failed MiniDumpWriteDump of the
 *    calling thread (as DbgHelp does); it is kmdump_GetLastError() behind a macro
 *    (define KMDUMP_NO_WIN32_NAMES to keep the macro out).
 *  - EXCEPTION_RECORD on Linux: ExceptionCode = signal number, ExceptionFlags =
 *    si_code, ExceptionAddress = si_addr, ExceptionInformation[] is copied as given.
 *  - Only x86_64 (AMD64 CONTEXT) is supported.
 *
 * The order in which callbacks arrive and what each output does on Linux is
 * documented in <kmdump/kmdump.h> ("The callback stream"); which MINIDUMP_TYPE
 * flags are honoured and which are refused is documented there too.
 */
#ifndef KMDUMP_MINIDUMPAPISET_H
#define KMDUMP_MINIDUMPAPISET_H

#include <stdint.h>
#include <stddef.h>
#include <kmdump/kmdump.h>
#include <kmdump/hresult.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Windows base types ------------------------------------------------------ */
#ifndef KMDUMP_WIN32_BASE_TYPES
#define KMDUMP_WIN32_BASE_TYPES
typedef int BOOL;
typedef uint8_t BYTE, UCHAR, BOOLEAN;
typedef uint16_t WORD, USHORT, WCHAR;
typedef uint32_t DWORD, ULONG, ULONG32, UINT;
typedef int32_t LONG;
typedef uint64_t ULONG64, DWORD64, ULONGLONG;
typedef int64_t LONGLONG;
typedef uintptr_t ULONG_PTR;
typedef void *PVOID;
typedef WCHAR *PWCHAR, *PWSTR;
typedef const WCHAR *PCWSTR;
typedef intptr_t HANDLE; /* a file descriptor (see above) */
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#define INVALID_HANDLE_VALUE ((HANDLE)-1)
#define CALLBACK
#define WINAPI
#endif
typedef uint32_t RVA;
typedef uint64_t RVA64;

/* ---- AMD64 CONTEXT (winnt.h): struct kmdump_context of <kmdump/context.h> ------- */
#define CONTEXT_AMD64 KMDUMP_CONTEXT_AMD64
#define CONTEXT_CONTROL KMDUMP_CONTEXT_CONTROL
#define CONTEXT_INTEGER KMDUMP_CONTEXT_INTEGER
#define CONTEXT_SEGMENTS KMDUMP_CONTEXT_SEGMENTS
#define CONTEXT_FLOATING_POINT KMDUMP_CONTEXT_FLOATING_POINT
#define CONTEXT_DEBUG_REGISTERS KMDUMP_CONTEXT_DEBUG_REGISTERS
#define CONTEXT_FULL KMDUMP_CONTEXT_FULL
#define CONTEXT_ALL KMDUMP_CONTEXT_ALL
#define CONTEXT_XSTATE KMDUMP_CONTEXT_XSTATE
typedef struct kmdump_m128a M128A, *PM128A;
typedef struct kmdump_xmm_save_area32 XMM_SAVE_AREA32, *PXMM_SAVE_AREA32;
typedef struct kmdump_context CONTEXT, *PCONTEXT;

#define EXCEPTION_MAXIMUM_PARAMETERS 15
typedef struct _EXCEPTION_RECORD {
	DWORD ExceptionCode;  /* Linux: signal number */
	DWORD ExceptionFlags; /* Linux: si_code */
	struct _EXCEPTION_RECORD *ExceptionRecord;
	PVOID ExceptionAddress; /* Linux: si_addr */
	DWORD NumberParameters;
	ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;

typedef struct _EXCEPTION_POINTERS {
	PEXCEPTION_RECORD ExceptionRecord;
	PCONTEXT ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;

/* ---- memory information constants (winnt.h) ------------------------------------ */
#define MEM_COMMIT 0x00001000u
#define MEM_RESERVE 0x00002000u
#define MEM_FREE 0x00010000u
#define MEM_PRIVATE 0x00020000u
#define MEM_MAPPED 0x00040000u
#define MEM_IMAGE 0x01000000u
#define PAGE_NOACCESS 0x01u
#define PAGE_READONLY 0x02u
#define PAGE_READWRITE 0x04u
#define PAGE_WRITECOPY 0x08u
#define PAGE_EXECUTE 0x10u
#define PAGE_EXECUTE_READ 0x20u
#define PAGE_EXECUTE_READWRITE 0x40u
#define PAGE_EXECUTE_WRITECOPY 0x80u
#define PAGE_GUARD 0x100u
#define PAGE_NOCACHE 0x200u
#define PAGE_WRITECOMBINE 0x400u

#define VS_FFI_SIGNATURE 0xFEEF04BDu
#define VS_FFI_STRUCVERSION 0x00010000u

/* Everything below is laid out exactly as Windows lays it out: pack(4). */
#pragma pack(push, 4)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpacked-not-aligned"
#endif

#define MINIDUMP_SIGNATURE 0x504D444Du /* "MDMP" */
#define MINIDUMP_VERSION 42899u        /* 0xA793 */

typedef struct _MINIDUMP_LOCATION_DESCRIPTOR {
	ULONG32 DataSize;
	RVA Rva;
} MINIDUMP_LOCATION_DESCRIPTOR;

typedef struct _MINIDUMP_LOCATION_DESCRIPTOR64 {
	ULONG64 DataSize;
	RVA64 Rva;
} MINIDUMP_LOCATION_DESCRIPTOR64;

typedef struct _MINIDUMP_MEMORY_DESCRIPTOR {
	ULONG64 StartOfMemoryRange;
	MINIDUMP_LOCATION_DESCRIPTOR Memory;
} MINIDUMP_MEMORY_DESCRIPTOR, *PMINIDUMP_MEMORY_DESCRIPTOR;

typedef struct _MINIDUMP_MEMORY_DESCRIPTOR64 {
	ULONG64 StartOfMemoryRange;
	ULONG64 DataSize;
} MINIDUMP_MEMORY_DESCRIPTOR64, *PMINIDUMP_MEMORY_DESCRIPTOR64;

typedef struct _MINIDUMP_HEADER {
	ULONG32 Signature;
	ULONG32 Version;
	ULONG32 NumberOfStreams;
	RVA StreamDirectoryRva;
	ULONG32 CheckSum;
	union {
		ULONG32 Reserved;
		ULONG32 TimeDateStamp;
	};
	ULONG64 Flags;
} MINIDUMP_HEADER, *PMINIDUMP_HEADER;

typedef struct _MINIDUMP_DIRECTORY {
	ULONG32 StreamType;
	MINIDUMP_LOCATION_DESCRIPTOR Location;
} MINIDUMP_DIRECTORY, *PMINIDUMP_DIRECTORY;

typedef struct _MINIDUMP_STRING {
	ULONG32 Length; /* bytes, without the terminator */
	WCHAR Buffer[];
} MINIDUMP_STRING, *PMINIDUMP_STRING;

typedef enum _MINIDUMP_STREAM_TYPE {
	UnusedStream = 0,
	ReservedStream0 = 1,
	ReservedStream1 = 2,
	ThreadListStream = 3,
	ModuleListStream = 4,
	MemoryListStream = 5,
	ExceptionStream = 6,
	SystemInfoStream = 7,
	ThreadExListStream = 8,
	Memory64ListStream = 9,
	CommentStreamA = 10,
	CommentStreamW = 11,
	HandleDataStream = 12,
	FunctionTableStream = 13,
	UnloadedModuleListStream = 14,
	MiscInfoStream = 15,
	MemoryInfoListStream = 16,
	ThreadInfoListStream = 17,
	HandleOperationListStream = 18,
	TokenStream = 19,
	JavaScriptDataStream = 20,
	SystemMemoryInfoStream = 21,
	ProcessVmCountersStream = 22,
	IptTraceStream = 23,
	ThreadNamesStream = 24,
	LastReservedStream = 0xffff
} MINIDUMP_STREAM_TYPE;

typedef struct _MINIDUMP_THREAD {
	ULONG32 ThreadId;
	ULONG32 SuspendCount;
	ULONG32 PriorityClass;
	ULONG32 Priority;
	ULONG64 Teb;
	MINIDUMP_MEMORY_DESCRIPTOR Stack;
	MINIDUMP_LOCATION_DESCRIPTOR ThreadContext;
} MINIDUMP_THREAD, *PMINIDUMP_THREAD;

typedef struct _MINIDUMP_THREAD_LIST {
	ULONG32 NumberOfThreads;
	MINIDUMP_THREAD Threads[];
} MINIDUMP_THREAD_LIST, *PMINIDUMP_THREAD_LIST;

typedef struct _MINIDUMP_THREAD_EX {
	ULONG32 ThreadId;
	ULONG32 SuspendCount;
	ULONG32 PriorityClass;
	ULONG32 Priority;
	ULONG64 Teb;
	MINIDUMP_MEMORY_DESCRIPTOR Stack;
	MINIDUMP_LOCATION_DESCRIPTOR ThreadContext;
	MINIDUMP_MEMORY_DESCRIPTOR BackingStore;
} MINIDUMP_THREAD_EX, *PMINIDUMP_THREAD_EX;

typedef struct tagVS_FIXEDFILEINFO {
	DWORD dwSignature;
	DWORD dwStrucVersion;
	DWORD dwFileVersionMS;
	DWORD dwFileVersionLS;
	DWORD dwProductVersionMS;
	DWORD dwProductVersionLS;
	DWORD dwFileFlagsMask;
	DWORD dwFileFlags;
	DWORD dwFileOS;
	DWORD dwFileType;
	DWORD dwFileSubtype;
	DWORD dwFileDateMS;
	DWORD dwFileDateLS;
} VS_FIXEDFILEINFO;

typedef struct _MINIDUMP_MODULE {
	ULONG64 BaseOfImage;
	ULONG32 SizeOfImage;
	ULONG32 CheckSum;
	ULONG32 TimeDateStamp;
	RVA ModuleNameRva;
	VS_FIXEDFILEINFO VersionInfo;
	MINIDUMP_LOCATION_DESCRIPTOR CvRecord;
	MINIDUMP_LOCATION_DESCRIPTOR MiscRecord;
	ULONG64 Reserved0;
	ULONG64 Reserved1;
} MINIDUMP_MODULE, *PMINIDUMP_MODULE;

typedef struct _MINIDUMP_MODULE_LIST {
	ULONG32 NumberOfModules;
	MINIDUMP_MODULE Modules[];
} MINIDUMP_MODULE_LIST, *PMINIDUMP_MODULE_LIST;

typedef struct _MINIDUMP_MEMORY_LIST {
	ULONG32 NumberOfMemoryRanges;
	MINIDUMP_MEMORY_DESCRIPTOR MemoryRanges[];
} MINIDUMP_MEMORY_LIST, *PMINIDUMP_MEMORY_LIST;

typedef struct _MINIDUMP_MEMORY64_LIST {
	ULONG64 NumberOfMemoryRanges;
	RVA64 BaseRva;
	MINIDUMP_MEMORY_DESCRIPTOR64 MemoryRanges[];
} MINIDUMP_MEMORY64_LIST, *PMINIDUMP_MEMORY64_LIST;

typedef struct _MINIDUMP_EXCEPTION {
	ULONG32 ExceptionCode;
	ULONG32 ExceptionFlags;
	ULONG64 ExceptionRecord;
	ULONG64 ExceptionAddress;
	ULONG32 NumberParameters;
	ULONG32 __unusedAlignment;
	ULONG64 ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} MINIDUMP_EXCEPTION, *PMINIDUMP_EXCEPTION;

typedef struct _MINIDUMP_EXCEPTION_STREAM {
	ULONG32 ThreadId;
	ULONG32 __alignment;
	MINIDUMP_EXCEPTION ExceptionRecord;
	MINIDUMP_LOCATION_DESCRIPTOR ThreadContext;
} MINIDUMP_EXCEPTION_STREAM, *PMINIDUMP_EXCEPTION_STREAM;

/* Breakpad's "dump requested" exception code (no crash). */
#define MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED 0xFFFFFFFFu

#define PROCESSOR_ARCHITECTURE_AMD64 9
#define MD_OS_LINUX 0x8201u

typedef union _CPU_INFORMATION {
	struct {
		ULONG32 VendorId[3];
		ULONG32 VersionInformation;
		ULONG32 FeatureInformation;
		ULONG32 AMDExtendedCpuFeatures;
	} X86CpuInfo;
	struct {
		ULONG64 ProcessorFeatures[2];
	} OtherCpuInfo;
} CPU_INFORMATION;

typedef struct _MINIDUMP_SYSTEM_INFO {
	USHORT ProcessorArchitecture;
	USHORT ProcessorLevel;
	USHORT ProcessorRevision;
	UCHAR NumberOfProcessors;
	UCHAR ProductType;
	ULONG32 MajorVersion;
	ULONG32 MinorVersion;
	ULONG32 BuildNumber;
	ULONG32 PlatformId;
	RVA CSDVersionRva;
	USHORT SuiteMask;
	USHORT Reserved2;
	CPU_INFORMATION Cpu;
} MINIDUMP_SYSTEM_INFO, *PMINIDUMP_SYSTEM_INFO;

#define MINIDUMP_MISC1_PROCESS_ID 0x00000001u
#define MINIDUMP_MISC1_PROCESS_TIMES 0x00000002u
#define MINIDUMP_MISC1_PROCESSOR_POWER_INFO 0x00000004u

typedef struct _MINIDUMP_MISC_INFO {
	ULONG32 SizeOfInfo;
	ULONG32 Flags1;
	ULONG32 ProcessId;
	ULONG32 ProcessCreateTime;
	ULONG32 ProcessUserTime;
	ULONG32 ProcessKernelTime;
} MINIDUMP_MISC_INFO, *PMINIDUMP_MISC_INFO;

typedef struct _MINIDUMP_MISC_INFO_2 {
	ULONG32 SizeOfInfo;
	ULONG32 Flags1;
	ULONG32 ProcessId;
	ULONG32 ProcessCreateTime;
	ULONG32 ProcessUserTime;
	ULONG32 ProcessKernelTime;
	ULONG32 ProcessorMaxMhz;
	ULONG32 ProcessorCurrentMhz;
	ULONG32 ProcessorMhzLimit;
	ULONG32 ProcessorMaxIdleState;
	ULONG32 ProcessorCurrentIdleState;
} MINIDUMP_MISC_INFO_2, *PMINIDUMP_MISC_INFO_2;

typedef struct _MINIDUMP_MEMORY_INFO {
	ULONG64 BaseAddress;
	ULONG64 AllocationBase;
	ULONG32 AllocationProtect;
	ULONG32 __alignment1;
	ULONG64 RegionSize;
	ULONG32 State;
	ULONG32 Protect;
	ULONG32 Type;
	ULONG32 __alignment2;
} MINIDUMP_MEMORY_INFO, *PMINIDUMP_MEMORY_INFO;

typedef struct _MINIDUMP_MEMORY_INFO_LIST {
	ULONG SizeOfHeader;
	ULONG SizeOfEntry;
	ULONG64 NumberOfEntries;
} MINIDUMP_MEMORY_INFO_LIST, *PMINIDUMP_MEMORY_INFO_LIST;

#define MINIDUMP_THREAD_INFO_ERROR_THREAD 0x00000001u
#define MINIDUMP_THREAD_INFO_WRITING_THREAD 0x00000002u
#define MINIDUMP_THREAD_INFO_EXITED_THREAD 0x00000004u
#define MINIDUMP_THREAD_INFO_INVALID_INFO 0x00000008u
#define MINIDUMP_THREAD_INFO_INVALID_CONTEXT 0x00000010u
#define MINIDUMP_THREAD_INFO_INVALID_TEB 0x00000020u

typedef struct _MINIDUMP_THREAD_INFO {
	ULONG32 ThreadId;
	ULONG32 DumpFlags;
	ULONG32 DumpError;
	ULONG32 ExitStatus;
	ULONG64 CreateTime;
	ULONG64 ExitTime;
	ULONG64 KernelTime;
	ULONG64 UserTime;
	ULONG64 StartAddress;
	ULONG64 Affinity;
} MINIDUMP_THREAD_INFO, *PMINIDUMP_THREAD_INFO;

typedef struct _MINIDUMP_THREAD_INFO_LIST {
	ULONG SizeOfHeader;
	ULONG SizeOfEntry;
	ULONG NumberOfEntries;
} MINIDUMP_THREAD_INFO_LIST, *PMINIDUMP_THREAD_INFO_LIST;

typedef struct _MINIDUMP_UNLOADED_MODULE_LIST {
	ULONG32 SizeOfHeader;
	ULONG32 SizeOfEntry;
	ULONG32 NumberOfEntries;
} MINIDUMP_UNLOADED_MODULE_LIST, *PMINIDUMP_UNLOADED_MODULE_LIST;

typedef struct _MINIDUMP_THREAD_NAME {
	ULONG ThreadId;
	RVA64 RvaOfThreadName;
} MINIDUMP_THREAD_NAME, *PMINIDUMP_THREAD_NAME;

typedef struct _MINIDUMP_THREAD_NAME_LIST {
	ULONG NumberOfThreadNames;
	MINIDUMP_THREAD_NAME ThreadNames[];
} MINIDUMP_THREAD_NAME_LIST, *PMINIDUMP_THREAD_NAME_LIST;

/* ---- MiniDumpWriteDump arguments ------------------------------------------------ */
typedef struct _MINIDUMP_EXCEPTION_INFORMATION {
	DWORD ThreadId;
	PEXCEPTION_POINTERS ExceptionPointers;
	BOOL ClientPointers; /* TRUE: the pointers are addresses in the target */
} MINIDUMP_EXCEPTION_INFORMATION, *PMINIDUMP_EXCEPTION_INFORMATION;

typedef struct _MINIDUMP_USER_STREAM {
	ULONG32 Type; /* > LastReservedStream, each type once */
	ULONG BufferSize;
	PVOID Buffer;
} MINIDUMP_USER_STREAM, *PMINIDUMP_USER_STREAM;

typedef struct _MINIDUMP_USER_STREAM_INFORMATION {
	ULONG UserStreamCount;
	PMINIDUMP_USER_STREAM UserStreamArray;
} MINIDUMP_USER_STREAM_INFORMATION, *PMINIDUMP_USER_STREAM_INFORMATION;

/* ---- callbacks -------------------------------------------------------------------- */
typedef enum _MINIDUMP_CALLBACK_TYPE {
	ModuleCallback,
	ThreadCallback,
	ThreadExCallback,
	IncludeThreadCallback,
	IncludeModuleCallback,
	MemoryCallback,
	CancelCallback,
	WriteKernelMinidumpCallback,
	KernelMinidumpStatusCallback,
	RemoveMemoryCallback,
	IncludeVmRegionCallback,
	IoStartCallback,
	IoWriteAllCallback,
	IoFinishCallback,
	ReadMemoryFailureCallback,
	SecondaryFlagsCallback,
	IsProcessSnapshotCallback,
	VmStartCallback,
	VmQueryCallback,
	VmPreReadCallback,
	VmPostReadCallback
} MINIDUMP_CALLBACK_TYPE;

typedef struct _MINIDUMP_THREAD_CALLBACK {
	ULONG ThreadId;
	HANDLE ThreadHandle; /* 0 on Linux */
	ULONG Pad; /* puts Context at 16, where MSVC's 16-byte CONTEXT alignment puts it */
	CONTEXT Context;
	ULONG SizeOfContext;
	ULONG64 StackBase; /* low end of the captured stack range */
	ULONG64 StackEnd;  /* high end of the captured stack range */
} MINIDUMP_THREAD_CALLBACK, *PMINIDUMP_THREAD_CALLBACK;

typedef struct _MINIDUMP_THREAD_EX_CALLBACK {
	ULONG ThreadId;
	HANDLE ThreadHandle;
	ULONG Pad;
	CONTEXT Context;
	ULONG SizeOfContext;
	ULONG64 StackBase;
	ULONG64 StackEnd;
	ULONG64 BackingStoreBase; /* Linux: the thread pointer page (fs_base) */
	ULONG64 BackingStoreEnd;
} MINIDUMP_THREAD_EX_CALLBACK, *PMINIDUMP_THREAD_EX_CALLBACK;

typedef struct _MINIDUMP_INCLUDE_THREAD_CALLBACK {
	ULONG ThreadId;
} MINIDUMP_INCLUDE_THREAD_CALLBACK, *PMINIDUMP_INCLUDE_THREAD_CALLBACK;

typedef enum _THREAD_WRITE_FLAGS {
	ThreadWriteThread = 0x0001,
	ThreadWriteStack = 0x0002,
	ThreadWriteContext = 0x0004,
	ThreadWriteBackingStore = 0x0008,
	ThreadWriteInstructionWindow = 0x0010,
	ThreadWriteThreadData = 0x0020,
	ThreadWriteThreadInfo = 0x0040
} THREAD_WRITE_FLAGS;

typedef struct _MINIDUMP_MODULE_CALLBACK {
	PWCHAR FullPath; /* NUL-terminated UTF-16 */
	ULONG64 BaseOfImage;
	ULONG SizeOfImage;
	ULONG CheckSum;
	ULONG TimeDateStamp;
	VS_FIXEDFILEINFO VersionInfo;
	PVOID CvRecord; /* the 'BpEL' CodeView record written for the module */
	ULONG SizeOfCvRecord;
	PVOID MiscRecord;
	ULONG SizeOfMiscRecord;
} MINIDUMP_MODULE_CALLBACK, *PMINIDUMP_MODULE_CALLBACK;

typedef struct _MINIDUMP_INCLUDE_MODULE_CALLBACK {
	ULONG64 BaseOfImage;
} MINIDUMP_INCLUDE_MODULE_CALLBACK, *PMINIDUMP_INCLUDE_MODULE_CALLBACK;

typedef enum _MODULE_WRITE_FLAGS {
	ModuleWriteModule = 0x0001,
	ModuleWriteDataSeg = 0x0002,
	ModuleWriteMiscRecord = 0x0004,
	ModuleWriteCvRecord = 0x0008,
	ModuleReferencedByMemory = 0x0010,
	ModuleWriteTlsData = 0x0020,
	ModuleWriteCodeSegs = 0x0040
} MODULE_WRITE_FLAGS;

typedef struct _MINIDUMP_IO_CALLBACK {
	HANDLE Handle;
	ULONG64 Offset;
	PVOID Buffer;
	ULONG BufferBytes;
} MINIDUMP_IO_CALLBACK, *PMINIDUMP_IO_CALLBACK;

typedef struct _MINIDUMP_READ_MEMORY_FAILURE_CALLBACK {
	ULONG64 Offset;
	ULONG Bytes;
	HRESULT FailureStatus;
} MINIDUMP_READ_MEMORY_FAILURE_CALLBACK, *PMINIDUMP_READ_MEMORY_FAILURE_CALLBACK;

typedef struct _MINIDUMP_VM_QUERY_CALLBACK {
	ULONG64 Offset;
} MINIDUMP_VM_QUERY_CALLBACK, *PMINIDUMP_VM_QUERY_CALLBACK;

typedef struct _MINIDUMP_VM_PRE_READ_CALLBACK {
	ULONG64 Offset;
	PVOID Buffer;
	ULONG Size;
} MINIDUMP_VM_PRE_READ_CALLBACK, *PMINIDUMP_VM_PRE_READ_CALLBACK;

typedef struct _MINIDUMP_VM_POST_READ_CALLBACK {
	ULONG64 Offset;
	PVOID Buffer;
	ULONG Size;
	ULONG Completed;
	HRESULT Status;
} MINIDUMP_VM_POST_READ_CALLBACK, *PMINIDUMP_VM_POST_READ_CALLBACK;

typedef struct kmdump_callback_input {
	ULONG ProcessId;
	HANDLE ProcessHandle; /* a pidfd */
	ULONG CallbackType;
	union {
		HRESULT Status;
		MINIDUMP_THREAD_CALLBACK Thread;
		MINIDUMP_THREAD_EX_CALLBACK ThreadEx;
		MINIDUMP_MODULE_CALLBACK Module;
		MINIDUMP_INCLUDE_THREAD_CALLBACK IncludeThread;
		MINIDUMP_INCLUDE_MODULE_CALLBACK IncludeModule;
		MINIDUMP_IO_CALLBACK Io;
		MINIDUMP_READ_MEMORY_FAILURE_CALLBACK ReadMemoryFailure;
		ULONG SecondaryFlags;
		MINIDUMP_VM_QUERY_CALLBACK VmQuery;
		MINIDUMP_VM_PRE_READ_CALLBACK VmPreRead;
		MINIDUMP_VM_POST_READ_CALLBACK VmPostRead;
	};
} MINIDUMP_CALLBACK_INPUT, *PMINIDUMP_CALLBACK_INPUT;

typedef enum _MINIDUMP_SECONDARY_FLAGS {
	MiniSecondaryWithoutPowerInfo = 0x00000001,
	MiniSecondaryValidFlags = 0x00000001
} MINIDUMP_SECONDARY_FLAGS;

typedef struct kmdump_callback_output {
	union {
		ULONG ModuleWriteFlags;
		ULONG ThreadWriteFlags;
		ULONG SecondaryFlags;
		struct {
			ULONG64 MemoryBase;
			ULONG MemorySize;
		};
		struct {
			BOOL CheckCancel;
			BOOL Cancel;
		};
		HANDLE Handle;
		struct {
			MINIDUMP_MEMORY_INFO VmRegion;
			BOOL Continue;
		};
		struct {
			HRESULT VmQueryStatus;
			MINIDUMP_MEMORY_INFO VmQueryResult;
		};
		struct {
			HRESULT VmReadStatus;
			ULONG VmReadBytesCompleted;
		};
		HRESULT Status;
	};
} MINIDUMP_CALLBACK_OUTPUT, *PMINIDUMP_CALLBACK_OUTPUT;

typedef BOOL(CALLBACK *MINIDUMP_CALLBACK_ROUTINE)(PVOID CallbackParam,
						   PMINIDUMP_CALLBACK_INPUT CallbackInput,
						   PMINIDUMP_CALLBACK_OUTPUT CallbackOutput);

typedef struct _MINIDUMP_CALLBACK_INFORMATION {
	MINIDUMP_CALLBACK_ROUTINE CallbackRoutine;
	PVOID CallbackParam;
} MINIDUMP_CALLBACK_INFORMATION, *PMINIDUMP_CALLBACK_INFORMATION;

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#pragma pack(pop)

typedef enum _MINIDUMP_TYPE {
	MiniDumpNormal = 0x00000000,
	MiniDumpWithDataSegs = 0x00000001,
	MiniDumpWithFullMemory = 0x00000002,
	MiniDumpWithHandleData = 0x00000004,
	MiniDumpFilterMemory = 0x00000008,
	MiniDumpScanMemory = 0x00000010,
	MiniDumpWithUnloadedModules = 0x00000020,
	MiniDumpWithIndirectlyReferencedMemory = 0x00000040,
	MiniDumpFilterModulePaths = 0x00000080,
	MiniDumpWithProcessThreadData = 0x00000100,
	MiniDumpWithPrivateReadWriteMemory = 0x00000200,
	MiniDumpWithoutOptionalData = 0x00000400,
	MiniDumpWithFullMemoryInfo = 0x00000800,
	MiniDumpWithThreadInfo = 0x00001000,
	MiniDumpWithCodeSegs = 0x00002000,
	MiniDumpWithoutAuxiliaryState = 0x00004000,
	MiniDumpWithFullAuxiliaryState = 0x00008000,
	MiniDumpWithPrivateWriteCopyMemory = 0x00010000,
	MiniDumpIgnoreInaccessibleMemory = 0x00020000,
	MiniDumpWithTokenInformation = 0x00040000,
	MiniDumpWithModuleHeaders = 0x00080000,
	MiniDumpFilterTriage = 0x00100000,
	MiniDumpWithAvxXStateContext = 0x00200000,
	MiniDumpWithIptTrace = 0x00400000,
	MiniDumpScanInaccessiblePartialPages = 0x00800000,
	MiniDumpFilterWriteCombinedMemory = 0x01000000,
	MiniDumpValidTypeFlags = 0x01ffffff
} MINIDUMP_TYPE;

/*
 * Writes a minidump of ProcessId to hFile. Returns TRUE on success; on failure FALSE,
 * and GetLastError() gives the HRESULT (kmdump_strerror() turns it into a message).
 */
KMDUMP_API BOOL WINAPI MiniDumpWriteDump(HANDLE hProcess, DWORD ProcessId, HANDLE hFile,
			      MINIDUMP_TYPE DumpType,
			      PMINIDUMP_EXCEPTION_INFORMATION ExceptionParam,
			      PMINIDUMP_USER_STREAM_INFORMATION UserStreamParam,
			      PMINIDUMP_CALLBACK_INFORMATION CallbackParam);

/* The HRESULT of the calling thread's last failed MiniDumpWriteDump (0 if none). */
KMDUMP_API DWORD kmdump_GetLastError(void);
#ifndef KMDUMP_NO_WIN32_NAMES
#define GetLastError kmdump_GetLastError
#endif

/* ---- layout checks (minidump-format.md §2, §4) ------------------------------------ */
#if defined(__cplusplus)
#define KMDUMP_SA static_assert
#else
#define KMDUMP_SA _Static_assert
#endif
KMDUMP_SA(sizeof(MINIDUMP_HEADER) == 32, "MINIDUMP_HEADER");
KMDUMP_SA(sizeof(MINIDUMP_DIRECTORY) == 12, "MINIDUMP_DIRECTORY");
KMDUMP_SA(sizeof(MINIDUMP_MEMORY_DESCRIPTOR) == 16, "MINIDUMP_MEMORY_DESCRIPTOR");
KMDUMP_SA(sizeof(MINIDUMP_MEMORY_DESCRIPTOR64) == 16, "MINIDUMP_MEMORY_DESCRIPTOR64");
KMDUMP_SA(sizeof(MINIDUMP_THREAD) == 48, "MINIDUMP_THREAD");
KMDUMP_SA(sizeof(MINIDUMP_THREAD_EX) == 64, "MINIDUMP_THREAD_EX");
KMDUMP_SA(sizeof(VS_FIXEDFILEINFO) == 52, "VS_FIXEDFILEINFO");
KMDUMP_SA(sizeof(MINIDUMP_MODULE) == 108, "MINIDUMP_MODULE");
KMDUMP_SA(offsetof(MINIDUMP_MODULE, CvRecord) == 76, "MINIDUMP_MODULE.CvRecord");
KMDUMP_SA(sizeof(MINIDUMP_EXCEPTION) == 152, "MINIDUMP_EXCEPTION");
KMDUMP_SA(sizeof(MINIDUMP_EXCEPTION_STREAM) == 168, "MINIDUMP_EXCEPTION_STREAM");
KMDUMP_SA(offsetof(MINIDUMP_EXCEPTION_STREAM, ThreadContext) == 160, "exception context");
KMDUMP_SA(sizeof(MINIDUMP_SYSTEM_INFO) == 56, "MINIDUMP_SYSTEM_INFO");
KMDUMP_SA(offsetof(MINIDUMP_SYSTEM_INFO, Cpu) == 32, "MINIDUMP_SYSTEM_INFO.Cpu");
KMDUMP_SA(sizeof(MINIDUMP_MISC_INFO) == 24, "MINIDUMP_MISC_INFO");
KMDUMP_SA(sizeof(MINIDUMP_MISC_INFO_2) == 44, "MINIDUMP_MISC_INFO_2");
KMDUMP_SA(sizeof(MINIDUMP_MEMORY_INFO) == 48, "MINIDUMP_MEMORY_INFO");
KMDUMP_SA(sizeof(MINIDUMP_MEMORY_INFO_LIST) == 16, "MINIDUMP_MEMORY_INFO_LIST");
KMDUMP_SA(sizeof(MINIDUMP_THREAD_INFO) == 64, "MINIDUMP_THREAD_INFO");
KMDUMP_SA(sizeof(MINIDUMP_THREAD_INFO_LIST) == 12, "MINIDUMP_THREAD_INFO_LIST");
KMDUMP_SA(sizeof(MINIDUMP_THREAD_NAME) == 12, "MINIDUMP_THREAD_NAME");
KMDUMP_SA(sizeof(MINIDUMP_MEMORY64_LIST) == 16, "MINIDUMP_MEMORY64_LIST");
KMDUMP_SA(sizeof(CONTEXT) == 1232, "CONTEXT");
KMDUMP_SA(offsetof(CONTEXT, ContextFlags) == 0x30, "CONTEXT.ContextFlags");
KMDUMP_SA(offsetof(CONTEXT, Dr0) == 0x48, "CONTEXT.Dr0");
KMDUMP_SA(offsetof(CONTEXT, Rax) == 0x78, "CONTEXT.Rax");
KMDUMP_SA(offsetof(CONTEXT, Rsp) == 0x98, "CONTEXT.Rsp");
KMDUMP_SA(offsetof(CONTEXT, Rip) == 0xF8, "CONTEXT.Rip");
KMDUMP_SA(offsetof(CONTEXT, FltSave) == 0x100, "CONTEXT.FltSave");
KMDUMP_SA(offsetof(CONTEXT, VectorRegister) == 0x300, "CONTEXT.VectorRegister");
KMDUMP_SA(offsetof(CONTEXT, DebugControl) == 0x4A8, "CONTEXT.DebugControl");
KMDUMP_SA(sizeof(XMM_SAVE_AREA32) == 512, "XMM_SAVE_AREA32");
KMDUMP_SA(offsetof(MINIDUMP_CALLBACK_INPUT, ProcessHandle) == 4, "input.ProcessHandle");
KMDUMP_SA(offsetof(MINIDUMP_CALLBACK_INPUT, CallbackType) == 12, "input.CallbackType");
KMDUMP_SA(offsetof(MINIDUMP_CALLBACK_INPUT, Status) == 16, "input union");
KMDUMP_SA(offsetof(MINIDUMP_THREAD_CALLBACK, Context) == 16, "thread callback Context");
KMDUMP_SA(offsetof(MINIDUMP_THREAD_EX_CALLBACK, StackEnd) == offsetof(MINIDUMP_THREAD_CALLBACK, StackEnd),
	  "Thread and ThreadEx share their leading members");
KMDUMP_SA(sizeof(MINIDUMP_MODULE_CALLBACK) == 104, "MINIDUMP_MODULE_CALLBACK");
KMDUMP_SA(offsetof(MINIDUMP_MODULE_CALLBACK, CvRecord) == 80, "module callback CvRecord");
KMDUMP_SA(offsetof(MINIDUMP_MODULE_CALLBACK, MiscRecord) == 92, "module callback MiscRecord");
KMDUMP_SA(sizeof(MINIDUMP_IO_CALLBACK) == 28, "MINIDUMP_IO_CALLBACK");
KMDUMP_SA(sizeof(MINIDUMP_READ_MEMORY_FAILURE_CALLBACK) == 16, "read failure callback");
KMDUMP_SA(sizeof(MINIDUMP_VM_PRE_READ_CALLBACK) == 20, "MINIDUMP_VM_PRE_READ_CALLBACK");
KMDUMP_SA(sizeof(MINIDUMP_VM_POST_READ_CALLBACK) == 28, "MINIDUMP_VM_POST_READ_CALLBACK");
KMDUMP_SA(sizeof(MINIDUMP_CALLBACK_OUTPUT) == 52, "MINIDUMP_CALLBACK_OUTPUT");
KMDUMP_SA(offsetof(MINIDUMP_CALLBACK_OUTPUT, MemorySize) == 8, "output.MemorySize");
KMDUMP_SA(offsetof(MINIDUMP_CALLBACK_OUTPUT, Cancel) == 4, "output.Cancel");
KMDUMP_SA(offsetof(MINIDUMP_CALLBACK_OUTPUT, Continue) == 48, "output.Continue");
KMDUMP_SA(offsetof(MINIDUMP_CALLBACK_OUTPUT, VmQueryResult) == 4, "output.VmQueryResult");
#undef KMDUMP_SA

#ifdef __cplusplus
}
#endif
#endif /* KMDUMP_MINIDUMPAPISET_H */
