/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * struct kmdump_context: the AMD64 register context of a minidump, laid out exactly as
 * winnt.h's CONTEXT (1232 bytes, 16-byte aligned), with native C types so that
 * <kmdump/kmdump.h> users need no Windows names. <kmdump/minidumpapiset.h> calls the
 * same structure CONTEXT, and the CONTEXT_* flags below by their Windows names.
 */
#ifndef KMDUMP_CONTEXT_H
#define KMDUMP_CONTEXT_H

#include <stdint.h>

#if !defined(__x86_64__)
#error "kmdump: only x86_64 targets are supported"
#endif

#if defined(__GNUC__)
#define KMDUMP_ALIGN16 __attribute__((aligned(16)))
#else
#define KMDUMP_ALIGN16
#endif

/* ContextFlags: which parts of the context are valid. */
#define KMDUMP_CONTEXT_AMD64 0x00100000u
#define KMDUMP_CONTEXT_CONTROL (KMDUMP_CONTEXT_AMD64 | 0x01u)
#define KMDUMP_CONTEXT_INTEGER (KMDUMP_CONTEXT_AMD64 | 0x02u)
#define KMDUMP_CONTEXT_SEGMENTS (KMDUMP_CONTEXT_AMD64 | 0x04u)
#define KMDUMP_CONTEXT_FLOATING_POINT (KMDUMP_CONTEXT_AMD64 | 0x08u)
#define KMDUMP_CONTEXT_DEBUG_REGISTERS (KMDUMP_CONTEXT_AMD64 | 0x10u)
#define KMDUMP_CONTEXT_FULL \
	(KMDUMP_CONTEXT_CONTROL | KMDUMP_CONTEXT_INTEGER | KMDUMP_CONTEXT_FLOATING_POINT)
#define KMDUMP_CONTEXT_ALL \
	(KMDUMP_CONTEXT_FULL | KMDUMP_CONTEXT_SEGMENTS | KMDUMP_CONTEXT_DEBUG_REGISTERS)
#define KMDUMP_CONTEXT_XSTATE (KMDUMP_CONTEXT_AMD64 | 0x40u)

struct KMDUMP_ALIGN16 kmdump_m128a {
	uint64_t Low;
	int64_t High;
};

/* The FXSAVE area. */
struct KMDUMP_ALIGN16 kmdump_xmm_save_area32 {
	uint16_t ControlWord;
	uint16_t StatusWord;
	uint8_t TagWord;
	uint8_t Reserved1;
	uint16_t ErrorOpcode;
	uint32_t ErrorOffset;
	uint16_t ErrorSelector;
	uint16_t Reserved2;
	uint32_t DataOffset;
	uint16_t DataSelector;
	uint16_t Reserved3;
	uint32_t MxCsr;
	uint32_t MxCsr_Mask;
	struct kmdump_m128a FloatRegisters[8];
	struct kmdump_m128a XmmRegisters[16];
	uint8_t Reserved4[96];
};

struct KMDUMP_ALIGN16 kmdump_context {
	uint64_t P1Home, P2Home, P3Home, P4Home, P5Home, P6Home;
	uint32_t ContextFlags;
	uint32_t MxCsr;
	uint16_t SegCs, SegDs, SegEs, SegFs, SegGs, SegSs;
	uint32_t EFlags;
	uint64_t Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	uint64_t Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi;
	uint64_t R8, R9, R10, R11, R12, R13, R14, R15;
	uint64_t Rip;
	union {
		struct kmdump_xmm_save_area32 FltSave;
		struct {
			struct kmdump_m128a Header[2];
			struct kmdump_m128a Legacy[8];
			struct kmdump_m128a Xmm0, Xmm1, Xmm2, Xmm3, Xmm4, Xmm5, Xmm6, Xmm7;
			struct kmdump_m128a Xmm8, Xmm9, Xmm10, Xmm11, Xmm12, Xmm13, Xmm14, Xmm15;
		};
	};
	struct kmdump_m128a VectorRegister[26];
	uint64_t VectorControl;
	uint64_t DebugControl;
	uint64_t LastBranchToRip;
	uint64_t LastBranchFromRip;
	uint64_t LastExceptionToRip;
	uint64_t LastExceptionFromRip;
};

#endif /* KMDUMP_CONTEXT_H */
