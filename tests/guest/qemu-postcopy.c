// SPDX-License-Identifier: GPL-2.0
/*
 * qemu-postcopy [PAYLOAD [BACKEND [MODE]]]: QEMU postcopy live migration,
 * or with MODE "snapshot" QEMU's background snapshot, as a client of
 * userfaultfd.  Runs a source and a destination
 * qemu-system-x86_64 (TCG)
 * on this machine, the guest being PAYLOAD (postcopy-payload.S: a multiboot
 * image that keeps rewriting a pattern over 16 MiB of its RAM and checking
 * 16 MiB more), and migrates it over 127.0.0.1 with the postcopy-ram
 * capability:
 *
 *   1. both QEMUs get postcopy-ram, the destination listens
 *      (-incoming defer, migrate-incoming);
 *   2. once the source guest has made PRE_PASSES passes, the migration
 *      starts with precopy capped at PRE_BW bytes/s, so that most pages
 *      are still missing on the destination when, PRE_MS later,
 *      migrate-start-postcopy switches it over;
 *   3. the destination's userfaultfd then fetches every page its guest
 *      touches (postcopy-requests) while the rest streams in.
 *
 * It passes when the migration completes, the source counted postcopy
 * requests, the destination guest keeps making passes, and a dump of the
 * destination's RAM (QMP pmemsave, guest stopped) holds the pattern: the
 * read-only region intact, the read-write region one or two consecutive
 * passes in address order, no wrong word seen by the guest itself.  It
 * prints the figures (total time, downtime, requests) on a "# figures"
 * line.  Exit status 0 on success, 1 on failure, 4 (skip) when QEMU is
 * not installed.
 *
 * BACKEND is the guest RAM of both QEMUs: "anon" (the default: private
 * anonymous memory), "memfd" (memory-backend-memfd,share=on, a memfd
 * mapped shared, as vhost-user needs: shmem on the destination) or
 * "hugetlbfs" (memory-backend-file,share=on on the hugetlbfs mount
 * /dev/hugepages: huge pages filled whole on the destination).
 *
 * MODE "snapshot" saves the running guest's RAM with the background-snapshot
 * capability instead: the source write-protects the guest's RAM
 * (UFFDIO_REGISTER_MODE_WP, UFFDIO_WRITEPROTECT) and saves each page
 * before the guest's first write to it, while the guest keeps making
 * passes; the saving runs at PRE_BW bytes/s, so that the guest writes
 * most pages before they are saved.  The snapshot is loaded into the
 * destination (-S, paused): its RAM must be the guest's at one instant,
 * when QEMU stopped it to protect its RAM once set up (the dump check
 * above), at a pass from the one the guest was at when the snapshot was
 * asked for to two before the one it was at when it completed; the
 * destination guest then runs on from there.  A write that went through unreported would leave a page
 * of a later pass in the snapshot.
 *
 * QEMU is /usr/bin/qemu-system-x86_64, or $QEMU.  Everything it writes
 * goes to /tmp/qemu-postcopy-{src,dst}.log, shown on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "postcopy-payload.h"

#define GUEST_MB	64
#define PORT		"4444"
#define PRE_PASSES	2		/* source passes before migrating */
#define PRE_BW		(4 << 20)	/* precopy bandwidth, bytes/s */
#define PRE_MS		1000		/* precopy time before the switch */
#define START_MS	120000		/* QEMU up, guest making passes */
#define MIGRATE_MS	600000		/* the whole migration */
#define QMP_MS		60000		/* one QMP command */
#define KSFT_SKIP	4

static const char *qemu = "/usr/bin/qemu-system-x86_64";
static bool snapshot;	/* MODE "snapshot" */
static pid_t pids[2];
static const char *const names[2] = { "src", "dst" };

struct qmp {
	const char *name;
	int fd;
	char buf[1 << 16];
	size_t len;
	char line[1 << 16];
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void show_log(int i)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/qemu-postcopy-%s.log", names[i]);
	f = fopen(path, "r");
	if (!f)
		return;
	printf("# --- %s QEMU output ---\n", names[i]);
	while (fgets(line, sizeof(line), f))
		printf("#   %s", line);
	fclose(f);
}

