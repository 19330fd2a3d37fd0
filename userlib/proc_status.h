/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Breakpad's LinuxProcStatus text, formatted from the facts the module reports. */
#ifndef KMDUMP_PROC_STATUS_H
#define KMDUMP_PROC_STATUS_H

#include "source.h"
#include "transport.h"

/*
 * kmd_proc_status_text() - the /proc/<pid>/status lines readers use (lldb takes "Pid:"
 * from it, Breakpad shows it), in the kernel's own format, into a malloc'd blob.
 */
HRESULT kmd_proc_status_text(const struct kmd_tr_process *p, struct kmd_blob *out);

#endif /* KMDUMP_PROC_STATUS_H */
