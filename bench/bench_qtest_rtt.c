/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * qtest round-trip latency over a unix socket (issue 15): the time from
 * sending "inl 0xcfc\n" to reading its reply, for wdt-dm's qtest front end and
 * for QEMU 7.2 itself (qemu-system-x86_64 -accel tcg -S, since Debian's QEMU
 * has no -accel qtest) in the same run, measured the way QEMU's clients talk:
 * this program listens, starts the server with -qtest unix:PATH (it connects),
 * then sends one request at a time.  Prints median and mean for each and the
 * ratio wdt-dm / QEMU (goal: at most 1).  BENCH_QTEST_N sets the request count
 * (default 20000), WDT_DM the binary (default build/wdt-dm), QEMU the emulator.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 200

struct result {
	double median_us, mean_us;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		perror("bench_qtest_rtt: listen");
		return -1;
	}
	return fd;
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* One request and its reply line; 0 or -1. */
static int round_trip(int fd)
{
	static const char req[] = "inl 0xcfc\n";
	char buf[256];
	ssize_t n;

	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return -1;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		if (buf[n - 1] == '\n')
			return strncmp(buf, "OK ", 3) ? -1 : 0;
	}
}

static void stop_child(pid_t pid)
{
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		if (i == 0)
			kill(pid, SIGTERM);
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int measure(char **argv, const char *sock, int n, struct result *r)
{
	double *lat = calloc((size_t)n, sizeof(double)), sum = 0;
	int lfd = listen_at(sock), fd = -1, rc = -1;
	pid_t pid;

	if (!lat || lfd < 0)
		goto out;
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0)
		goto out;
	fd = accept_within(lfd, 30000);
	for (int i = 0; fd >= 0 && i < WARMUP + n; i++) {
		double t0 = now_us();

		if (round_trip(fd))
			break;
		if (i >= WARMUP)
			sum += lat[i - WARMUP] = now_us() - t0;
		if (i == WARMUP + n - 1)
			rc = 0;
	}
	if (fd >= 0)
		close(fd);
	stop_child(pid);
	if (!rc) {
		qsort(lat, (size_t)n, sizeof(double), cmp_double);
		r->median_us = lat[n / 2];
		r->mean_us = sum / n;
	}
out:
	if (lfd >= 0)
		close(lfd);
	unlink(sock);
	free(lat);
	return rc;
}

int main(void)
{
	const char *env = getenv("BENCH_QTEST_N");
	int n = env ? atoi(env) : 20000;
	char sock[64], spec[80];
	char *dm = getenv("WDT_DM") ? getenv("WDT_DM") : "build/wdt-dm";
	char *qemu = getenv("QEMU") ? getenv("QEMU") : "qemu-system-x86_64";
	struct result w, q;

	if (n < 1)
		n = 1;
	snprintf(sock, sizeof(sock), "/tmp/bench-qtest-%d.sock", (int)getpid());
	snprintf(spec, sizeof(spec), "unix:%s", sock);
	char *dm_argv[] = {dm, "-s", "5,wdt-i6300esb", "--qtest", spec, "--events", "/dev/null",
			   NULL};
	char *qemu_argv[] = {qemu, "-accel", "tcg", "-S", "-machine", "pc", "-qtest", spec,
			     "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", NULL};

	if (measure(dm_argv, sock, n, &w)) {
		fprintf(stderr, "bench_qtest_rtt: wdt-dm (%s) did not serve %d requests\n", dm, n);
		return 1;
	}
	printf("qtest round trip, inl 0xcfc over a unix socket, %d requests:\n", n);
	printf("  wdt-dm --qtest unix:       median %7.2f us  mean %7.2f us\n", w.median_us,
	       w.mean_us);
	if (measure(qemu_argv, sock, n, &q)) {
		printf("  QEMU 7.2 (tcg -S):         not measured (%s did not serve them)\n", qemu);
		return 0;
	}
	printf("  QEMU 7.2 (tcg -S -qtest):  median %7.2f us  mean %7.2f us\n", q.median_us,
	       q.mean_us);
	printf("  ratio wdt-dm / QEMU:       median %.2f  mean %.2f  (goal: <= 1)\n",
	       w.median_us / q.median_us, w.mean_us / q.mean_us);
	return 0;
}
