/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the qtest front end (hv/qtest.c, docs/design.rst §7) with a real
 * wdt-i6300esb behind it: how each watchdog action is carried out (reset,
 * shutdown, poweroff, pause, debug, none, inject-nmi, and the post-mortem
 * dump before it), what clock_step replies when a stage ends
 * inside the step, where a bare clock_step goes, system_reset, and requests
 * queued before the session starts.  Sessions run on in-memory streams; each
 * event is recorded with the number of reply bytes already written, so the
 * order of events and replies is checked too.  Virtual clock only.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm_event.h"
#include "frontend.h"
#include "guest_ram.h"
#include "inout.h"
#include "mem.h"
#include "pci_core.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

#define SLOT 5
#define TICK_1KHZ ((uint64_t)983040) /* one 1 kHz tick: 2^15 x 30 ns */
#define MAX_EVENTS 32
#define SCRIPT_MAX 2048

static struct vmctx ctx;

/* The replies of the running session, and the events with the reply bytes before them. */
static char *out;
static size_t outlen;
static struct {
	char line[512];
	size_t replies_before;
} evs[MAX_EVENTS];
static int nevs;

static void capture(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	(void)arg;
	if (nevs == MAX_EVENTS)
		return;
	snprintf(evs[nevs].line, sizeof(evs[0].line), "%s", line);
	evs[nevs].replies_before = outlen;
	nevs++;
}

/* Index of the first event containing needle, or -1. */
static int event_at(const char *needle)
{
	for (int i = 0; i < nevs; i++)
		if (strstr(evs[i].line, needle))
			return i;
	return -1;
}

static int suite_init(void)
{
	if (timer_core_init(VM_CLOCK_VIRTUAL) || vm_create(&ctx, NULL, 1))
		return -1;
	init_mem();
	if (init_inout())
		return -1;
	dm_event_set_sink(capture, NULL);
	return 0;
}

static void teardown(void)
{
	deinit_pci(&ctx);
	pci_slots_clear();
	vm_clock_resume();
	vm_reset(&ctx, "next test"); /* powered on again, with no device left to reset */
}

static int suite_cleanup(void)
{
	teardown();
	dm_event_set_sink(NULL, NULL);
	deinit_inout();
	deinit_mem();
	vm_destroy(&ctx);
	timer_core_fini();
	return 0;
}

static void bring_up(const char *action)
{
	char s[512];
	struct vm_action_req r;

	teardown();
	snprintf(s, sizeof(s), "%d,wdt-i6300esb,action=%s", SLOT, action);
	CU_ASSERT_EQUAL_FATAL(pci_parse_slot(s), 0);
	CU_ASSERT_EQUAL_FATAL(init_pci(&ctx), 0);
	while (vm_action_take(&ctx, &r))
		;
	nevs = 0;
}

