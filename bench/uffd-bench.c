// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-bench: userfaultfd micro-benchmarks, run in the guest by `make bench`.
 *
 *   uffd-bench [-t SECONDS] [-m TYPE] roundtrip copy|zero|continue
 *              read|poll [FAULTS [write]]
 *   uffd-bench [-t SECONDS] roundtrip wp read|poll [FAULTS]
 *   uffd-bench [-t SECONDS] floor read|write|memcpy [FAULTS]
 *   uffd-bench [-t SECONDS] [-m shmem] scaling [FAULTS]
 *   uffd-bench [-m TYPE] fill [MIB]
 *   uffd-bench wp [MIB]
 *   uffd-bench bounce PROG MIB BOUNCES
 *
 * -m puts the registered areas of roundtrip, scaling and fill on another
 * memory type than private anonymous memory (anon): shmem (a memfd mapped
 * shared) or hugetlb (a hugetlbfs memfd, MFD_HUGETLB, mapped shared, in
 * units of 2 MiB pages).  Their pages are made missing again with
 * MADV_REMOVE, and their metrics get a ".shmem" or ".hugetlb" suffix.
 * A unit is a 4 KiB page, or a huge page for hugetlb: faults, copies and
 * fills are in units.  hugetlb has no UFFDIO_ZEROPAGE.
 *
 * -t caps the time of a round-trip or floor run (1024 faults at least) and
 * of each scaling configuration: fewer faults are measured when time runs
 * out, and an "INFO name faults N" line says how many.  Without -t the
 * counts are exact, as the deterministic mode needs.
 *
 * Every figure is printed on stdout as one line "BENCH metric value unit";
 * latency distributions as "HIST name bucket_ns count" lines (only the
 * buckets that are not empty; 8 buckets per power of two, a bucket named by
 * its lower bound).  Times come from clock_gettime(CLOCK_MONOTONIC): in the
 * deterministic mode of the harness (QEMU -icount shift=0) one nanosecond
 * is one guest instruction.
 *
 * roundtrip: one faulting thread reads (with "write": writes) the first byte
 * of every unit of a registered area (16 MiB, or 64 huge pages), one unit
 * after the other; one handler thread resolves each fault by UFFDIO_COPY
 * of a unit or by UFFDIO_ZEROPAGE, reading the messages with a blocking
 * read() or with poll() and a non-blocking read().  The latency of a fault
 * is the time from just before the first touch to just after the access
 * completes.  The area is emptied with MADV_DONTNEED (MADV_REMOVE) between
 * passes; its page tables are there before it is registered, and the
 * first 64 faults are not counted.  "continue" (shmem, hugetlb) registers
 * the area for minor faults instead: its file has every page, the area is
 * unmapped with MADV_DONTNEED between passes, and the handler maps each
 * page back with UFFDIO_CONTINUE.  "wp" (anon) registers the area for
 * write protection instead: its pages are all there, write-protected with
 * one UFFDIO_WRITEPROTECT before each pass (and not split into huge
 * pages), the faulting thread writes, and the handler takes the
 * protection off the unit and wakes the writer with one
 * UFFDIO_WRITEPROTECT.
 *
 * floor: the same pattern on an unregistered area (a plain page fault; a
 * read maps the zero page, a write allocates a page) and a 4 KiB memcpy()
 * between two pre-faulted buffers.
 *
 * scaling: T faulting threads write the first byte of every page of their
 * share of a registered area, H handler threads resolve the faults by
 * UFFDIO_COPY (blocking read()), for T and H in 1, 2, 4, 8; faults/s.
 *
 * fill: UFFDIO_COPY of MIB MiB into a registered area in 4 KiB, 64 KiB and
 * 2 MiB chunks (those not smaller than a unit), UFFDIO_ZEROPAGE of the
 * same, and a memcpy() into pre-faulted memory; with shmem and hugetlb
 * also UFFDIO_CONTINUE of the same chunks, the file's pages unmapped from
 * the area before each run; GiB/s.
 *
 * wp: UFFDIO_WRITEPROTECT of MIB MiB of written anonymous memory in one
 * ioctl, to protect and to unprotect, 8 times each, in 4 KiB pages
 * (MADV_NOHUGEPAGE) and in transparent huge pages (MADV_HUGEPAGE, as far
 * as the kernel gives them); GiB/s.  "unprotect-write" adds to the
 * unprotect a write to every page after it: a kernel that leaves the
 * pages read-only has each write fault, one that makes them writable
 * again pays for it in the unprotect.
 *
 * bounce: runs "PROG anon MIB BOUNCES" (the userfaultfd selftest) and gives
 * MIB * BOUNCES / elapsed time in MiB/s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>

