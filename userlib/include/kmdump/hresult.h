/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HRESULTs with their Windows spellings, for DbgHelp code (included by
 * <kmdump/minidumpapiset.h>). The values are not defined here: they come from the
 * protocol contract (netlink/kmdump.yaml -> netlink/kmdump.h, installed as
 * <kmdump/uapi.h>). This header only gives them the names DbgHelp code uses (HRESULT,
 * S_OK, E_INVALIDARG, ...) and the SUCCEEDED/FAILED tests; kmdump_strerror() and
 * kmdump_hresult_name() are declared in <kmdump/kmdump.h>.
 */
#ifndef KMDUMP_HRESULT_H
#define KMDUMP_HRESULT_H

#include <stdint.h>
#include <kmdump/kmdump.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KMDUMP_HRESULT_DEFINED
#define KMDUMP_HRESULT_DEFINED
typedef int32_t HRESULT;
#endif

#ifndef SUCCEEDED
#define SUCCEEDED(hr) ((HRESULT)(hr) >= 0)
#define FAILED(hr) ((HRESULT)(hr) < 0)
#endif

#ifndef KMDUMP_NO_WIN32_NAMES
#define S_OK ((HRESULT)KMDUMP_S_OK)
#define S_FALSE ((HRESULT)KMDUMP_S_FALSE)
#define E_FAIL ((HRESULT)KMDUMP_E_FAIL)
#define E_NOTIMPL ((HRESULT)KMDUMP_E_NOTIMPL)
#define E_ABORT ((HRESULT)KMDUMP_E_ABORT)
#define E_ACCESSDENIED ((HRESULT)KMDUMP_E_ACCESSDENIED)
#define E_HANDLE ((HRESULT)KMDUMP_E_HANDLE)
#define E_OUTOFMEMORY ((HRESULT)KMDUMP_E_OUTOFMEMORY)
#define E_INVALIDARG ((HRESULT)KMDUMP_E_INVALIDARG)
#endif

#ifdef __cplusplus
}
#endif
#endif /* KMDUMP_HRESULT_H */