/* Runs one session over script; the replies are left in 'out' (caller frees). */
static void session(const char *script)
{
	FILE *in = fmemopen((void *)script, strlen(script), "r");
	FILE *o;

	out = NULL;
	outlen = 0;
	o = open_memstream(&out, &outlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(qtest_session(&ctx, in, o), 0);
	fclose(in);
	fclose(o);
}

/*
 * Appends the guest's programming of the watchdog: both preloads 1 (one
 * 1 kHz tick per stage), then the enable bit of 0x68.  Its stage 2 ends
 * 2 x TICK_1KHZ after the session's start time.
 */
static int arm_script(char *buf, size_t n)
{
	uint64_t bar = (uint64_t)pci_get_vdev(0, SLOT, 0)->bar[0].addr;

	return snprintf(buf, n,
			"writew 0x%" PRIx64 " 0x80\nwritew 0x%" PRIx64 " 0x86\n"
			"writel 0x%" PRIx64 " 0x1\n"
			"writew 0x%" PRIx64 " 0x80\nwritew 0x%" PRIx64 " 0x86\n"
			"writel 0x%" PRIx64 " 0x1\n"
			"outl 0xcf8 0x%x\noutb 0xcfc 0x2\n",
			bar + 0xc, bar + 0xc, bar, bar + 0xc, bar + 0xc, bar + 4,
			0x80000000U | (SLOT << 11) | 0x68);
}

/* The reply lines of the arming part of the script. */
#define ARM_REPLIES "OK\nOK\nOK\nOK\nOK\nOK\nOK\nOK\n"

/* Arms the watchdog, then steps 10 ms (past its expiry), then runs tail. */
static void expire_in_session(const char *tail, uint64_t *t0)
{
	char script[SCRIPT_MAX];
	int len;

	*t0 = vm_clock_now_ns();
	len = arm_script(script, sizeof(script));
	snprintf(script + len, sizeof(script) - (size_t)len, "clock_step 10000000\n%s", tail);
	session(script);
}

static void expect_out(const char *want)
{
	CU_ASSERT_STRING_EQUAL(out, want);
	if (strcmp(out, want))
		fprintf(stderr, "\n  got:\n%s  expected:\n%s", out, want);
}

/* ---- each action, as QEMU would carry it out under qtest ---------------- */

static void test_reset_action_resets_the_vm_and_the_session_goes_on(void)
{
	char want[256];
	uint64_t t0;
	int i;

	bring_up("reset");
	expire_in_session("outl 0xcf8 0x80002868\ninb 0xcfc\n", &t0);
	snprintf(want, sizeof(want), ARM_REPLIES "OK %" PRIu64 "\nOK\nOK 0x0000\n", t0 + 10000000);
	expect_out(want);
	i = event_at("\"event\": \"RESET\"");
	CU_ASSERT(i >= 0);
	if (i >= 0)
		CU_ASSERT_PTR_NOT_NULL(strstr(evs[i].line, "\"reason\": \"watchdog\""));
	CU_ASSERT_EQUAL(event_at("SHUTDOWN"), -1);
	CU_ASSERT_EQUAL(event_at("STOP"), -1);
	CU_ASSERT_FALSE(vm_clock_next_deadline(NULL)); /* the device is back at power-on */
	free(out);
}

static void test_poweroff_action_ends_the_session(void)
{
	char want[256];
	uint64_t t0;

	bring_up("poweroff");
	expire_in_session("inb 0x80\nclock_step 5\n", &t0);
	/* the step's reply, then nothing: the VM is gone */
	snprintf(want, sizeof(want), ARM_REPLIES "OK %" PRIu64 "\n", t0 + 10000000);
	expect_out(want);
	CU_ASSERT(event_at("\"event\": \"SHUTDOWN\"") >= 0);
	CU_ASSERT_EQUAL(event_at("\"event\": \"RESET\""), -1);
	free(out);
}

static void test_pause_action_stops_the_clock_at_the_expiry(void)
{
	char want[256];
	uint64_t t0, at;

	bring_up("pause");
	expire_in_session("clock_step 1000\nvm_cont\nclock_step 1000\n", &t0);
	at = t0 + 2 * TICK_1KHZ;
	snprintf(want, sizeof(want), ARM_REPLIES "OK %" PRIu64 "\nOK %" PRIu64 "\nOK\nOK %" PRIu64
		 "\n", at, at, at + 1000);
	expect_out(want);
	CU_ASSERT(event_at("\"event\": \"STOP\"") >= 0);
	CU_ASSERT(event_at("\"event\": \"RESUME\"") > event_at("\"event\": \"STOP\""));
	CU_ASSERT_EQUAL(event_at("RESET"), -1);
	CU_ASSERT_EQUAL(event_at("SHUTDOWN"), -1);
	free(out);
}

static void check_action_does_nothing_to_the_vm(const char *action)
{
	char want[256], ev[64];
	uint64_t t0;

	bring_up(action);
	expire_in_session("inb 0x80\n", &t0);
	snprintf(want, sizeof(want), ARM_REPLIES "OK %" PRIu64 "\nOK 0x00ff\n", t0 + 10000000);
	expect_out(want);
	snprintf(ev, sizeof(ev), "\"action\": \"%s\"", action);
	CU_ASSERT(event_at(ev) >= 0);
	CU_ASSERT_EQUAL(event_at("\"event\": \"RESET\""), -1);
	CU_ASSERT_EQUAL(event_at("\"event\": \"STOP\""), -1);
	CU_ASSERT_EQUAL(event_at("\"event\": \"SHUTDOWN\""), -1);
	CU_ASSERT_FALSE(vm_clock_paused());
	free(out);
}

static void test_debug_action_leaves_the_vm_running(void)
{
	check_action_does_nothing_to_the_vm("debug");
}

static void test_none_action_leaves_the_vm_running(void)
{
	check_action_does_nothing_to_the_vm("none");
}

/* ---- clock_step ----------------------------------------------------------- */

/* Issue 17: the due callbacks run, and their action is taken, before the reply. */
static void test_clock_step_replies_after_the_expiry_it_ran(void)
{
	uint64_t t0;
	size_t before_step;
	char want[256];
	int stop;

	bring_up("pause");
	expire_in_session("", &t0);
	snprintf(want, sizeof(want), ARM_REPLIES "OK %" PRIu64 "\n", t0 + 2 * TICK_1KHZ);
	expect_out(want);
	before_step = strlen(ARM_REPLIES);
	stop = event_at("\"event\": \"STOP\"");
	CU_ASSERT_FATAL(stop >= 0);
	CU_ASSERT_EQUAL(evs[stop].replies_before, before_step);
	CU_ASSERT(event_at("\"event\": \"WATCHDOG\"") < stop);
	CU_ASSERT_EQUAL(evs[event_at("\"event\": \"WATCHDOG\"")].replies_before, before_step);
	free(out);
}

/* Issue 17: a bare clock_step goes exactly to the next deadline and fires it. */
static void test_bare_clock_step_goes_to_the_deadline_and_fires_it(void)
{
	char script[SCRIPT_MAX], want[256];
	uint64_t t0;
	int len;

	bring_up("none");
	t0 = vm_clock_now_ns();
	len = arm_script(script, sizeof(script));
	snprintf(script + len, sizeof(script) - (size_t)len, "clock_step\nclock_step\n"
		 "clock_step\n");
	session(script);
	snprintf(want, sizeof(want), ARM_REPLIES "OK %" PRIu64 "\nOK %" PRIu64 "\nOK %" PRIu64 "\n",
		 t0 + TICK_1KHZ, t0 + 2 * TICK_1KHZ, t0 + 2 * TICK_1KHZ);
	expect_out(want);
	CU_ASSERT(event_at("\"event\": \"WATCHDOG_STAGE1\"") >= 0);
	CU_ASSERT(event_at("\"event\": \"WATCHDOG\",") > event_at("WATCHDOG_STAGE1"));
	CU_ASSERT_FALSE(vm_clock_next_deadline(NULL));
	free(out);
}

/* ---- host requests ---------------------------------------------------------- */

static void test_system_reset_resets_every_device(void)
{
	char script[SCRIPT_MAX];
	int len, i;

	bring_up("none");
	len = arm_script(script, sizeof(script));
	snprintf(script + len, sizeof(script) - (size_t)len,
		 "system_reset\noutl 0xcf8 0x80002868\ninb 0xcfc\n");
	session(script);
	expect_out(ARM_REPLIES "OK\nOK\nOK 0x0000\n");
	i = event_at("\"event\": \"RESET\"");
	CU_ASSERT(i >= 0);
	if (i >= 0)
		CU_ASSERT_PTR_NOT_NULL(strstr(evs[i].line, "\"reason\": \"host\""));
	CU_ASSERT_FALSE(vm_clock_next_deadline(NULL));
	free(out);
}

static void test_request_queued_before_the_session_is_carried_out_first(void)
{
	bring_up("none");
	dm_watchdog_expired(&ctx, DM_WDT_ACTION_POWEROFF, "wdt-i6300esb", "0:5.0", "stage2");
	session("inb 0x80\n");
	expect_out("");
	CU_ASSERT(event_at("\"event\": \"SHUTDOWN\"") >= 0);
	free(out);
}

static void test_pause_queued_before_the_session_stops_the_clock_first(void)
{
	char want[64];
	uint64_t t0;
	int stop;

	bring_up("none");
	t0 = vm_clock_now_ns();
	dm_watchdog_expired(&ctx, DM_WDT_ACTION_PAUSE, "wdt-i6300esb", "0:5.0", "stage2");
	session("clock_step 1000\n");
	snprintf(want, sizeof(want), "OK %" PRIu64 "\n", t0);
	expect_out(want);
	stop = event_at("\"event\": \"STOP\"");
	CU_ASSERT(stop >= 0);
	if (stop >= 0)
		CU_ASSERT_EQUAL(evs[stop].replies_before, 0);
	free(out);
}

/* ---- shutdown and inject-nmi: requests to a guest, reported ---------------- */

static void check_guest_request(const char *action, const char *event)
{
	char want[256];
	uint64_t t0;

	bring_up(action);
	expire_in_session("inb 0x80\n", &t0);
	snprintf(want, sizeof(want), ARM_REPLIES "OK %" PRIu64 "\nOK 0x00ff\n", t0 + 10000000);
	expect_out(want); /* the session goes on */
	CU_ASSERT(event_at(event) > event_at("\"event\": \"WATCHDOG\","));
	CU_ASSERT_EQUAL(event_at("\"event\": \"RESET\""), -1);
	CU_ASSERT_EQUAL(event_at("\"event\": \"SHUTDOWN\""), -1);
	CU_ASSERT_EQUAL(event_at("\"event\": \"STOP\""), -1);
	CU_ASSERT_FALSE(vm_clock_paused());
	free(out);
}

static void test_shutdown_action_is_a_powerdown_request(void)
{
	check_guest_request("shutdown", "\"event\": \"POWERDOWN\"");
}

static void test_inject_nmi_action_is_an_nmi_request(void)
{
	check_guest_request("inject-nmi", "\"event\": \"NMI\"");
}

/* ---- post-mortem dumps (docs/device.rst §1.5) ------------------------------- */

#define DUMP_RAM (16ULL << 20)       /* two chunks of the writer */
#define MARKER_GPA 0x123000ULL
#define MARKER "wdt-dm-unit-marker-7f3a"
#define DUMP_WALL 1764576000         /* 2025-12-01T08:00:00Z */
#define DUMP_NAME "-20251201T080000Z-wdt-i6300esb.core"

static char dump_dir[64];

static time_t fixed_wall(void)
{
	return DUMP_WALL;
}

static uint64_t dump_ns;
static uint64_t ticking(void *arg)
{
	(void)arg;
	return dump_ns += 1000000000ULL;
}

static void dump_setup(const char *opts)
{
	char action[256], slot[320];

	snprintf(dump_dir, sizeof(dump_dir), "/tmp/wdt-dm-unit-dump-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dump_dir));
	CU_ASSERT_EQUAL_FATAL(guest_ram_init(DUMP_RAM), 0);
	vm_dump_set_clock(NULL, NULL, fixed_wall);
	snprintf(action, sizeof(action), "reset,dump=%s%s", dump_dir, opts);
	/* a front end without the guest's memory (sim) refuses dump= at start-up */
	ctx.can_dump = false;
	teardown();
	snprintf(slot, sizeof(slot), "%d,wdt-i6300esb,action=%s", SLOT, action);
	CU_ASSERT_EQUAL_FATAL(pci_parse_slot(slot), 0);
	CU_ASSERT_EQUAL(init_pci(&ctx), -EINVAL);
	CU_ASSERT_PTR_NULL(pci_get_vdev(0, SLOT, 0));
	ctx.can_dump = true; /* what qtest_prepare() says */
	bring_up(action);
}

/* The one file in dump_dir (its path in p), or how many there are when not one. */
static int dump_file(char *p, size_t n)
{
	DIR *d = opendir(dump_dir);
	struct dirent *e;
	int count = 0;

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, n, "%s/%.120s", dump_dir, e->d_name);
		count++;
	}
	if (d)
		closedir(d);
	return count;
}