#ifndef __NR_userfaultfd
#define __NR_userfaultfd 323
#endif

#define PAGE		4096UL
#define HPAGE		(2UL << 20)	/* the huge page of MFD_HUGETLB */
#define RT_PAGES	4096UL		/* pages of the round-trip area */
#define RT_HPAGES	64UL		/* the same, in huge pages */
#define RT_FAULTS	102400UL	/* measured faults, 25 passes */
#define RT_WARM		64UL		/* unmeasured round-trip faults */
#define CAP_MIN		1024UL		/* faults measured before -t counts */
#define CAP_STEP	256UL
#define SCALE_FAULTS	16384UL		/* faults per scaling configuration */
#define FILL_MIB	256UL
#define MAX_THREADS	8
#define HIST_SUB	8		/* buckets per power of two */
#define HIST_BUCKETS	(64 * HIST_SUB)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* -t: nanoseconds a run may take, 0 for no limit. */
static uint64_t time_cap;
/* -m: the memory type of the registered areas. */
enum mem_type { MEM_ANON, MEM_SHMEM, MEM_HUGETLB };
static const char *const mem_names[] = { "anon", "shmem", "hugetlb" };
static enum mem_type mem;
/* The unit of a registered area: PAGE, or HPAGE for hugetlb. */
static unsigned long unit = PAGE;
/* Units of the round-trip area. */
static unsigned long rt_units = RT_PAGES;
/* Registered for minor faults: the area's file keeps its pages. */
static int minor;
/* Registered for write protection instead of missing faults. */
static int wp;

/* How a fault or a fill is resolved. */
enum uffd_op { OP_COPY, OP_ZERO, OP_CONTINUE, OP_WP };
static const char *const op_names[] = { "copy", "zero", "continue", "wp" };

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "uffd-bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s\n", len, strerror(errno));
	return p;
}

static void discard(void *p, size_t len)
{
	if (madvise(p, len, MADV_DONTNEED))
		die("MADV_DONTNEED: %s\n", strerror(errno));
}

/* An area to register: anonymous memory, or a memfd mapped shared. */
static char *map_area(size_t len)
{
	char *p;
	int fd;

	if (mem == MEM_ANON)
		return map_anon(len);
	fd = memfd_create("uffd-bench", MFD_CLOEXEC |
			  (mem == MEM_HUGETLB ? MFD_HUGETLB : 0));
	if (fd < 0 || ftruncate(fd, len))
		die("memfd of %zu bytes: %s\n", len, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap memfd: %s\n", strerror(errno));
	close(fd);
	return p;
}

/*
 * Make the pages of an area of map_area() missing again; with @minor only
 * unmap them from the area, the file keeps them.
 */
static void discard_area(void *p, size_t len)
{
	if (mem == MEM_ANON || minor)
		discard(p, len);
	else if (madvise(p, len, MADV_REMOVE))
		die("MADV_REMOVE: %s\n", strerror(errno));
}

/* The suffix of the metrics of a registered area. */
static const char *area_tag(void)
{
	static const char *const tags[] = { "", ".shmem", ".hugetlb" };

	return tags[mem];
}

/*
 * A userfaultfd with UFFD_API and no feature, @addr..+@len registered for
 * missing faults, for minor faults with @minor, or for write protection
 * with @wp.
 */
static int uffd_setup(void *addr, size_t len, int flags)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = minor ? UFFDIO_REGISTER_MODE_MINOR :
			wp ? UFFDIO_REGISTER_MODE_WP :
			     UFFDIO_REGISTER_MODE_MISSING,
	};
	uint64_t want = 1ULL << _UFFDIO_CONTINUE;
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC | flags);

	if (wp) {
		want = 1ULL << _UFFDIO_WRITEPROTECT;
	} else if (!minor) {
		want = 1ULL << _UFFDIO_COPY;
		if (mem != MEM_HUGETLB)
			want |= 1ULL << _UFFDIO_ZEROPAGE;
	}
	if (fd < 0)
		die("userfaultfd: %s\n", strerror(errno));
	if (ioctl(fd, UFFDIO_API, &api))
		die("UFFDIO_API: %s\n", strerror(errno));
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER: %s\n", strerror(errno));
	if ((reg.ioctls & want) != want)
		die("UFFDIO_REGISTER: ioctls 0x%llx\n",
		    (unsigned long long)reg.ioctls);
	return fd;
}

