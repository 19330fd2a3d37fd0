// SPDX-License-Identifier: GPL-2.0
/*
 * spinner FILE: a target whose progress a test can watch. It counts forever,
 * writing the count into FILE (as text, at offset 0) about every 2 ms; while
 * kmdump holds it frozen the count stops, and it moves again once thawed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long n = 0;
	char line[32];
	int fd, len;

	if (argc < 2)
		return 2;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return perror(argv[1]), 1;
	for (;;) {
		len = snprintf(line, sizeof(line), "%020lu\n", ++n);
		if (pwrite(fd, line, (size_t)len, 0) != len)
			return 1;
		usleep(2000);
	}
}
