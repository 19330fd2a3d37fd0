// SPDX-License-Identifier: LGPL-2.1-or-later
/* The library's version at run time (the header's may be older). */
#include <kmdump/kmdump.h>

#define KMD_STR(x) #x
#define KMD_XSTR(x) KMD_STR(x)

uint32_t kmdump_major_version(void)
{
	return KMDUMP_VERSION_MAJOR;
}

uint32_t kmdump_minor_version(void)
{
	return KMDUMP_VERSION_MINOR;
}

const char *kmdump_version_string(void)
{
	return KMD_XSTR(KMDUMP_VERSION_MAJOR) "." KMD_XSTR(KMDUMP_VERSION_MINOR);
}