static void uffd_wake(int fd, unsigned long addr, size_t len)
{
	struct uffdio_range r = { .start = addr, .len = len };

	if (ioctl(fd, UFFDIO_WAKE, &r))
		die("UFFDIO_WAKE: %s\n", strerror(errno));
}

/* UFFDIO_WRITEPROTECT of @len bytes at @addr; @mode 0 unprotects, wakes. */
static int write_protect(int fd, unsigned long addr, size_t len,
			 uint64_t mode)
{
	struct uffdio_writeprotect w = {
		.range = { .start = addr, .len = len },
		.mode = mode,
	};

	return ioctl(fd, UFFDIO_WRITEPROTECT, &w);
}

static void protect(int fd, void *addr, size_t len)
{
	while (write_protect(fd, (uintptr_t)addr, len,
			     UFFDIO_WRITEPROTECT_MODE_WP))
		if (errno != EAGAIN)
			die("UFFDIO_WRITEPROTECT: %s\n", strerror(errno));
}

/*
 * UFFDIO_COPY from @src, UFFDIO_ZEROPAGE, UFFDIO_CONTINUE or unprotecting
 * UFFDIO_WRITEPROTECT of @len bytes at @dst.  Goes on after EAGAIN from
 * where the kernel stopped; EEXIST (the unit is already there) wakes the
 * faulting threads itself, which the kernel does not.
 */
static void resolve(int fd, enum uffd_op op, unsigned long dst,
		    const char *src, size_t len)
{
	size_t done = 0;
	int64_t got;
	int ret;

	while (done < len) {
		if (op == OP_COPY) {
			struct uffdio_copy c = {
				.dst = dst + done,
				.src = (uintptr_t)src + done,
				.len = len - done,
			};

			ret = ioctl(fd, UFFDIO_COPY, &c);
			got = c.copy;
		} else if (op == OP_ZERO) {
			struct uffdio_zeropage z = {
				.range = { .start = dst + done,
					   .len = len - done },
			};

			ret = ioctl(fd, UFFDIO_ZEROPAGE, &z);
			got = z.zeropage;
		} else if (op == OP_WP) {
			/* All or nothing. */
			ret = write_protect(fd, dst + done, len - done, 0);
			got = ret ? 0 : len - done;
		} else {
			struct uffdio_continue c = {
				.range = { .start = dst + done,
					   .len = len - done },
			};

			ret = ioctl(fd, UFFDIO_CONTINUE, &c);
			got = c.mapped;
		}
		if (!ret) {
			done += got;
			continue;
		}
		if (errno == EAGAIN) {
			if (got > 0)
				done += got;
			continue;
		}
		if (errno == EEXIST) {
			uffd_wake(fd, dst + done, unit);
			done += unit;
			continue;
		}
		die("%s at 0x%lx: %s\n", op_names[op], dst + done,
		    strerror(errno));
	}
}

