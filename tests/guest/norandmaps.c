// SPDX-License-Identifier: GPL-2.0
/*
 * norandmaps CMD [ARG...]: run CMD with its address space laid out
 * without randomization (ADDR_NO_RANDOMIZE, as setarch -R does).
 *
 * For a program that maps at fixed addresses of its own choosing: upstream
 * 6.1's userfaultfd selftest in its shmem:collapse mode maps its areas at
 * 1 GiB, where the heap of a static program lands now and then, since the
 * base kernel places the start of the heap anywhere in the first GiB above
 * the program (arch_randomize_brk()).  The mmap() hint then fails and the
 * test stops before it has tested anything.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/personality.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CMD [ARG...]\n", argv[0]);
		return 2;
	}
	if (personality(ADDR_NO_RANDOMIZE) == -1) {
		fprintf(stderr, "personality: %s\n", strerror(errno));
		return 1;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
	return 1;
}
