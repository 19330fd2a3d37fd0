/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HRESULTs for libkmdump users. The values are not defined here: they come from the
 * protocol contract (netlink/kmdump.yaml -> netlink/kmdump.h, installed as
 * <kmdump/uapi.h>). This header only gives them the Windows spellings DbgHelp code
 * uses (S_OK, E_INVALIDARG, ...) and the SUCCEEDED/FAILED tests.
 */
#ifndef KMDUMP_HRESULT_H
#define KMDUMP_HRESULT_H

#include <stdint.h>
#include <kmdump/uapi.h>

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

/*
 * kmdump_strerror() - the message for an HRESULT, from the contract's table: "what
 * happened" plus, where the library knows it, "what to do". Never NULL; unknown values
 * get a generic text naming the facility and code. Thread-safe (returns static text).
 */
const char *kmdump_strerror(HRESULT hr);
/* kmdump_hresult_name() - the Windows name ("E_INVALIDARG", ...) or NULL if unknown. */
const char *kmdump_hresult_name(HRESULT hr);

#ifdef __cplusplus
}
#endif
#endif /* KMDUMP_HRESULT_H */