/* Reads up to @n messages into @msgs; polls first if @poll_first. */
static int uffd_get(int fd, int poll_first, struct uffd_msg *msgs, int n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	for (;;) {
		if (poll_first) {
			if (poll(&pfd, 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				die("poll: %s\n", strerror(errno));
			}
			if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
				die("poll: revents 0x%x\n", pfd.revents);
			if (!(pfd.revents & POLLIN))
				continue;
		}
		r = read(fd, msgs, n * sizeof(*msgs));
		if (r > 0)
			return r / sizeof(*msgs);
		if (r == 0)
			die("read(uffd): no message\n");
		if (errno != EAGAIN && errno != EINTR)
			die("read(uffd): %s\n", strerror(errno));
	}
}

static unsigned long fault_addr(const struct uffd_msg *msg)
{
	if (msg->event != UFFD_EVENT_PAGEFAULT)
		die("unexpected uffd event 0x%x\n", msg->event);
	return msg->arg.pagefault.address & ~(unit - 1);
}

/* Percentiles and the histogram of @n latencies (sorted in place). */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned int bucket_of(uint64_t v)
{
	unsigned int k;

	if (v < HIST_SUB)
		return v;
	k = 63 - __builtin_clzll(v);
	return (k - 2) * HIST_SUB + ((v >> (k - 3)) & (HIST_SUB - 1));
}

static uint64_t bucket_low(unsigned int b)
{
	unsigned int k;

	if (b < HIST_SUB)
		return b;
	k = b / HIST_SUB + 2;
	return (uint64_t)(HIST_SUB + b % HIST_SUB) << (k - 3);
}

static void report_latency(const char *name, uint64_t *lat, size_t n,
			   size_t wanted)
{
	static const struct {
		const char *tag;
		unsigned int permille;
	} pct[] = {
		{ "p50", 500 }, { "p90", 900 }, { "p99", 990 },
		{ "p99.9", 999 },
	};
	static unsigned long hist[HIST_BUCKETS];
	unsigned int i;
	size_t rank;

	if (n < wanted)
		printf("INFO %s faults %zu\n", name, n);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	for (i = 0; i < ARRAY_SIZE(pct); i++) {
		/* Nearest rank: the smallest value >= pct of the samples. */
		rank = (n * pct[i].permille + 999) / 1000;
		printf("BENCH %s.%s %llu ns\n", name, pct[i].tag,
		       (unsigned long long)lat[rank ? rank - 1 : 0]);
	}
	memset(hist, 0, sizeof(hist));
	for (rank = 0; rank < n; rank++)
		hist[bucket_of(lat[rank])]++;
	for (i = 0; i < HIST_BUCKETS; i++)
		if (hist[i])
			printf("HIST %s %llu %lu\n", name,
			       (unsigned long long)bucket_low(i), hist[i]);
	fflush(stdout);
}

/* Round trip */

struct rt_handler {
	int uffd;
	int poll;		/* poll() and non-blocking read() */
	enum uffd_op op;
	const char *src;
	unsigned long end;	/* the address that ends the thread */
};

static void *rt_handler(void *arg)
{
	struct rt_handler *h = arg;
	struct uffd_msg msg;
	unsigned long addr;

	do {
		uffd_get(h->uffd, h->poll, &msg, 1);
		addr = fault_addr(&msg);
		resolve(h->uffd, h->op, addr, h->src, unit);
	} while (addr != h->end);
	return NULL;
}

/*
 * Touches the first @warm units of @area, unmeasured, then every unit
 * (rt_units) once per pass, @passes times or until the time cap (checked
 * every CAP_STEP units, after CAP_MIN), storing the latencies in @lat.
 * Before each pass the units are made missing again, or with @wp
 * protected again through @uffd.  Returns the number of latencies stored.
 */
static unsigned long touch_passes(int uffd, char *area, int write,
				  unsigned long passes, unsigned long warm,
				  uint64_t *lat)
{
	uint64_t t0, start = now_ns();
	unsigned long pass, i, n = 0;
	volatile char *p;

	for (pass = 0; pass <= passes; pass++) {
		if (wp)
			protect(uffd, area, rt_units * unit);
		else
			discard_area(area, rt_units * unit);
		for (i = 0; i < (pass ? rt_units : warm); i++) {
			if (pass && time_cap && n >= CAP_MIN &&
			    !(n % CAP_STEP) && now_ns() - start > time_cap)
				return n;
			p = area + i * unit;
			t0 = now_ns();
			if (write)
				*p = 1;
			else
				(void)*p;
			if (pass)
				lat[n++] = now_ns() - t0;
		}
	}
	return n;
}

static unsigned long passes_for(unsigned long faults)
{
	unsigned long passes = (faults + rt_units - 1) / rt_units;

	return passes ? passes : 1;
}

static uint64_t *alloc_lat(unsigned long n)
{
	uint64_t *lat = malloc(n * sizeof(*lat));

	if (!lat)
		die("out of memory\n");
	return lat;
}

static void cmd_roundtrip(int argc, char **argv)
{
	struct rt_handler h = { 0 };
	unsigned long faults = RT_FAULTS, passes, n;
	int poll_mode, write = 0;
	char name[64], *area;
	pthread_t thread;
	uint64_t *lat;

	if (argc < 2)
		die("usage: roundtrip copy|zero|continue|wp read|poll "
		    "[FAULTS [write]]\n");
	if (!strcmp(argv[0], "zero"))
		h.op = OP_ZERO;
	else if (!strcmp(argv[0], "continue"))
		h.op = OP_CONTINUE;
	else if (!strcmp(argv[0], "wp"))
		h.op = OP_WP;
	else if (strcmp(argv[0], "copy"))
		die("roundtrip: copy, zero, continue or wp, not %s\n",
		    argv[0]);
	if (h.op == OP_ZERO && mem == MEM_HUGETLB)
		die("roundtrip: hugetlb has no UFFDIO_ZEROPAGE\n");
	if (h.op == OP_CONTINUE && mem == MEM_ANON)
		die("roundtrip: continue needs -m shmem or -m hugetlb\n");
	if (h.op == OP_WP && mem != MEM_ANON)
		die("roundtrip: wp is on anon only\n");
	minor = h.op == OP_CONTINUE;
	wp = h.op == OP_WP;
	poll_mode = !strcmp(argv[1], "poll");
	if (!poll_mode && strcmp(argv[1], "read"))
		die("roundtrip: read or poll, not %s\n", argv[1]);
	if (argc > 2)
		faults = strtoul(argv[2], NULL, 0);
	if (argc > 3) {
		write = !strcmp(argv[3], "write");
		if (!write && strcmp(argv[3], "read"))
			die("roundtrip: read or write access, not %s\n",
			    argv[3]);
	}
	if (wp && argc > 3 && !write)
		die("roundtrip: wp faults are writes\n");
	write |= wp;
	passes = passes_for(faults);

	/*
	 * One more unit: touching it stops the handler.  The page tables
	 * are filled in before the area is registered (and for minor
	 * faults the file's pages, for write protection every page); a few
	 * faults warm up the rest.
	 */
	area = map_area((rt_units + 1) * unit);
	if (wp && madvise(area, (rt_units + 1) * unit, MADV_NOHUGEPAGE))
		die("MADV_NOHUGEPAGE: %s\n", strerror(errno));
	memset(area, 0, (rt_units + 1) * unit);
	if (!wp)
		discard_area(area, (rt_units + 1) * unit);
	h.src = map_anon(unit);
	memset((char *)h.src, 0x5a, unit);
	h.uffd = uffd_setup(area, (rt_units + 1) * unit,
			    poll_mode ? O_NONBLOCK : 0);
	if (wp)
		protect(h.uffd, area, (rt_units + 1) * unit);
	h.end = (unsigned long)area + rt_units * unit;
	h.poll = poll_mode;
	lat = alloc_lat(passes * rt_units);
	if (pthread_create(&thread, NULL, rt_handler, &h))
		die("pthread_create\n");

	n = touch_passes(h.uffd, area, write, passes,
			 RT_WARM < rt_units ? RT_WARM : rt_units, lat);

	if (wp)
		*(volatile char *)(area + rt_units * unit) = 1;
	else
		(void)*(volatile char *)(area + rt_units * unit);
	pthread_join(thread, NULL);
	snprintf(name, sizeof(name), "roundtrip.%s.%s%s%s", argv[0], argv[1],
		 write && !wp ? ".write" : "", area_tag());
	report_latency(name, lat, n, passes * rt_units);
	close(h.uffd);
	free(lat);
}

/* Floor */

static void cmd_floor(int argc, char **argv)
{
	unsigned long faults = RT_FAULTS, passes, i, n, done;
	char *area, *src, *dst;
	uint64_t *lat, t0;

	if (argc < 1)
		die("usage: floor read|write|memcpy [FAULTS]\n");
	if (mem != MEM_ANON)
		die("floor: anonymous memory only\n");
	if (argc > 1)
		faults = strtoul(argv[1], NULL, 0);
	passes = passes_for(faults);
	n = passes * RT_PAGES;
	lat = alloc_lat(n);
	area = map_anon(RT_PAGES * PAGE);

	if (!strcmp(argv[0], "read")) {
		done = touch_passes(-1, area, 0, passes, RT_PAGES, lat);
		report_latency("floor.fault.read", lat, done, n);
	} else if (!strcmp(argv[0], "write")) {
		done = touch_passes(-1, area, 1, passes, RT_PAGES, lat);
		report_latency("floor.fault.write", lat, done, n);
	} else if (!strcmp(argv[0], "memcpy")) {
		/* 4 KiB memcpy() between pre-faulted buffers, pages in turn. */
		src = map_anon(RT_PAGES * PAGE);
		memset(src, 0x5a, RT_PAGES * PAGE);
		memset(area, 0, RT_PAGES * PAGE);
		for (i = 0; i < n + RT_PAGES; i++) {
			dst = area + (i % RT_PAGES) * PAGE;
			t0 = now_ns();
			memcpy(dst, src + (i % RT_PAGES) * PAGE, PAGE);
			__asm__ volatile("" : : "r"(dst) : "memory");
			if (i >= RT_PAGES)
				lat[i - RT_PAGES] = now_ns() - t0;
		}
		report_latency("floor.memcpy4k", lat, n, n);
	} else {
		die("floor: read, write or memcpy, not %s\n", argv[0]);
	}
	free(lat);
}

/* Scaling */

struct sc_state {
	char *area;
	int uffd;
	const char *src;
	unsigned long per_thread;	/* pages a faulting thread writes */
	unsigned long end;		/* first sentinel page */
	pthread_barrier_t start;
	uint64_t t_start[MAX_THREADS], t_end[MAX_THREADS];
	unsigned long done[MAX_THREADS];	/* pages written */
};

struct sc_arg {
	struct sc_state *s;
	int nr;
};

static void *sc_handler(void *arg)
{
	struct sc_state *s = arg;
	struct uffd_msg msgs[16];
	unsigned long addr;
	int i, n, stop = 0;

	while (!stop) {
		n = uffd_get(s->uffd, 0, msgs, 16);
		for (i = 0; i < n; i++) {
			addr = fault_addr(&msgs[i]);
			resolve(s->uffd, OP_COPY, addr, s->src, PAGE);
			if (addr >= s->end)
				stop = 1;
		}
	}
	return NULL;
}

static void *sc_faulter(void *arg)
{
	struct sc_arg *a = arg;
	struct sc_state *s = a->s;
	volatile char *p = s->area + a->nr * s->per_thread * PAGE;
	unsigned long i;

	uint64_t start;

	pthread_barrier_wait(&s->start);
	start = now_ns();
	for (i = 0; i < s->per_thread; i++) {
		if (!(i % 64) && i && time_cap && now_ns() - start > time_cap)
			break;
		p[i * PAGE] = 1;
	}
	s->t_end[a->nr] = now_ns();
	s->t_start[a->nr] = start;
	s->done[a->nr] = i;
	return NULL;
}

/*
 * One configuration: @t faulting threads, @h handler threads.  Returns
 * faults/s and stores the number of faults in @n.
 */
static double sc_run(struct sc_state *s, size_t len, int t, int h,
		     unsigned long faults, unsigned long *n)
{
	pthread_t ft[MAX_THREADS], ht[MAX_THREADS];
	struct sc_arg args[MAX_THREADS];
	uint64_t t0 = UINT64_MAX, t1 = 0;
	int i;

	*n = 0;

	discard_area(s->area, len);
	s->per_thread = faults / t;
	pthread_barrier_init(&s->start, NULL, t);
	for (i = 0; i < h; i++)
		if (pthread_create(&ht[i], NULL, sc_handler, s))
			die("pthread_create\n");
	for (i = 0; i < t; i++) {
		args[i].s = s;
		args[i].nr = i;
		if (pthread_create(&ft[i], NULL, sc_faulter, &args[i]))
			die("pthread_create\n");
	}
	for (i = 0; i < t; i++) {
		pthread_join(ft[i], NULL);
		if (s->t_start[i] < t0)
			t0 = s->t_start[i];
		if (s->t_end[i] > t1)
			t1 = s->t_end[i];
		*n += s->done[i];
	}
	/* Each handler resolves one sentinel fault and ends. */
	for (i = 0; i < h; i++)
		(void)*(volatile char *)(s->end + i * PAGE);
	for (i = 0; i < h; i++)
		pthread_join(ht[i], NULL);
	pthread_barrier_destroy(&s->start);
	return (double)*n * 1e9 / (double)(t1 - t0);
}

static void cmd_scaling(int argc, char **argv)
{
	static const int counts[] = { 1, 2, 4, 8 };
	unsigned long faults = SCALE_FAULTS, n;
	struct sc_state s;
	double rate;
	size_t len;
	char *src;
	int t, h;

	if (mem == MEM_HUGETLB)
		die("scaling: anon or shmem\n");
	if (argc > 0)
		faults = strtoul(argv[0], NULL, 0);
	faults = (faults + MAX_THREADS - 1) / MAX_THREADS * MAX_THREADS;
	memset(&s, 0, sizeof(s));
	len = (faults + MAX_THREADS) * PAGE;
	s.area = map_area(len);
	s.end = (unsigned long)s.area + faults * PAGE;
	src = map_anon(PAGE);
	memset(src, 0x5a, PAGE);
	s.src = src;
	s.uffd = uffd_setup(s.area, len, 0);

	/* Warm-up: page tables, thread stacks. */
	sc_run(&s, len, 1, 1, faults, &n);
	for (t = 0; t < 4; t++) {
		for (h = 0; h < 4; h++) {
			rate = sc_run(&s, len, counts[t], counts[h], faults,
				      &n);
			if (n < faults)
				printf("INFO scaling.t%d.h%d%s faults %lu\n",
				       counts[t], counts[h], area_tag(), n);
			printf("BENCH scaling.t%d.h%d%s %.0f faults/s\n",
			       counts[t], counts[h], area_tag(), rate);
		}
	}
	close(s.uffd);
}

/* Bulk fill */

/* The bytes of the MIB argument of @cmd (FILL_MIB), in whole huge pages. */
static size_t mib_arg(int argc, char **argv, const char *cmd)
{
	unsigned long mib = argc > 0 ? strtoul(argv[0], NULL, 0) : FILL_MIB;
	size_t len = (mib << 20) / HPAGE * HPAGE;

	if (!len)
		die("%s: at least 2 MiB\n", cmd);
	return len;
}

/* One fill of @len bytes at @dst, @chunk bytes an ioctl; -1 @uffd: memcpy */
static void fill_one(const char *name, char *dst, const char *src,
		     size_t len, size_t chunk, int uffd, enum uffd_op op)
{
	uint64_t t0, t1;
	size_t off;

	if (uffd < 0) {
		discard(dst, len);
		memset(dst, 0, len);	/* pre-faulted */
	} else {
		discard_area(dst, len);
	}
	t0 = now_ns();
	for (off = 0; off < len; off += chunk) {
		if (uffd < 0)
			memcpy(dst + off, src + off, chunk);
		else
			resolve(uffd, op, (unsigned long)dst + off,
				src + off, chunk);
	}
	__asm__ volatile("" : : "r"(dst) : "memory");
	t1 = now_ns();
	printf("BENCH %s %.4f GiB/s\n", name,
	       (double)len / (double)(1UL << 30) * 1e9 / (double)(t1 - t0));
	fflush(stdout);
}

static void cmd_fill(int argc, char **argv)
{
	static const struct { const char *tag; size_t chunk; } chunks[] = {
		{ "4k", 4UL << 10 }, { "64k", 64UL << 10 }, { "2m", 2UL << 20 },
	};
	char name[64], *src, *dst, *plain;
	enum uffd_op op;
	unsigned int i;
	size_t len;
	int uffd;

	len = mib_arg(argc, argv, "fill");
	src = map_anon(len);
	memset(src, 0x5a, len);
	dst = map_area(len);
	uffd = uffd_setup(dst, len, 0);

	for (op = OP_COPY; op <= OP_CONTINUE; op++) {
		if (op == OP_ZERO && mem == MEM_HUGETLB)
			continue;
		if (op == OP_CONTINUE) {
			if (mem == MEM_ANON)
				break;
			/* The file gets every page, then minor faults. */
			close(uffd);
			memset(dst, 0, len);
			minor = 1;
			uffd = uffd_setup(dst, len, 0);
		}
		for (i = 0; i < ARRAY_SIZE(chunks); i++) {
			if (chunks[i].chunk < unit)
				continue;
			snprintf(name, sizeof(name), "fill.%s.%s%s",
				 op_names[op], chunks[i].tag, area_tag());
			fill_one(name, dst, src, len, chunks[i].chunk, uffd,
				 op);
		}
	}
	minor = 0;
	close(uffd);
	munmap(dst, len);
	if (mem != MEM_ANON)
		return;
	plain = map_anon(len);
	fill_one("fill.memcpy", plain, src, len, len, -1, OP_COPY);
}

/* Write-protect throughput */

#define WP_RUNS	8

static void cmd_wp(int argc, char **argv)
{
	static const struct { const char *tag; int advice; } kinds[] = {
		{ "4k", MADV_NOHUGEPAGE }, { "thp", MADV_HUGEPAGE },
	};
	uint64_t t0, prot, unprot, rewrite;
	unsigned int i, run;
	size_t off;
	char *map, *p;
	size_t len;
	int uffd;

	len = mib_arg(argc, argv, "wp");
	wp = 1;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		/* Aligned to a huge page, so that every pmd can be one. */
		map = map_anon(len + HPAGE);
		p = (char *)(((uintptr_t)map + HPAGE - 1) & ~(HPAGE - 1));
		if (madvise(p, len, kinds[i].advice))
			die("madvise: %s\n", strerror(errno));
		memset(p, 1, len);
		uffd = uffd_setup(p, len, 0);
		prot = unprot = rewrite = 0;
		for (run = 0; run < WP_RUNS; run++) {
			t0 = now_ns();
			protect(uffd, p, len);
			prot += now_ns() - t0;
			t0 = now_ns();
			resolve(uffd, OP_WP, (uintptr_t)p, NULL, len);
			unprot += now_ns() - t0;
			/* What writing each page again costs after it. */
			t0 = now_ns();
			for (off = 0; off < len; off += PAGE)
				*(volatile char *)(p + off) = (char)run;
			rewrite += now_ns() - t0;
		}
		printf("BENCH wp.protect.%s %.4f GiB/s\n", kinds[i].tag,
		       (double)len * WP_RUNS / (double)(1UL << 30) * 1e9 /
		       (double)prot);
		printf("BENCH wp.unprotect.%s %.4f GiB/s\n", kinds[i].tag,
		       (double)len * WP_RUNS / (double)(1UL << 30) * 1e9 /
		       (double)unprot);
		printf("BENCH wp.unprotect-write.%s %.4f GiB/s\n", kinds[i].tag,
		       (double)len * WP_RUNS / (double)(1UL << 30) * 1e9 /
		       (double)(unprot + rewrite));
		close(uffd);
		munmap(map, len + HPAGE);
	}
	wp = 0;
}

