// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Facts about this machine for SystemInfo and MiscInfo. The target runs on the machine
 * that dumps it, so cpuid and uname here describe the target's machine.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "engine.h"

static void fill_cpu(MINIDUMP_SYSTEM_INFO *si)
{
	unsigned int a, b, c, d, max;

	max = __get_cpuid_max(0, NULL);
	if (!max)
		return;
	__cpuid(0, a, b, c, d);
	si->Cpu.X86CpuInfo.VendorId[0] = b;
	si->Cpu.X86CpuInfo.VendorId[1] = d;
	si->Cpu.X86CpuInfo.VendorId[2] = c;
	if (max >= 1) {
		unsigned int family, model;

		__cpuid(1, a, b, c, d);
		si->Cpu.X86CpuInfo.VersionInformation = a;
		si->Cpu.X86CpuInfo.FeatureInformation = d;
		family = (a >> 8) & 0xf;
		model = (a >> 4) & 0xf;
		if (family == 0xf)
			family += (a >> 20) & 0xff;
		if (family >= 6)
			model += ((a >> 16) & 0xf) << 4;
		si->ProcessorLevel = (USHORT)family;
		si->ProcessorRevision = (USHORT)((model << 8) | (a & 0xf));
	}
	if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u) {
		__cpuid(0x80000001u, a, b, c, d);
		si->Cpu.X86CpuInfo.AMDExtendedCpuFeatures = d;
	}
}

void kmd_sysinfo_fill(MINIDUMP_SYSTEM_INFO *si, char *csd, size_t csdlen)
{
	struct utsname u;
	unsigned int maj = 0, min = 0, patch = 0;
	long n = sysconf(_SC_NPROCESSORS_CONF);

	memset(si, 0, sizeof(*si));
	si->ProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
	si->NumberOfProcessors = (UCHAR)(n > 255 ? 255 : n < 1 ? 1 : n);
	si->PlatformId = MD_OS_LINUX;
	fill_cpu(si);
	csd[0] = '\0';
	if (uname(&u) == 0) {
		snprintf(csd, csdlen, "%s %s %s %s", u.sysname, u.release, u.version, u.machine);
		sscanf(u.release, "%u.%u.%u", &maj, &min, &patch);
	}
	si->MajorVersion = maj;
	si->MinorVersion = min;
	si->BuildNumber = patch;
}

static unsigned long read_khz(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* MiscInfo 2 processor power fields, when cpufreq publishes them. */
void kmd_sysinfo_power(MINIDUMP_MISC_INFO_2 *mi)
{
	unsigned long max = read_khz("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
	unsigned long cur = read_khz("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq");
	unsigned long lim = read_khz("/sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq");

	if (!max)
		return;
	mi->Flags1 |= MINIDUMP_MISC1_PROCESSOR_POWER_INFO;
	mi->ProcessorMaxMhz = (ULONG32)(max / 1000);
	mi->ProcessorCurrentMhz = (ULONG32)(cur / 1000);
	mi->ProcessorMhzLimit = (ULONG32)(lim / 1000);
}
