// SPDX-License-Identifier: GPL-2.0
/*
 * Split hugetlb vmas: munmap() and mprotect() of part of a MAP_HUGETLB
 * mapping. Splitting a hugetlb vma must take the file's rmap lock before it
 * unshares page tables; a lockdep kernel warns otherwise, and the harness
 * fails the test on that warning.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "kselftest.h"

#define HPAGE (2UL << 20)

int main(void)
{
	size_t len = 8 * HPAGE;
	char *p;

	ksft_print_header();
	ksft_set_plan(2);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		ksft_exit_skip("no 2 MiB huge pages: %s\n", strerror(errno));
	memset(p, 1, len);
	ksft_test_result(!munmap(p + 2 * HPAGE, HPAGE) && p[0] == 1 &&
			 p[3 * HPAGE] == 1,
			 "munmap of one huge page splits the vma\n");
	ksft_test_result(!mprotect(p + 5 * HPAGE, HPAGE, PROT_READ) &&
			 p[5 * HPAGE] == 1 && p[7 * HPAGE] == 1,
			 "mprotect of one huge page splits the vma\n");
	munmap(p, len);
	ksft_finished();
}