static void dump_teardown(void)
{
	char p[256];

	while (dump_file(p, sizeof(p)) > 0 && unlink(p) == 0)
		;
	rmdir(dump_dir);
	guest_ram_fini();
	vm_dump_set_clock(NULL, NULL, NULL);
	ctx.can_dump = false;
}

/* Writes the marker into guest RAM, arms the watchdog, steps past its expiry. */
static void dump_session(void)
{
	char script[SCRIPT_MAX];
	int len;

	len = snprintf(script, sizeof(script), "b64write 0x%llx %zu %s\n", MARKER_GPA,
		       strlen(MARKER), "d2R0LWRtLXVuaXQtbWFya2VyLTdmM2E=");
	len += arm_script(script + len, sizeof(script) - (size_t)len);
	snprintf(script + len, sizeof(script) - (size_t)len, "clock_step 10000000\n");
	session(script);
}

/* Reads the core and checks the header, the RAM segment and the marker in it. */
static void check_core(const char *path, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	char got[sizeof(MARKER)] = "";
	struct stat st;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(fstat(fd, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	*size = (uint64_t)st.st_size;
	CU_ASSERT_EQUAL(pread(fd, &eh, sizeof(eh), 0), (ssize_t)sizeof(eh));
	CU_ASSERT_EQUAL(eh.e_type, ET_CORE);
	CU_ASSERT_EQUAL(eh.e_machine, EM_X86_64);
	CU_ASSERT_EQUAL(eh.e_phnum, 2); /* PT_NOTE, low RAM */
	CU_ASSERT_EQUAL(pread(fd, ph, sizeof(ph), (off_t)eh.e_phoff), (ssize_t)sizeof(ph));
	CU_ASSERT_EQUAL(ph[1].p_type, PT_LOAD);
	CU_ASSERT_EQUAL(ph[1].p_paddr, 0);
	CU_ASSERT_EQUAL(ph[1].p_filesz, DUMP_RAM);
	CU_ASSERT_EQUAL(ph[1].p_offset + ph[1].p_filesz, (uint64_t)st.st_size);
	CU_ASSERT_EQUAL(pread(fd, got, strlen(MARKER), (off_t)(ph[1].p_offset + MARKER_GPA)),
			(ssize_t)strlen(MARKER));
	CU_ASSERT_STRING_EQUAL(got, MARKER);
	close(fd);
}

static void test_dump_writes_guest_ram_before_the_reset(void)
{
	char path[256], want[256], size[48];
	uint64_t bytes = 0;
	int wd, stop, dump, resume, reset;

	dump_setup("");
	dump_session();
	CU_ASSERT_EQUAL_FATAL(dump_file(path, sizeof(path)), 1);
	snprintf(want, sizeof(want), "%s/%s" DUMP_NAME, dump_dir, ctx.uuid);
	CU_ASSERT_STRING_EQUAL(path, want);
	check_core(path, &bytes);
	wd = event_at("\"event\": \"WATCHDOG\",");
	stop = event_at("\"reason\": \"dump\"");
	dump = event_at("\"event\": \"DUMP\"");
	resume = event_at("\"event\": \"RESUME\"");
	reset = event_at("\"event\": \"RESET\"");
	CU_ASSERT(wd >= 0 && wd < stop && stop < dump && dump < resume && resume < reset);
	snprintf(size, sizeof(size), "\"size\": %" PRIu64 ",", bytes);
	if (dump >= 0) {
		CU_ASSERT_PTR_NOT_NULL(strstr(evs[dump].line, size));
		CU_ASSERT_PTR_NOT_NULL(strstr(evs[dump].line, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(evs[dump].line, "\"duration_us\": "));
		CU_ASSERT_PTR_NULL(strstr(evs[dump].line, "error"));
	}
	CU_ASSERT_FALSE(vm_clock_paused());
	free(out);
	dump_teardown();
}

static void test_dump_never_overwrites_a_file(void)
{
	char path[256], keep[8] = "";
	int fd, dump;

	dump_setup("");
	snprintf(path, sizeof(path), "%s/%s" DUMP_NAME, dump_dir, ctx.uuid);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "keep", 4), 4);
	close(fd);
	dump_session();
	dump = event_at("\"event\": \"DUMP\"");
	CU_ASSERT_FATAL(dump >= 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(evs[dump].line, "\"error\": \"File exists\""));
	CU_ASSERT(event_at("\"event\": \"RESET\"") > dump); /* the action all the same */
	fd = open(path, O_RDONLY);
	CU_ASSERT_EQUAL(read(fd, keep, sizeof(keep)), 4);
	CU_ASSERT_STRING_EQUAL(keep, "keep");
	close(fd);
	free(out);
	dump_teardown();
}

static void test_failed_dump_never_blocks_the_action(void)
{
	char path[256];
	int dump;

	dump_setup("");
	CU_ASSERT_EQUAL(rmdir(dump_dir), 0); /* gone after the start-up check */
	dump_session();
	dump = event_at("\"event\": \"DUMP\"");
	CU_ASSERT_FATAL(dump >= 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(evs[dump].line, "\"error\": \"No such file or directory\""));
	CU_ASSERT(event_at("\"event\": \"RESET\"") > dump);
	CU_ASSERT_EQUAL(mkdir(dump_dir, 0700), 0);
	CU_ASSERT_EQUAL(dump_file(path, sizeof(path)), 0);
	free(out);
	dump_teardown();
}

static void test_slow_dump_stops_at_its_timeout_and_the_action_runs(void)
{
	char path[256];
	int dump;

	dump_setup(",dump_timeout=1");
	dump_ns = 0;
	vm_dump_set_clock(ticking, NULL, fixed_wall); /* 1 s a reading: past 1 s at chunk 2 */
	dump_session();
	dump = event_at("\"event\": \"DUMP\"");
	CU_ASSERT_FATAL(dump >= 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(evs[dump].line, "\"error\": \"timed out\""));
	CU_ASSERT(event_at("\"event\": \"RESET\"") > dump);
	CU_ASSERT_EQUAL(dump_file(path, sizeof(path)), 0); /* no partial core left */
	free(out);
	dump_teardown();
}

UNIT_SUITE(qtest_actions, suite_init, suite_cleanup,
	   UNIT_TEST(test_reset_action_resets_the_vm_and_the_session_goes_on),
	   UNIT_TEST(test_poweroff_action_ends_the_session),
	   UNIT_TEST(test_pause_action_stops_the_clock_at_the_expiry),
	   UNIT_TEST(test_debug_action_leaves_the_vm_running),
	   UNIT_TEST(test_none_action_leaves_the_vm_running),
	   UNIT_TEST(test_clock_step_replies_after_the_expiry_it_ran),
	   UNIT_TEST(test_bare_clock_step_goes_to_the_deadline_and_fires_it),
	   UNIT_TEST(test_system_reset_resets_every_device),
	   UNIT_TEST(test_request_queued_before_the_session_is_carried_out_first),
	   UNIT_TEST(test_pause_queued_before_the_session_stops_the_clock_first),
	   UNIT_TEST(test_shutdown_action_is_a_powerdown_request),
	   UNIT_TEST(test_inject_nmi_action_is_an_nmi_request),
	   UNIT_TEST(test_dump_writes_guest_ram_before_the_reset),
	   UNIT_TEST(test_dump_never_overwrites_a_file),
	   UNIT_TEST(test_failed_dump_never_blocks_the_action),
	   UNIT_TEST(test_slow_dump_stops_at_its_timeout_and_the_action_runs));
