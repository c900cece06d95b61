/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Benchmark of post-mortem dumps (docs/device.rst §5): the cost of writing a
 * qtest guest's RAM as an ELF core (vm_dump_ranges(), as the qtest front end
 * does before the action), in seconds per GiB, for a 256 MiB and a 1 GiB
 * guest whose RAM is filled with non-zero data so that every page is really
 * read and written; and the time from the 6300ESB's stage-2 expiry (its
 * WATCHDOG event, on the timer callback) to the action (the RESET event),
 * through the qtest front end, with and without dump=.  Files go to a fresh
 * directory under $TMPDIR (default /var/tmp) and are removed; the page cache
 * is not flushed (wdt-dm does not fsync a dump, nor does QEMU).  Median of
 * BENCH_REPS runs.  Prints figures only; never asserts timings.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dm_event.h"
#include "elfcore.h"
#include "frontend.h"
#include "guest_ram.h"
#include "inout.h"
#include "mem.h"
#include "pci_core.h"
#include "vm_clock.h"
#include "vmctx.h"

#define BENCH_REPS 3
#define SLOT 5
#define GIB (1ULL << 30)

static struct vmctx ctx;
static char dir[256];
static uint64_t t_watchdog, t_action;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	return v[n / 2];
}

/* Removes every file of dir (the dumps), keeping dir. */
static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
}

/* Guest RAM of size bytes, every page touched with non-zero bytes. */
static int fill_ram(uint64_t size)
{
	struct elfcore_range r[2];
	int n;

	if (guest_ram_init(size))
		return -1;
	n = guest_ram_ranges(r, 2);
	for (int i = 0; i < n; i++)
		memset((void *)r[i].host, 0xa5, r[i].size);
	return 0;
}

static int bench_cost(uint64_t size)
{
	struct vm_action_req req = {.action = DM_WDT_ACTION_RESET, .device = "wdt-i6300esb",
				    .id = "0:5.0"};
	struct elfcore_range r[2];
	uint64_t ns[BENCH_REPS];
	int n;

	if (fill_ram(size)) {
		fprintf(stderr, "bench_dump: cannot set up %" PRIu64 " bytes of RAM\n", size);
		return 1;
	}
	snprintf(req.dump.dir, sizeof(req.dump.dir), "%s", dir);
	req.dump.timeout_s = DM_DUMP_TIMEOUT_MAX;
	n = guest_ram_ranges(r, 2);
	for (int i = 0; i < BENCH_REPS; i++) {
		uint64_t t0 = now_ns();
		int rc = vm_dump_ranges(&ctx, &req, r, n);

		ns[i] = now_ns() - t0;
		empty_dir();
		if (rc) {
			fprintf(stderr, "bench_dump: dump failed: %d\n", rc);
			return 1;
		}
	}
	printf("dump of a %4" PRIu64 " MiB guest: %.3f s, %.2f s/GiB (median of %d)\n",
	       size >> 20, median(ns, BENCH_REPS) / 1e9,
	       median(ns, BENCH_REPS) / 1e9 / ((double)size / GIB), BENCH_REPS);
	guest_ram_fini();
	return 0;
}

static void on_event(const struct dm_event *e, const char *line, void *arg)
{
	(void)line;
	(void)arg;
	if (strcmp(e->name, "WATCHDOG") == 0)
		t_watchdog = now_ns();
	else if (strcmp(e->name, "RESET") == 0)
		t_action = now_ns();
}

/* One expiry through a qtest session: both preloads 1 tick, enable, step past it. */
static int one_expiry(uint64_t *ns)
{
	uint64_t bar = (uint64_t)pci_get_vdev(0, SLOT, 0)->bar[0].addr;
	char script[1024];
	FILE *in, *out;
	int rc;

	snprintf(script, sizeof(script),
		 "writew 0x%" PRIx64 " 0x80\nwritew 0x%" PRIx64 " 0x86\nwritel 0x%" PRIx64 " 0x1\n"
		 "writew 0x%" PRIx64 " 0x80\nwritew 0x%" PRIx64 " 0x86\nwritel 0x%" PRIx64 " 0x1\n"
		 "outl 0xcf8 0x%x\noutb 0xcfc 0x2\nclock_step 10000000\n",
		 bar + 0xc, bar + 0xc, bar, bar + 0xc, bar + 0xc, bar + 4,
		 0x80000000U | (SLOT << 11) | 0x68);
	in = fmemopen(script, strlen(script), "r");
	out = fopen("/dev/null", "w");
	if (!in || !out)
		return -1;
	t_watchdog = t_action = 0;
	rc = qtest_session(&ctx, in, out);
	fclose(in);
	fclose(out);
	empty_dir();
	if (rc || !t_watchdog || t_action < t_watchdog)
		return -1;
	*ns = t_action - t_watchdog;
	return 0;
}

static int bench_latency(uint64_t size, bool dump)
{
	char slot[512];
	uint64_t ns[BENCH_REPS];

	snprintf(slot, sizeof(slot), "%d,wdt-i6300esb,action=reset%s%s", SLOT,
		 dump ? ",dump=" : "", dump ? dir : "");
	if (fill_ram(size) || pci_parse_slot(slot) || init_pci(&ctx))
		return 1;
	for (int i = 0; i < BENCH_REPS; i++) {
		if (one_expiry(&ns[i])) {
			fprintf(stderr, "bench_dump: the expiry did not reach the action\n");
			return 1;
		}
	}
	deinit_pci(&ctx);
	pci_slots_clear();
	guest_ram_fini();
	printf("stage-2 expiry -> reset, %4" PRIu64 " MiB guest, %s: %.3f ms (median of %d)\n",
	       size >> 20, dump ? "dump=   " : "no dump", median(ns, BENCH_REPS) / 1e6,
	       BENCH_REPS);
	return 0;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	snprintf(dir, sizeof(dir), "%s/wdt-dm-bench-dump-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
	if (!mkdtemp(dir) || timer_core_init(VM_CLOCK_VIRTUAL) || vm_create(&ctx, NULL, 1)) {
		fprintf(stderr, "bench_dump: cannot set up (%s)\n", dir);
		return 1;
	}
	ctx.can_dump = true; /* as qtest_prepare() says */
	init_mem();
	if (init_inout())
		return 1;
	dm_event_set_sink(on_event, NULL);
	rc = bench_cost(256ULL << 20) || bench_cost(GIB) ||
	     bench_latency(256ULL << 20, false) || bench_latency(256ULL << 20, true) ||
	     bench_latency(GIB, true);
	dm_event_set_sink(NULL, NULL);
	deinit_inout();
	deinit_mem();
	vm_destroy(&ctx);
	timer_core_fini();
	empty_dir();
	rmdir(dir);
	return rc;
}