static void stop_all(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	stop_all();
	show_log(0);
	show_log(1);
	printf("not ok 1 qemu-postcopy\n");
	exit(1);
}

static void bring_up_lo(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		fail("loopback: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		fail("loopback up: %s", strerror(errno));
	close(s);
}

static void start_qemu(int i, const char *payload, const char *sock,
		       const char *backend)
{
	char log[64], qmp[128], mem[16], obj[128];
	const char *argv[32];
	int n = 0, fd;
	pid_t pid;

	snprintf(log, sizeof(log), "/tmp/qemu-postcopy-%s.log", names[i]);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", sock);
	snprintf(mem, sizeof(mem), "%dM", GUEST_MB);
	argv[n++] = qemu;
	argv[n++] = "-M";
	if (!strcmp(backend, "memfd") || !strcmp(backend, "hugetlbfs")) {
		if (!strcmp(backend, "memfd"))
			snprintf(obj, sizeof(obj),
				 "memory-backend-memfd,id=ram,size=%dM,share=on",
				 GUEST_MB);
		else
			snprintf(obj, sizeof(obj),
				 "memory-backend-file,id=ram,size=%dM,share=on,mem-path=/dev/hugepages",
				 GUEST_MB);
		argv[n++] = "pc,memory-backend=ram";
		argv[n++] = "-object";
		argv[n++] = obj;
	} else {
		argv[n++] = "pc";
	}
	argv[n++] = "-accel";
	argv[n++] = "tcg";
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-vga";
	argv[n++] = "none";
	argv[n++] = "-kernel";
	argv[n++] = payload;
	argv[n++] = "-qmp";
	argv[n++] = qmp;
	if (i == 1) {
		argv[n++] = "-incoming";
		argv[n++] = "defer";
		/* A snapshot's guest stays stopped, to be checked first. */
		if (snapshot)
			argv[n++] = "-S";
	}
	argv[n] = NULL;

	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		execv(qemu, (char **)argv);
		fprintf(stderr, "exec %s: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	pids[i] = pid;
}

/* Whether QEMU @i is still running; fail if it exited. */
static void check_alive(int i)
{
	int status;

	if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
		pids[i] = 0;
		fail("%s QEMU exited (status %#x)", names[i], status);
	}
}

static void qmp_connect(struct qmp *q, int i, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long t0 = now_ms();

	q->name = names[i];
	q->len = 0;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0)
			fail("socket: %s", strerror(errno));
		if (!connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)))
			return;
		close(q->fd);
		check_alive(i);
		if (now_ms() - t0 > START_MS)
			fail("%s QMP socket %s: %s", q->name, path,
			     strerror(errno));
		usleep(100000);
	}
}

/* The next line QEMU sends (without the line end), or fail. */
static const char *qmp_line(struct qmp *q)
{
	long t0 = now_ms();
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			size_t l = nl - q->buf;

			memcpy(q->line, q->buf, l);
			q->line[l] = '\0';
			if (l && q->line[l - 1] == '\r')
				q->line[l - 1] = '\0';
			memmove(q->buf, nl + 1, q->len - l - 1);
			q->len -= l + 1;
			return q->line;
		}
		if (q->len == sizeof(q->buf))
			fail("%s QMP: line too long", q->name);
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		long left = QMP_MS - (now_ms() - t0);

		if (left <= 0)
			fail("%s QMP: no answer in %d ms", q->name, QMP_MS);
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			fail("%s QMP poll: %s", q->name, strerror(errno));
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n <= 0)
			fail("%s QMP: connection closed", q->name);
		q->len += n;
	}
}

/*
 * Send a QMP command (JSON text) and return its answer line: a line with
 * "return", events skipped.  An "error" answer fails the test.
 */
static __attribute__((format(printf, 2, 3)))
const char *qmp(struct qmp *q, const char *fmt, ...)
{
	char cmd[1024];
	const char *l;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(cmd) - 1)
		fail("%s QMP command too long", q->name);
	cmd[n++] = '\n';
	if (write(q->fd, cmd, n) != n)
		fail("%s QMP write: %s", q->name, strerror(errno));
	for (;;) {
		l = qmp_line(q);
		if (strstr(l, "\"error\""))
			fail("%s QMP %.*s: %s", q->name, n - 1, cmd, l);
		if (strstr(l, "\"return\""))
			return l;
	}
}

