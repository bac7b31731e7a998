// SPDX-License-Identifier: GPL-2.0
/*
 * Guest smoke test: the guest kernel runs user programs, anonymous memory
 * faults in and is shared copy-on-write across fork(), and the file systems
 * the harness mounts are there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"

static void test_anon_fork(void)
{
	size_t len = 64 << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;
	pid_t pid;
	int status;

	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	for (i = 0; i < len; i += 4096)
		p[i] = i >> 12;
	pid = fork();
	if (!pid) {
		for (i = 0; i < len; i += 4096)
			if (p[i] != (unsigned char)(i >> 12))
				_exit(1);
		memset(p, 0xff, len);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	for (i = 0; i < len; i += 4096)
		if (p[i] != (unsigned char)(i >> 12))
			break;
	ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status) && i == len,
			 "anonymous memory faults in and is copy-on-write across fork\n");
	munmap(p, len);
}

static void test_mounts(void)
{
	struct stat st;

	ksft_test_result(!stat("/proc/self/smaps", &st) &&
			 !stat("/dev/hugepages", &st) && !stat("/dev/null", &st),
			 "proc, devtmpfs and hugetlbfs are mounted\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	test_anon_fork();
	test_mounts();
	ksft_finished();
}
