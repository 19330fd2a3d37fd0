// SPDX-License-Identifier: GPL-2.0
/*
 * map-file FILE|fd:N OFFSET LENGTH PROT: a target that maps LENGTH bytes of a
 * file at OFFSET (private mapping; PROT is any of "r", "w", "x", e.g. "rx"),
 * never touches the mapping (so a mapping of a file whose server never answers
 * costs it nothing), prints "mapped addr=0x... len=N" and then sleeps until
 * killed. With "t" in PROT a second thread touches the first page (and waits
 * there, in the fault, when the file's server never answers): the page is
 * then locked in the page cache, its read in flight.
 *
 * map-file secret LENGTH: maps LENGTH bytes of memfd_secret() memory (outside
 * the kernel's direct map), fills them with 0x5e, clears the VM_DONTDUMP the
 * kernel gives them (madvise MADV_DODUMP), prints "mapped ..." and sleeps;
 * exits 77 when the kernel has no memfd_secret(). "fd:N" maps the inherited descriptor N instead of opening a path
 * (a file opened outside a chroot). A plain program (no sanitizers), like any
 * target a user would dump.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *touch(void *p)
{
	return (void *)(unsigned long)*(volatile char *)p;
}

static int map_secret(size_t len)
{
	int fd = (int)syscall(SYS_memfd_secret, 0);
	void *p;

	if (fd < 0 && (errno == ENOSYS || errno == EINVAL))
		return fprintf(stderr, "no memfd_secret: %s\n", strerror(errno)), 77;
	if (fd < 0 || ftruncate(fd, (off_t)len))
		return perror("memfd_secret"), 1;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap secret"), 1;
	memset(p, 0x5e, len);
	if (madvise(p, len, MADV_DODUMP))
		return perror("madvise MADV_DODUMP"), 1;
	printf("mapped addr=%p len=%zu\n", p, len);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	pthread_t th;
	int fd, prot = 0;
	size_t len;
	off_t off;
	void *p;

	if (argc == 3 && !strcmp(argv[1], "secret"))
		return map_secret((size_t)strtoull(argv[2], NULL, 0));
	if (argc != 5)
		return fprintf(stderr, "usage: map-file FILE|fd:N OFFSET LENGTH PROT | secret LENGTH\n"), 2;
	if (!strncmp(argv[1], "fd:", 3))
		fd = atoi(argv[1] + 3);
	else
		fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return perror(argv[1]), 1;
	off = (off_t)strtoull(argv[2], NULL, 0);
	len = (size_t)strtoull(argv[3], NULL, 0);
	if (strchr(argv[4], 'r'))
		prot |= PROT_READ;
	if (strchr(argv[4], 'w'))
		prot |= PROT_WRITE;
	if (strchr(argv[4], 'x'))
		prot |= PROT_EXEC;
	p = mmap(NULL, len, prot, MAP_PRIVATE, fd, off);
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	if (strchr(argv[4], 't') && pthread_create(&th, NULL, touch, p))
		return fprintf(stderr, "pthread_create failed\n"), 1;
	printf("mapped addr=%p len=%zu\n", p, len);
	fflush(stdout);
	for (;;)
		pause();
}