/* The number after "key": in @json, or -1. */
static long json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(json, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* The string after "key": in @json, copied to @out. */
static const char *json_str(const char *json, const char *key, char *out,
			    size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(json, pat);
	if (!p) {
		snprintf(out, size, "(none)");
		return out;
	}
	p += strlen(pat);
	e = strchr(p, '"');
	snprintf(out, size, "%.*s", (int)(e ? e - p : 0), p);
	return out;
}

/* A 32-bit word of guest memory, read with the monitor's xp. */
static uint32_t guest_word(struct qmp *q, uint32_t addr)
{
	const char *l = qmp(q, "{\"execute\": \"human-monitor-command\", "
			    "\"arguments\": {\"command-line\": \"xp /1wx %#x\"}}",
			    addr);
	const char *p = strstr(l, ": 0x");

	if (!p)
		fail("%s xp %#x: %s", q->name, addr, l);
	return strtoul(p + 2, NULL, 16);
}

/* Wait until the guest of @q has made more than @passes passes. */
static uint32_t wait_passes(struct qmp *q, uint32_t passes, long ms)
{
	long t0 = now_ms();
	uint32_t c;

	for (;;) {
		c = guest_word(q, PASS_ADDR);
		if (c > passes)
			return c;
		if (now_ms() - t0 > ms)
			fail("%s guest stuck at pass %u for %ld ms", q->name, c,
			     ms);
		usleep(200000);
	}
}

static uint32_t inverse(uint32_t a)
{
	uint32_t x = a;	/* Newton's iteration for a^-1 mod 2^32, a odd */
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x;
}

/* Check a dump of the destination's RAM; return the number of passes. */
static uint32_t check_dump(const char *path)
{
	uint32_t inv = inverse(RW_MUL), pass, c, prev, a;
	const uint32_t *w;
	int fd = open(path, O_RDONLY), boundaries = 0;
	struct stat st;
	void *m;

	if (fd < 0 || fstat(fd, &st))
		fail("dump %s: %s", path, strerror(errno));
	if (st.st_size < RO_END)
		fail("dump %s: %lld bytes", path, (long long)st.st_size);
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		fail("mmap dump: %s", strerror(errno));
	w = m;
	pass = w[PASS_ADDR / 4];
	if (pass < 1)
		fail("dump: no pass completed");
	if (w[BAD_ADDR / 4])
		fail("dump: the guest read a wrong word at %#x", w[BAD_ADDR / 4]);
	for (a = RO_START; a < RO_END; a += 4)
		if (w[a / 4] != (a ^ RO_SEED))
			fail("dump: read-only word at %#x is %#x, expected %#x",
			     a, w[a / 4], a ^ RO_SEED);
	prev = pass + 1;
	for (a = RW_START; a < RW_END; a += 4) {
		c = (w[a / 4] ^ a) * inv;
		if (c != pass && c != pass + 1)
			fail("dump: word at %#x is %#x: pass %u, the guest is at pass %u",
			     a, w[a / 4], c, pass);
		if (c != prev) {
			if (c > prev || ++boundaries > 1)
				fail("dump: pass %u at %#x after pass %u", c, a,
				     prev);
			prev = c;
		}
	}
	munmap(m, st.st_size);
	close(fd);
	return pass;
}

/*
 * Wait until the migration of @q has completed; fail if it ends otherwise
 * or takes more than @ms.  QEMU @alive must stay up meanwhile.  Returns
 * the answer of query-migrate.
 */
static const char *wait_completed(struct qmp *q, int alive, long ms)
{
	long t0 = now_ms();
	char status[64];
	const char *l;

	for (;;) {
		l = qmp(q, "{\"execute\": \"query-migrate\"}");
		json_str(l, "status", status, sizeof(status));
		if (!strcmp(status, "completed"))
			return l;
		/* "(none)": an incoming migration that has not started. */
		if (strcmp(status, "(none)") && strcmp(status, "setup") &&
		    strcmp(status, "active") &&
		    strcmp(status, "postcopy-active") && strcmp(status, "device"))
			fail("%s migration %s: %s", q->name, status, l);
		if (now_ms() - t0 > ms)
			fail("%s migration still %s after %ld ms: %s", q->name,
			     status, ms, l);
		check_alive(alive);
		usleep(200000);
	}
}

/* Stop the guest of @q, dump its RAM and check it: the passes made. */
static uint32_t check_guest(struct qmp *q, const char *dump)
{
	uint32_t passes;

	qmp(q, "{\"execute\": \"stop\"}");
	qmp(q, "{\"execute\": \"pmemsave\", \"arguments\": "
	    "{\"val\": 0, \"size\": %d, \"filename\": \"%s\"}}",
	    GUEST_MB << 20, dump);
	passes = check_dump(dump);
	unlink(dump);
	return passes;
}

/* The source's guest migrates to the destination, postcopy. */
static void run_postcopy(struct qmp *src, struct qmp *dst, const char *dump)
{
	long total, down, setup, requests, transferred;
	uint32_t passes, p1, p2;
	char status[64];
	const char *l;

	l = "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
	    "{\"capabilities\": [{\"capability\": \"postcopy-ram\", "
	    "\"state\": true}]}}";
	qmp(src, "%s", l);
	qmp(dst, "%s", l);
	qmp(dst, "{\"execute\": \"migrate-incoming\", \"arguments\": "
	    "{\"uri\": \"tcp:127.0.0.1:" PORT "\"}}");
	qmp(src, "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
	    "{\"max-bandwidth\": %d}}", PRE_BW);
	qmp(src, "{\"execute\": \"migrate\", \"arguments\": "
	    "{\"uri\": \"tcp:127.0.0.1:" PORT "\"}}");
	usleep(PRE_MS * 1000);
	l = qmp(src, "{\"execute\": \"query-migrate\"}");
	json_str(l, "status", status, sizeof(status));
	printf("# after %d ms of precopy: %s, %ld bytes sent\n", PRE_MS,
	       status, json_num(l, "transferred"));
	if (strcmp(status, "active"))
		fail("migration %s before the switch: %s", status, l);
	qmp(src, "{\"execute\": \"migrate-start-postcopy\"}");

	l = wait_completed(src, 1, MIGRATE_MS);
	total = json_num(l, "total-time");
	down = json_num(l, "downtime");
	setup = json_num(l, "setup-time");
	requests = json_num(l, "postcopy-requests");
	transferred = json_num(l, "transferred");
	printf("# source: %s\n", l);

	/* The destination finishes when its last page is in. */
	wait_completed(dst, 1, QMP_MS);
	l = qmp(dst, "{\"execute\": \"query-status\"}");
	json_str(l, "status", status, sizeof(status));
	if (strcmp(status, "running"))
		fail("destination guest %s: %s", status, l);
	p1 = guest_word(dst, PASS_ADDR);
	p2 = wait_passes(dst, p1, START_MS);
	passes = check_guest(dst, dump);
	printf("# destination guest: passes %u then %u while checked, %u in the dump\n",
	       p1, p2, passes);
	stop_all();

	printf("# figures: total-time %ld ms, downtime %ld ms, setup-time %ld ms, postcopy-requests %ld, transferred %ld bytes\n",
	       total, down, setup, requests, transferred);
	if (requests <= 0)
		fail("no postcopy requests: the destination faulted no page in");
}

/*
 * The source saves its running guest with a background snapshot, which
 * the destination loads and checks.
 */
static void run_snapshot(struct qmp *src, struct qmp *dst, const char *dump)
{
	const char *file = "/tmp/qemu-postcopy.snapshot";
	uint32_t p0, p1, passes, p2;
	long total, transferred;
	char status[64];
	const char *l;

	unlink(file);
	qmp(src, "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
	    "{\"capabilities\": [{\"capability\": \"background-snapshot\", "
	    "\"state\": true}]}}");
	qmp(src, "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
	    "{\"max-bandwidth\": %d}}", PRE_BW);
	p0 = guest_word(src, PASS_ADDR);
	qmp(src, "{\"execute\": \"migrate\", \"arguments\": "
	    "{\"uri\": \"exec:cat > %s\"}}", file);
	l = wait_completed(src, 1, MIGRATE_MS);
	total = json_num(l, "total-time");
	transferred = json_num(l, "transferred");
	printf("# source: %s\n", l);
	l = qmp(src, "{\"execute\": \"query-status\"}");
	json_str(l, "status", status, sizeof(status));
	if (strcmp(status, "running"))
		fail("source guest %s after the snapshot: %s", status, l);
	p1 = guest_word(src, PASS_ADDR);

	qmp(dst, "{\"execute\": \"migrate-incoming\", \"arguments\": "
	    "{\"uri\": \"exec:cat %s\"}}", file);
	wait_completed(dst, 0, MIGRATE_MS);
	unlink(file);
	/* The RAM as saved, the guest not run yet. */
	passes = check_guest(dst, dump);
	/*
	 * Taken once QEMU has set up (the guest runs on meanwhile), and
	 * the guest must have made two passes more, writing every page,
	 * while it was saved.
	 */
	if (passes < p0 || passes + 2 > p1)
		fail("the snapshot holds pass %u, started at pass %u, the guest at pass %u when it completed: too few writes to protected pages",
		     passes, p0, p1);
	qmp(dst, "{\"execute\": \"cont\"}");
	p2 = wait_passes(dst, passes + 1, START_MS);
	check_guest(dst, dump);
	printf("# snapshot started at pass %u, holds pass %u; the guest was at pass %u when it completed; loaded, it ran on to pass %u\n",
	       p0, passes, p1, p2);
	stop_all();
	printf("# figures: total-time %ld ms, transferred %ld bytes, passes while saving %u\n",
	       total, transferred, p1 - passes);
}

int main(int argc, char **argv)
{
	static struct qmp src, dst;
	const char *payload = argc > 1 ? argv[1] : "postcopy-payload";
	const char *backend = argc > 2 ? argv[2] : "anon";
	const char *mode = argc > 3 ? argv[3] : "postcopy";
	const char *dump = "/tmp/qemu-postcopy-dst.ram";
	char path[256];
	uint32_t passes;
	long t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("QEMU"))
		qemu = getenv("QEMU");
	if (access(qemu, X_OK)) {
		printf("# SKIP: %s: %s\n", qemu, strerror(errno));
		return KSFT_SKIP;
	}
	if (!strchr(payload, '/') && access(payload, R_OK)) {
		snprintf(path, sizeof(path), "/tests/%s", payload);
		payload = path;
	}
	if (access(payload, R_OK))
		fail("payload %s: %s", payload, strerror(errno));
	if (strcmp(backend, "anon") && strcmp(backend, "memfd") &&
	    strcmp(backend, "hugetlbfs"))
		fail("backend %s: anon, memfd or hugetlbfs", backend);
	if (strcmp(mode, "postcopy") && strcmp(mode, "snapshot"))
		fail("mode %s: postcopy or snapshot", mode);
	snapshot = !strcmp(mode, "snapshot");
	printf("# guest RAM: %s, %s\n", backend, mode);
	bring_up_lo();
	unlink("/tmp/qemu-postcopy-src.qmp");
	unlink("/tmp/qemu-postcopy-dst.qmp");
	unlink(dump);

	t0 = now_ms();
	start_qemu(1, payload, "/tmp/qemu-postcopy-dst.qmp", backend);
	start_qemu(0, payload, "/tmp/qemu-postcopy-src.qmp", backend);
	qmp_connect(&src, 0, "/tmp/qemu-postcopy-src.qmp");
	qmp_connect(&dst, 1, "/tmp/qemu-postcopy-dst.qmp");
	qmp_line(&src);		/* the greetings */
	qmp_line(&dst);
	qmp(&src, "{\"execute\": \"qmp_capabilities\"}");
	qmp(&dst, "{\"execute\": \"qmp_capabilities\"}");
	passes = wait_passes(&src, PRE_PASSES - 1, START_MS);
	printf("# QEMUs up, source guest at pass %u after %ld ms\n", passes,
	       now_ms() - t0);

	if (snapshot)
		run_snapshot(&src, &dst, dump);
	else
		run_postcopy(&src, &dst, dump);
	printf("ok 1 qemu-%s\n", snapshot ? "snapshot" : "postcopy");
	return 0;
}
