// SPDX-License-Identifier: GPL-2.0
/*
 * criu-victim LOG: the process criu-lazy checkpoints and restores lazily.
 * It fills MEM_PAGES pages with a pattern, writes "ready PID" to LOG and
 * then, once a pass, forever:
 *
 *   - checks every page of the pattern;
 *   - forks a child that checks them too and exits 0 if they are right;
 *   - uses POOL_PAGES more pattern pages, a few per pass: one it drops
 *     with MADV_DONTNEED (it must read back as zeroes), one it unmaps, one
 *     it moves with mremap() to a new place (it must keep its pattern);
 *   - writes "pass N bad B child C pool P" to LOG and sleeps PASS_US.
 *
 * After a lazy restore, these are the faults, the fork and the madvise(),
 * munmap() and mremap() events the lazy-pages daemon must handle while
 * pages are still missing.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MEM_PAGES	4096
#define POOL_PAGES	768
#define PASS_US		100000

static long psz;

static unsigned long pat(long i)
{
	return 0x9e3779b97f4a7c15UL * (unsigned long)(i + 1);
}

static void fill(unsigned long *page, long i)
{
	page[0] = pat(i);
	page[psz / 8 - 1] = ~pat(i);
}

static int good(const unsigned long *page, long i)
{
	return page[0] == pat(i) && page[psz / 8 - 1] == ~pat(i);
}

static long check(char *mem)
{
	long i, bad = 0;

	for (i = 0; i < MEM_PAGES; i++)
		bad += !good((unsigned long *)(mem + i * psz), i);
	return bad;
}

/* Uses three pool pages; returns how many were wrong. */
static int use_pool(char *pool, long pass)
{
	long i = (pass * 3) % POOL_PAGES;
	char *p = pool + i * psz, *to;
	int bad = 0;

	if (i + 3 > POOL_PAGES)
		return 0;
	/* Dropped: zeroes from now on. */
	bad += !good((unsigned long *)p, MEM_PAGES + i);
	madvise(p, psz, MADV_DONTNEED);
	bad += *(unsigned long *)p != 0;
	/* Unmapped. */
	munmap(p + psz, psz);
	/* Moved: the pattern goes with it. */
	to = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (to == MAP_FAILED)
		return bad + 1;
	to = mremap(p + 2 * psz, psz, psz, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (to == MAP_FAILED)
		return bad + 1;
	bad += !good((unsigned long *)to, MEM_PAGES + i + 2);
	munmap(to, psz);
	return bad;
}

int main(int argc, char **argv)
{
	char *mem, *pool;
	long pass = 0, i;
	FILE *log;

	if (argc != 2)
		return 2;
	psz = sysconf(_SC_PAGESIZE);
	log = fopen(argv[1], "w");
	if (!log)
		return 1;
	setvbuf(log, NULL, _IOLBF, 0);
	mem = mmap(NULL, (MEM_PAGES + POOL_PAGES) * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	pool = mem + MEM_PAGES * psz;
	for (i = 0; i < MEM_PAGES + POOL_PAGES; i++)
		fill((unsigned long *)(mem + i * psz), i);
	fprintf(log, "ready %d\n", getpid());
	for (;;) {
		long bad = check(mem);
		int st = -1, pbad;
		pid_t c = fork();

		if (!c)
			_exit(check(mem) ? 1 : 0);
		if (c > 0)
			waitpid(c, &st, 0);
		pbad = use_pool(pool, pass);
		fprintf(log, "pass %ld bad %ld child %d pool %d\n", ++pass, bad,
			WIFEXITED(st) ? WEXITSTATUS(st) : -1, pbad);
		usleep(PASS_US);
	}
}
