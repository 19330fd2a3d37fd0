/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the faults test programs share: TAP output (one line per check, see
 * tests/e2e/README.md) and the description of an HRESULT the way a user sees
 * it (value, Windows name, the module's extended-ack message).
 */
#ifndef FAULTS_FAULTS_H
#define FAULTS_FAULTS_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <kmdump/hresult.h>

static int tap_n, tap_failed;

static inline int check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int check(int ok, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%s %d - ", ok ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return ok;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* "0x80070005 E_ACCESSDENIED" */
static inline const char *hr_str(HRESULT hr, char *buf, size_t len)
{
	const char *name = kmdump_hresult_name(hr);

	snprintf(buf, len, "0x%08" PRIx32 " %s", (uint32_t)hr, name ? name : "(unnamed)");
	return buf;
}

#define HR(hr) hr_str((hr), (char[96]){ 0 }, 96)

#endif /* FAULTS_FAULTS_H */
