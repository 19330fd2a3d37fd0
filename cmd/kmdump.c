// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kmdump [OPTIONS] PID [FILE]: write a minidump of a running process (see kmdump(1)).
 * Exit status: 0 written, 1 the dump failed, 2 bad usage, 3 the dump was written but
 * the kernel dump asked for with --kernel-dump failed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

static const char usage_text[] =
	"Usage: kmdump [OPTIONS] PID [FILE]\n"
	"Write a minidump (MDMP) of process PID to FILE, with the kmdump kernel module\n"
	"holding the process still. FILE defaults to PID.YYYYMMDD-HHMMSS.dmp.\n"
	"\n"
	"  -t, --type=FLAGS         dump type: MINIDUMP_TYPE names separated by commas or '|',\n"
	"                           with or without the MiniDump prefix (e.g.\n"
	"                           WithThreadInfo,WithDataSegs), or a number (0x1002)\n"
	"  -f, --full-memory        every readable mapping (MiniDumpWithFullMemory)\n"
	"  -k, --kernel-dump=FILE   also write a kernel minidump of the threads to FILE\n"
	"                           (needs CAP_SYS_ADMIN)\n"
	"  -e, --environment        include the environment (LinuxEnviron stream)\n"
	"  -s, --max-size=SIZE      size cap (K, M, G suffixes); memory is left out to fit\n"
	"      --stack-limit=SIZE   stack bytes per thread (default 32K)\n"
	"  -v, --verbose            print every callback on stderr\n"
	"  -q, --quiet              no summary line\n"
	"      --no-progress        no progress bar, even on a terminal\n"
	"      --list-types         list the dump type names and exit\n"
	"  -h, --help               this text\n"
	"      --version            the version\n"
	"\n"
	"On failure kmdump prints the HRESULT and what to do, and leaves no file behind.\n";

struct options {
	pid_t pid;
	const char *path;
	char default_path[64];
	const char *kernel_path;
	uint32_t dump_type;
	uint32_t flags;
	uint64_t max_size;
	uint32_t stack_limit;
	bool verbose, quiet, no_progress;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "kmdump: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'kmdump --help'.\n");
	return 2;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'G':
		v <<= 10;
		/* fallthrough */
	case 'M':
		v <<= 10;
		/* fallthrough */
	case 'K':
		v <<= 10;
		end++;
		break;
	}
	if (*end && strcasecmp(end, "B") && strcasecmp(end, "iB"))
		return -1;
	*out = v;
	return 0;
}

static int type_bit(const char *name, uint32_t *bit)
{
	uint32_t b;

	for (b = 1; b & MiniDumpValidTypeFlags; b <<= 1) {
		const char *full = kmdump_dump_type_name(b);

		if (full && (!strcasecmp(name, full) || !strcasecmp(name, full + strlen("MiniDump")))) {
			*bit = b;
			return 0;
		}
	}
	if (!strcasecmp(name, "Normal") || !strcasecmp(name, "MiniDumpNormal")) {
		*bit = 0;
		return 0;
	}
	return -1;
}

static int parse_type(const char *arg, uint32_t *type)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -1;
	if (isdigit((unsigned char)arg[0])) {
		char *end;
		unsigned long v = strtoul(arg, &end, 0);

		free(copy);
		if (*end)
			return -1;
		*type |= (uint32_t)v;
		return 0;
	}
	for (tok = strtok_r(copy, ",|+ ", &save); tok && !rc; tok = strtok_r(NULL, ",|+ ", &save)) {
		uint32_t bit;

		if (type_bit(tok, &bit)) {
			fprintf(stderr, "kmdump: unknown dump type '%s' (see kmdump --list-types)\n", tok);
			rc = -1;
		} else {
			*type |= bit;
		}
	}
	free(copy);
	return rc;
}

static void list_types(void)
{
	uint32_t b;

	printf("%-40s 0x%08x\n", "MiniDumpNormal", 0u);
	for (b = 1; b & MiniDumpValidTypeFlags; b <<= 1) {
		const char *why = kmdump_dump_type_refusal(b);

		printf("%-40s 0x%08x%s%s\n", kmdump_dump_type_name(b), b,
		       why ? "  refused: " : "", why ? why : "");
	}
}

