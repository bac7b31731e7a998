// SPDX-License-Identifier: GPL-2.0
/*
 * hung-task: make a task hang on purpose, so that the harness can show it
 * ends such a boot early (scripts/hung-check.sh). It is not a test of the
 * kernel and never passes.
 *
 * One thread writes to a tmpfs file from a buffer in a userfaultfd range
 * that no one serves: it waits in that fault holding the file's i_rwsem.
 * A second thread's write to the same file then sleeps uninterruptibly on
 * the lock, and khungtaskd reports it once hung_task_timeout_secs (set to
 * 5 here) have passed twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

static int file;

static void *write_from(void *buf)
{
	if (write(file, buf, 4096) < 0)
		perror("write");
	return NULL;
}

static int fail(const char *what)
{
	printf("hung-task: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	static char plain[4096];
	pthread_t holder, waiter;
	char *area;
	int uffd, sysctl;

	sysctl = open("/proc/sys/kernel/hung_task_timeout_secs", O_WRONLY);
	if (sysctl < 0 || write(sysctl, "5\n", 2) != 2)
		return fail("hung_task_timeout_secs");
	close(sysctl);
	file = open("/tmp/hung-task", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file < 0)
		return fail("open /tmp/hung-task");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		return fail("userfaultfd");
	area = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return fail("mmap");
	reg.range.start = (unsigned long)area;
	reg.range.len = 4096;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return fail("UFFDIO_REGISTER");
	pthread_create(&holder, NULL, write_from, area);
	sleep(1);
	pthread_create(&waiter, NULL, write_from, plain);
	printf("hung-task: a write waits on the file's lock; waiting for khungtaskd\n");
	fflush(stdout);
	pause();
	return 1;
}
