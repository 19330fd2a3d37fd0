// SPDX-License-Identifier: LGPL-2.1-or-later
/* AMD64 CONTEXT records from Linux register sets (minidump-format.md §4.16). */
#include <string.h>
#include <ucontext.h>
#include "engine.h"

static void fill_segments(CONTEXT *c, const struct user_regs_struct *r)
{
	c->SegCs = (WORD)r->cs;
	c->SegDs = (WORD)r->ds;
	c->SegEs = (WORD)r->es;
	c->SegFs = (WORD)r->fs;
	c->SegGs = (WORD)r->gs;
	c->SegSs = (WORD)r->ss;
	c->EFlags = (DWORD)r->eflags;
}

static void fill_integer(CONTEXT *c, const struct user_regs_struct *r)
{
	c->Rax = r->rax;
	c->Rcx = r->rcx;
	c->Rdx = r->rdx;
	c->Rbx = r->rbx;
	c->Rsp = r->rsp;
	c->Rbp = r->rbp;
	c->Rsi = r->rsi;
	c->Rdi = r->rdi;
	c->R8 = r->r8;
	c->R9 = r->r9;
	c->R10 = r->r10;
	c->R11 = r->r11;
	c->R12 = r->r12;
	c->R13 = r->r13;
	c->R14 = r->r14;
	c->R15 = r->r15;
	c->Rip = r->rip;
}

/*
 * Breakpad's Linux writer uses CONTEXT_FULL|CONTEXT_SEGMENTS; with the debug registers
 * captured too, CONTEXT_ALL. The CPU bits stay exactly CONTEXT_AMD64 (readers check).
 */
void kmd_context_from_regs(CONTEXT *c, const struct kmd_src_thread *t)
{
	memset(c, 0, sizeof(*c));
	c->ContextFlags = CONTEXT_AMD64;
	if (!(t->facts & KMD_SRC_T_REGS))
		return;
	c->ContextFlags = CONTEXT_FULL | CONTEXT_SEGMENTS;
	fill_segments(c, &t->regs);
	fill_integer(c, &t->regs);
	if (t->facts & KMD_SRC_T_FPREGS) {
		memcpy(&c->FltSave, t->fxsave, sizeof(c->FltSave));
		c->MxCsr = c->FltSave.MxCsr;
	} else {
		c->ContextFlags &= ~(CONTEXT_FLOATING_POINT & ~CONTEXT_AMD64);
	}
	if (t->facts & KMD_SRC_T_DEBUGREGS) {
		c->ContextFlags |= CONTEXT_DEBUG_REGISTERS;
		c->Dr0 = t->dr[0];
		c->Dr1 = t->dr[1];
		c->Dr2 = t->dr[2];
		c->Dr3 = t->dr[3];
		c->Dr6 = t->dr[6];
		c->Dr7 = t->dr[7];
	}
}

void kmdump_context_from_ucontext(CONTEXT *c, const void *ucontext)
{
	const ucontext_t *uc = ucontext;
	const greg_t *g = uc->uc_mcontext.gregs;

	memset(c, 0, sizeof(*c));
	c->ContextFlags = CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_SEGMENTS;
	c->Rax = (DWORD64)g[REG_RAX];
	c->Rcx = (DWORD64)g[REG_RCX];
	c->Rdx = (DWORD64)g[REG_RDX];
	c->Rbx = (DWORD64)g[REG_RBX];
	c->Rsp = (DWORD64)g[REG_RSP];
	c->Rbp = (DWORD64)g[REG_RBP];
	c->Rsi = (DWORD64)g[REG_RSI];
	c->Rdi = (DWORD64)g[REG_RDI];
	c->R8 = (DWORD64)g[REG_R8];
	c->R9 = (DWORD64)g[REG_R9];
	c->R10 = (DWORD64)g[REG_R10];
	c->R11 = (DWORD64)g[REG_R11];
	c->R12 = (DWORD64)g[REG_R12];
	c->R13 = (DWORD64)g[REG_R13];
	c->R14 = (DWORD64)g[REG_R14];
	c->R15 = (DWORD64)g[REG_R15];
	c->Rip = (DWORD64)g[REG_RIP];
	c->EFlags = (DWORD)g[REG_EFL];
	/* REG_CSGSFS packs cs, gs, fs (and ss on newer kernels) in 16-bit fields */
	c->SegCs = (WORD)(g[REG_CSGSFS] & 0xffff);
	c->SegGs = (WORD)((g[REG_CSGSFS] >> 16) & 0xffff);
	c->SegFs = (WORD)((g[REG_CSGSFS] >> 32) & 0xffff);
	c->SegSs = (WORD)((g[REG_CSGSFS] >> 48) & 0xffff);
	if (uc->uc_mcontext.fpregs) {
		memcpy(&c->FltSave, uc->uc_mcontext.fpregs, sizeof(c->FltSave));
		c->MxCsr = c->FltSave.MxCsr;
		c->ContextFlags |= CONTEXT_FLOATING_POINT;
	}
}