enum { OPT_STACK = 256, OPT_NO_PROGRESS, OPT_LIST, OPT_VERSION };

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "full-memory", no_argument, NULL, 'f' },
		{ "kernel-dump", required_argument, NULL, 'k' },
		{ "environment", no_argument, NULL, 'e' },
		{ "max-size", required_argument, NULL, 's' },
		{ "stack-limit", required_argument, NULL, OPT_STACK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "list-types", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 }
	};
	uint64_t size;
	char *end;
	long pid;
	int c;

	while ((c = getopt_long(argc, argv, "t:fk:es:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_type(optarg, &o->dump_type))
				return usage_error("bad --type '%s'", optarg);
			break;
		case 'f':
			o->dump_type |= MiniDumpWithFullMemory;
			break;
		case 'k':
			o->kernel_path = optarg;
			break;
		case 'e':
			o->flags |= KMDUMP_FLAG_ENVIRONMENT;
			break;
		case 's':
			if (parse_size(optarg, &o->max_size) || !o->max_size)
				return usage_error("bad --max-size '%s' (e.g. 64M)", optarg);
			break;
		case OPT_STACK:
			if (parse_size(optarg, &size) || !size || size > UINT32_MAX)
				return usage_error("bad --stack-limit '%s' (e.g. 128K)", optarg);
			o->stack_limit = (uint32_t)size;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_NO_PROGRESS:
			o->no_progress = true;
			break;
		case OPT_LIST:
			list_types();
			exit(0);
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case OPT_VERSION:
			printf("kmdump %d.%d\n", KMDUMP_VERSION_MAJOR, KMDUMP_VERSION_MINOR);
			exit(0);
		default:
			return 2;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no PID given");
	if (argc - optind > 2)
		return usage_error("unexpected argument '%s'", argv[optind + 2]);
	errno = 0;
	pid = strtol(argv[optind], &end, 10);
	if (errno || *end || pid <= 0 || pid > 0x3fffffff)
		return usage_error("'%s' is not a process id", argv[optind]);
	o->pid = (pid_t)pid;
	o->path = argc - optind == 2 ? argv[optind + 1] : NULL;
	return 0;
}

static void default_path(struct options *o)
{
	time_t t = time(NULL);
	struct tm tm;
	char stamp[32];

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(o->default_path, sizeof(o->default_path), "%d.%s.dmp", (int)o->pid, stamp);
	o->path = o->default_path;
}

/* Readable bytes of the target, for the progress bar of a full-memory dump. */
static uint64_t readable_bytes(pid_t pid)
{
	char path[64], line[512];
	unsigned long long lo, hi;
	uint64_t total = 0;
	char perms[8];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) == 3 && perms[0] == 'r')
			total += hi - lo;
	fclose(f);
	return total;
}

static void human(uint64_t n, char *buf, size_t len)
{
	if (n >= 10ull << 30)
		snprintf(buf, len, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= 10ull << 20)
		snprintf(buf, len, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 10ull << 10)
		snprintf(buf, len, "%.1f KiB", (double)n / (1 << 10));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
}

static void print_summary(const struct options *o, const struct kmdump_result *r)
{
	char size[32], mem[32];

	human(r->bytes, size, sizeof(size));
	human(r->memory_bytes, mem, sizeof(mem));
	printf("kmdump: wrote %s: %u threads, %u modules, %u memory ranges (%s), %s, "
	       "target paused %.3f ms%s%s\n",
	       o->path, r->threads, r->modules, r->memory_ranges, mem, size,
	       (double)r->pause_ns / 1e6, r->capped ? ", memory left out to fit --max-size" : "",
	       r->failed_reads ? ", unreadable memory left out" : "");
}

static int report_failure(const struct options *o, HRESULT hr, const struct kmdump_result *r)
{
	const char *name = kmdump_hresult_name(hr);

	fprintf(stderr, "kmdump: cannot dump process %d: %s\n", (int)o->pid,
		r->message[0] ? r->message : kmdump_strerror(hr));
	fprintf(stderr, "kmdump: HRESULT 0x%08x%s%s: %s\n", (unsigned int)hr, name ? " " : "",
		name ? name : "", kmdump_strerror(hr));
	return 1;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct cmd_state st = { .kernel_fd = -1 };
	struct kmdump_result res = KMDUMP_RESULT_INIT;
	HRESULT hr;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (!o.path)
		default_path(&o);
	if (o.kernel_path) {
		st.kernel_fd = open(o.kernel_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (st.kernel_fd < 0) {
			fprintf(stderr, "kmdump: cannot create %s: %s\n", o.kernel_path, strerror(errno));
			return 1;
		}
	}
	st.verbose = o.verbose;
	st.progress = !o.no_progress && !o.verbose && isatty(STDERR_FILENO) &&
		      (o.dump_type & MiniDumpWithFullMemory);
	if (st.progress)
		st.total = readable_bytes(o.pid);

	struct kmdump_options ko = KMDUMP_OPTS(.dump_type = o.dump_type, .flags = o.flags,
					       .max_size = o.max_size,
					       .stack_limit = o.stack_limit,
					       .callback = cmd_callback, .callback_param = &st);
	hr = kmdump_write_dump_file(o.pid, o.path, &ko, &res);
	cmd_progress_end(&st);
	if (FAILED(hr)) {
		if (st.kernel_fd >= 0) {
			close(st.kernel_fd);
			unlink(o.kernel_path);
		}
		return report_failure(&o, hr, &res);
	}
	if (!o.quiet)
		print_summary(&o, &res);
	if (st.kernel_fd >= 0) {
		close(st.kernel_fd);
		if (FAILED(res.kernel_dump_status)) {
			unlink(o.kernel_path);
			fprintf(stderr, "kmdump: the kernel dump failed: HRESULT 0x%08x: %s\n",
				(unsigned int)res.kernel_dump_status,
				kmdump_strerror(res.kernel_dump_status));
			return 3;
		}
		if (!o.quiet)
			printf("kmdump: wrote the kernel dump %s\n", o.kernel_path);
	}
	return 0;
}
