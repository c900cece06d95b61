/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Benchmark of the QEMU front end (docs/design.rst section 7, issue 5): the latency
 * of one guest BAR read through x-pci-proxy-dev, measured inside a real guest
 * (samples/guest/esbinfo --bench: N 16-bit reads of the 6300ESB's reload
 * register before the driver binds), against a bare AF_UNIX request/reply
 * round trip between two host processes with the same message sizes (a
 * 40-byte BAR_READ request, a 24-byte RET reply) and the same serving pattern
 * (poll, read the header, read the payload, reply), in the same run.
 * Prints both figures and their ratio; never asserts timings.  The guest half
 * needs build/wdt-dm, QEMU and the guest image (bench/bench_proxy.sh); when
 * that fails, or with BENCH_PROXY_GUEST=0, only the host half is printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQ_HDR 16
#define REQ_PAYLOAD 24
#define REPLY_SIZE 24
#define HOST_ROUNDS 5000UL
#define HOST_WARMUP 200UL
#define HOST_RUNS 5

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* The serving side, shaped like wdt-dm's loop: poll, header, payload, reply. */
static void __attribute__((noreturn)) echo_server(int s)
{
	uint8_t req[REQ_HDR + REQ_PAYLOAD], reply[REPLY_SIZE] = {1};

	for (;;) {
		struct pollfd p = {s, POLLIN, 0};

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			_exit(1);
		if (read_full(s, req, REQ_HDR) || read_full(s, req + REQ_HDR, REQ_PAYLOAD))
			_exit(0);
		if (write(s, reply, sizeof(reply)) != (ssize_t)sizeof(reply))
			_exit(1);
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * ns per request/reply round trip between two processes; 0 on error.
 * client_cpu/server_cpu: pin to that CPU, -1 to let the scheduler place them.
 */
static uint64_t host_round_trip_ns(int client_cpu, int server_cpu)
{
	uint8_t req[REQ_HDR + REQ_PAYLOAD] = {5}, reply[REPLY_SIZE];
	uint64_t t0 = 0, ns;
	cpu_set_t all;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	sched_getaffinity(0, sizeof(all), &all);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		close(sv[0]);
		pin(server_cpu);
		echo_server(sv[1]);
	}
	close(sv[1]);
	pin(client_cpu);
	for (unsigned long i = 0; i < HOST_WARMUP + HOST_ROUNDS; i++) {
		if (i == HOST_WARMUP)
			t0 = now_ns();
		if (write(sv[0], req, sizeof(req)) != (ssize_t)sizeof(req) ||
		    read_full(sv[0], reply, sizeof(reply))) {
			t0 = 0;
			break;
		}
	}
	ns = t0 ? (now_ns() - t0) / HOST_ROUNDS : 0;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	sched_setaffinity(0, sizeof(all), &all);
	return ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of HOST_RUNS unpinned runs: placement by the scheduler varies a lot. */
static uint64_t host_median_ns(uint64_t *lo, uint64_t *hi)
{
	uint64_t r[HOST_RUNS];

	for (int i = 0; i < HOST_RUNS; i++)
		r[i] = host_round_trip_ns(-1, -1);
	qsort(r, HOST_RUNS, sizeof(r[0]), cmp_u64);
	*lo = r[0];
	*hi = r[HOST_RUNS - 1];
	return r[HOST_RUNS / 2];
}

/* Runs the guest half; returns ns per BAR read, 0 when unavailable. */
static uint64_t guest_bar_read_ns(unsigned long *reads)
{
	const char *env = getenv("BENCH_PROXY_GUEST");
	char line[512];
	uint64_t ns = 0;
	FILE *p;

	if (env && !strcmp(env, "0"))
		return 0;
	p = popen("bash bench/bench_proxy.sh 2>&1", "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		const char *b = strstr(line, "ESBINFO: bench reads=");

		if (b && sscanf(b, "ESBINFO: bench reads=%lu total_ns=%*u per_read_ns=%" SCNu64,
				reads, &ns) == 2)
			continue;
		if (strstr(line, "bench_proxy:"))
			fputs(line, stdout);
	}
	pclose(p);
	return ns;
}

int main(void)
{
	unsigned long reads = 0;
	uint64_t host, lo, hi, same, cross = 0, guest;

	signal(SIGPIPE, SIG_IGN);
	host = host_median_ns(&lo, &hi);
	same = host_round_trip_ns(0, 0);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		cross = host_round_trip_ns(0, 1);
	printf("proxy: host AF_UNIX request/reply round trip (40 B / 24 B, 2 processes): "
	       "%" PRIu64 " ns median of %d x %lu (range %" PRIu64 "..%" PRIu64 "; pinned same "
	       "CPU %" PRIu64 ", different CPUs %" PRIu64 ")\n",
	       host, HOST_RUNS, HOST_ROUNDS, lo, hi, same, cross);
	guest = guest_bar_read_ns(&reads);
	if (!guest) {
		printf("proxy: guest BAR read through x-pci-proxy-dev: not measured\n");
		return 0;
	}
	printf("proxy: guest BAR read through x-pci-proxy-dev + wdt-dm (TCG): %" PRIu64
	       " ns (%lu reads, timed in the guest)\n", guest, reads);
	/* The host figure depends on CPU placement (a cross-CPU wake-up costs a lot
	 * in a VM), so the ratio is given against each baseline. */
	if (host && same)
		printf("proxy: ratio guest BAR read / host round trip: %.2f (vs pinned same CPU: "
		       "%.2f, vs different CPUs: %.2f)\n", (double)guest / (double)host,
		       (double)guest / (double)same, cross ? (double)guest / (double)cross : 0.0);
	return 0;
}