/* Bounce */

static void cmd_bounce(int argc, char **argv)
{
	unsigned long mib, bounces;
	uint64_t t0, t1;
	int status;
	pid_t pid;

	if (argc < 3)
		die("usage: bounce PROG MIB BOUNCES\n");
	mib = strtoul(argv[1], NULL, 0);
	bounces = strtoul(argv[2], NULL, 0);
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork: %s\n", strerror(errno));
	if (!pid) {
		/* Its TAP goes to stderr, away from the figures. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execlp(argv[0], argv[0], "anon", argv[1], argv[2],
		       (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s\n", strerror(errno));
	t1 = now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s anon %s %s failed: status 0x%x\n", argv[0], argv[1],
		    argv[2], status);
	printf("BENCH bounce.anon.%lum.%lu %.2f MiB/s\n", mib, bounces,
	       (double)(mib * bounces) * 1e9 / (double)(t1 - t0));
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "roundtrip", cmd_roundtrip }, { "floor", cmd_floor },
		{ "scaling", cmd_scaling }, { "fill", cmd_fill },
		{ "wp", cmd_wp }, { "bounce", cmd_bounce },
	};
	unsigned int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-t")) {
		time_cap = strtod(argv[2], NULL) * 1e9;
		argc -= 2;
		argv += 2;
	}
	if (argc > 2 && !strcmp(argv[1], "-m")) {
		for (i = 0; i < ARRAY_SIZE(mem_names); i++)
			if (!strcmp(argv[2], mem_names[i]))
				break;
		if (i == ARRAY_SIZE(mem_names))
			die("-m: anon, shmem or hugetlb, not %s\n", argv[2]);
		mem = i;
		if (mem == MEM_HUGETLB) {
			unit = HPAGE;
			rt_units = RT_HPAGES;
		}
		argc -= 2;
		argv += 2;
	}
	for (i = 0; argc > 1 && i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			cmds[i].fn(argc - 2, argv + 2);
			return 0;
		}
	}
	fprintf(stderr,
		"usage: uffd-bench [-t SECONDS] [-m TYPE] roundtrip "
		"copy|zero|continue read|poll [FAULTS [write]]\n"
		"       uffd-bench [-t SECONDS] roundtrip wp read|poll "
		"[FAULTS]\n"
		"       uffd-bench [-t SECONDS] floor read|write|memcpy "
		"[FAULTS]\n"
		"       uffd-bench [-t SECONDS] [-m shmem] scaling [FAULTS]\n"
		"       uffd-bench [-m TYPE] fill [MIB]\n"
		"       uffd-bench wp [MIB]\n"
		"TYPE: anon, shmem or hugetlb\n"
		"       uffd-bench bounce PROG MIB BOUNCES\n");
	return 2;
}
