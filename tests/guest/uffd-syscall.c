// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-syscall absent|present: check the userfaultfd system call number.
 * "absent" (the base kernel): the number is unassigned and returns ENOSYS.
 * "present" (with the series): the call exists, so it does not return ENOSYS.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kselftest.h"

#define NR_USERFAULTFD_X86_64 323

int main(int argc, char **argv)
{
	int want_absent = argc > 1 && !strcmp(argv[1], "absent");
	long ret;
	int err;

	ksft_print_header();
	ksft_set_plan(1);
	errno = 0;
	ret = syscall(NR_USERFAULTFD_X86_64, 0);
	err = errno;
	if (ret >= 0)
		close(ret);
	if (want_absent)
		ksft_test_result(ret == -1 && err == ENOSYS,
				 "syscall 323 returns ENOSYS (got %ld, %s)\n",
				 ret, strerror(err));
	else
		ksft_test_result(!(ret == -1 && err == ENOSYS),
				 "syscall 323 is userfaultfd (got %ld, %s)\n",
				 ret, strerror(err));
	ksft_finished();
}
