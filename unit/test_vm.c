/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the reboot API, the VM object and the event stream
 * (core/vm.c, core/event.c; docs/design.rst §6, docs/device.rst §3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm_event.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

#define MAX_LINES 64

static char lines[MAX_LINES][1024];
static int nlines;
static struct vmctx ctx;

static void capture(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	(void)arg;
	if (nlines < MAX_LINES)
		snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

static int suite_init(void)
{
	if (timer_core_init(VM_CLOCK_VIRTUAL))
		return -1;
	dm_event_set_sink(capture, NULL);
	return 0;
}

static int suite_cleanup(void)
{
	dm_event_set_sink(NULL, NULL);
	dm_event_close();
	timer_core_fini();
	return 0;
}

static void fresh_vm(void)
{
	nlines = 0;
	CU_ASSERT_EQUAL_FATAL(vm_create(&ctx, "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", 1), 0);
}

static void test_action_names_round_trip(void)
{
	static const char *const names[] = {"reset",    "poweroff", "pause",     "debug",
					    "none",     "shutdown", "inject-nmi"};
	enum dm_wdt_action a;

	for (size_t i = 0; i < 7; i++) {
		CU_ASSERT_EQUAL(dm_wdt_action_parse(names[i], &a), 0);
		CU_ASSERT_EQUAL(a, (enum dm_wdt_action)i);
		CU_ASSERT_STRING_EQUAL(dm_wdt_action_name(a), names[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(DM_WDT_ACTION_NAMES, names[i]));
	}
	CU_ASSERT_EQUAL(dm_wdt_action_parse("inject_nmi", &a), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_action_parse("Shutdown", &a), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_action_parse("", &a), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_action_parse(NULL, &a), -EINVAL);
	CU_ASSERT_STRING_EQUAL(dm_wdt_action_name((enum dm_wdt_action)42), "unknown");
}

static void test_uuid_is_parsed_lowercased_or_rejected(void)
{
	struct vmctx c2;

	fresh_vm();
	CU_ASSERT_STRING_EQUAL(ctx.uuid, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	vm_destroy(&ctx);
	CU_ASSERT_EQUAL(vm_create(&c2, "not-a-uuid", 1), -EINVAL);
	CU_ASSERT_EQUAL(vm_create(&c2, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(vm_create(&c2, NULL, VM_MAX_VCPUS + 1), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(vm_create(&c2, NULL, 4), 0);
	CU_ASSERT_EQUAL(strlen(c2.uuid), 36);
	CU_ASSERT_EQUAL(c2.vcpu_num, 4);
	vm_destroy(&c2);
}

static void test_expiry_emits_watchdog_and_queues_request(void)
{
	struct vm_action_req r;

	fresh_vm();
	vm_clock_step(1500000);
	dm_watchdog_expired(&ctx, DM_WDT_ACTION_POWEROFF, "wdt-i6300esb", "0:5.0", "stage2");
	CU_ASSERT_EQUAL_FATAL(nlines, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[0], "{\"event\": \"WATCHDOG\", \"data\": {\"action\": "
						"\"poweroff\", \"device\": \"wdt-i6300esb\", "
						"\"id\": \"0:5.0\", \"stage\": \"stage2\", "
						"\"uuid\": \"6ba7b810-9dad-11d1-80b4-00c04fd430c8\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[0], "\"timestamp\": {\"seconds\": 0, "
						"\"microseconds\": 1500}}"));
	CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
	CU_ASSERT_EQUAL(r.action, DM_WDT_ACTION_POWEROFF);
	CU_ASSERT_STRING_EQUAL(r.device, "wdt-i6300esb");
	CU_ASSERT_STRING_EQUAL(r.id, "0:5.0");
	CU_ASSERT_FALSE(vm_action_take(&ctx, &r));
	vm_destroy(&ctx);
}

static void test_requests_come_out_in_order_and_overflow_drops(void)
{
	struct vm_action_req r;
	char id[16];

	fresh_vm();
	for (int i = 0; i < VM_ACTION_QUEUE + 3; i++) {
		snprintf(id, sizeof(id), "%d", i);
		dm_watchdog_expired(&ctx, DM_WDT_ACTION_NONE, "vcpu-stall", id, "reset");
	}
	CU_ASSERT_EQUAL(ctx.dropped_requests, 3);
	for (int i = 0; i < VM_ACTION_QUEUE; i++) {
		snprintf(id, sizeof(id), "%d", i);
		CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
		CU_ASSERT_STRING_EQUAL(r.id, id);
	}
	CU_ASSERT_FALSE(vm_action_take(&ctx, &r));
	vm_destroy(&ctx);
}

static int hook_log[8];
static int hook_n;

static void hook(void *arg)
{
	if (hook_n < 8)
		hook_log[hook_n++] = (int)(long)arg;
}

static void test_vm_reset_runs_hooks_in_order_then_emits_reset(void)
{
	fresh_vm();
	hook_n = 0;
	CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, hook, (void *)1L), 0);
	CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, hook, (void *)2L), 0);
	CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, hook, (void *)3L), 0);
	dm_reset_hook_unregister(&ctx, hook, (void *)2L);
	vm_reset(&ctx, "watchdog");
	CU_ASSERT_EQUAL(hook_n, 2);
	CU_ASSERT_EQUAL(hook_log[0], 1);
	CU_ASSERT_EQUAL(hook_log[1], 3);
	CU_ASSERT_EQUAL_FATAL(nlines, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[0], "\"event\": \"RESET\", \"data\": {\"guest\": false, "
						"\"reason\": \"watchdog\""));
	vm_destroy(&ctx);
}

static void test_hook_table_full_is_refused(void)
{
	fresh_vm();
	for (int i = 0; i < VM_MAX_RESET_HOOKS; i++)
		CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, hook, (void *)(long)i), 0);
	CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, hook, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, NULL, NULL), -EINVAL);
	vm_destroy(&ctx);
}

static void test_event_strings_are_json_escaped(void)
{
	char out[64];

	CU_ASSERT_STRING_EQUAL(dm_event_escape("a\"b\\c\n", out, sizeof(out)), "a\\\"b\\\\c\\u000a");
	CU_ASSERT_STRING_EQUAL(dm_event_escape("0123456789", out, 8), "0123456");
	CU_ASSERT_STRING_EQUAL(dm_event_escape("abc\"", out, 5), "abc");
	CU_ASSERT_STRING_EQUAL(dm_event_escape("ab\x01", out, 8), "ab");
	CU_ASSERT_STRING_EQUAL(dm_event_escape("ab\x01", out, 9), "ab\\u0001");
	fresh_vm();
	dm_watchdog_expired(&ctx, DM_WDT_ACTION_NONE, "dev\"ice", "x", "y");
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[0], "\"device\": \"dev\\\"ice\""));
	vm_destroy(&ctx);
}

/* What the sink gets: the fields as they were given, and the one JSON line made of them. */
static const struct dm_event *seen_ev;
static long seen_vcpu = -1;
static char seen_stage[16], seen_line[512];

static void typed_sink(const struct dm_event *e, const char *line, void *arg)
{
	const struct dm_event_field *f = dm_event_field(e, "vcpu");

	(void)arg;
	seen_ev = e;
	seen_vcpu = f && f->type == DM_EVENT_INT ? (long)f->i : -1;
	f = dm_event_field(e, "stage");
	snprintf(seen_stage, sizeof(seen_stage), "%s", f && f->type == DM_EVENT_STR ? f->s : "");
	snprintf(seen_line, sizeof(seen_line), "%s", line);
}

static void test_sink_gets_typed_fields_and_the_json_made_once(void)
{
	fresh_vm();
	dm_event_set_sink(typed_sink, NULL);
	dm_event_emit("TEST", DM_EV_INT("vcpu", -3), DM_EV_STR("stage", "a\"b"),
		      DM_EV_UINT("ms", 18446744073709551615ULL), DM_EV_BOOL("ok", false),
		      DM_EV_JSON("\"raw\": [1, 2]"), DM_EV_JSON(""), DM_EV_STR("src", NULL));
	dm_event_set_sink(capture, NULL);
	CU_ASSERT_PTR_NOT_NULL(seen_ev);
	CU_ASSERT_EQUAL(seen_vcpu, -3);
	CU_ASSERT_STRING_EQUAL(seen_stage, "a\"b"); /* unescaped: as given */
	CU_ASSERT_PTR_NOT_NULL(strstr(seen_line, "{\"event\": \"TEST\", \"data\": {\"vcpu\": -3, "
				      "\"stage\": \"a\\\"b\", \"ms\": 18446744073709551615, "
				      "\"ok\": false, \"raw\": [1, 2], \"src\": \"\", \"uuid\": "));
	vm_destroy(&ctx);
}

/* Data that does not fit is dropped whole, never cut into broken JSON. */
static void test_event_data_too_long_is_dropped(void)
{
	static char big[700];
	char buf[32];

	memset(big, 'x', sizeof(big) - 1);
	fresh_vm();
	dm_event_emit("TEST", DM_EV_JSON(big));
	CU_ASSERT_EQUAL(nlines, 0);
	CU_ASSERT_EQUAL(dm_event_format_data(&(const struct dm_event){"T",
		DM_EV_FIELDS(DM_EV_STR("k", "0123456789012345678901234567890")), 1}, buf,
		sizeof(buf)), -ENOSPC);
	vm_destroy(&ctx);
}

static void test_events_file_gets_one_line_per_event(void)
{
	char path[] = "/tmp/wdt-dm-ev-XXXXXX";
	char buf[2048];
	int fd = mkstemp(path);
	FILE *f;
	int n = 0;

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	fresh_vm();
	CU_ASSERT_EQUAL_FATAL(dm_event_open(path), 0);
	dm_event_emit("TEST_ONE", DM_EV_INT("n", 1));
	dm_event_post(&(const struct dm_event){"TEST_TWO", NULL, 0});
	dm_event_close();
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(buf, sizeof(buf), f)) {
		CU_ASSERT_EQUAL(buf[0], '{');
		CU_ASSERT_EQUAL(buf[strlen(buf) - 2], '}');
		n++;
	}
	fclose(f);
	unlink(path);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[1], "\"data\": {\"uuid\": "));
	vm_destroy(&ctx);
}

static void test_unwritable_events_file_is_counted_not_fatal(void)
{
	fresh_vm();
	CU_ASSERT_EQUAL_FATAL(dm_event_open("/dev/full"), 0);
	dm_event_emit("TEST", DM_EV_BOOL("b", true));
	dm_event_emit("TEST", DM_EV_BOOL("b", true));
	CU_ASSERT_EQUAL(dm_event_write_errors(), 2);
	CU_ASSERT_EQUAL(dm_event_count(), 2);
	CU_ASSERT_EQUAL(nlines, 2); /* the sink still sees them */
	dm_event_close();
	CU_ASSERT(dm_event_open("/nonexistent-dir/x") < 0);
	vm_destroy(&ctx);
}

static void test_unregister_removes_only_the_hook_with_that_arg(void)
{
	fresh_vm();
	hook_n = 0;
	CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, hook, (void *)1L), 0);
	CU_ASSERT_EQUAL(dm_reset_hook_register(&ctx, hook, (void *)2L), 0);
	dm_reset_hook_unregister(&ctx, hook, (void *)2L);
	dm_reset_hook_unregister(&ctx, hook, (void *)7L); /* never registered: no-op */
	vm_reset(&ctx, "host");
	CU_ASSERT_EQUAL_FATAL(hook_n, 1);
	CU_ASSERT_EQUAL(hook_log[0], 1);
	vm_destroy(&ctx);
}

/* STOP once per pause, RESUME once per resume; the VM clock stands still between. */
static void test_pause_and_resume_emit_once_and_stop_the_clock(void)
{
	uint64_t t0;

	fresh_vm();
	t0 = vm_clock_now_ns();
	CU_ASSERT_TRUE(vm_pause(&ctx, "watchdog"));
	CU_ASSERT_FALSE(vm_pause(&ctx, "host")); /* already paused: no second STOP */
	CU_ASSERT_TRUE(vm_clock_paused());
	CU_ASSERT_EQUAL(vm_clock_step(5000), t0);
	CU_ASSERT_EQUAL_FATAL(nlines, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[0], "\"event\": \"STOP\", \"data\": "
						"{\"reason\": \"watchdog\", \"uuid\""));
	CU_ASSERT_TRUE(vm_resume(&ctx, "host"));
	CU_ASSERT_FALSE(vm_resume(&ctx, "host"));
	CU_ASSERT_FALSE(vm_clock_paused());
	CU_ASSERT_EQUAL(vm_clock_step(5000), t0 + 5000);
	CU_ASSERT_EQUAL_FATAL(nlines, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[1], "\"event\": \"RESUME\", \"data\": {\"uuid\""));
	vm_destroy(&ctx);
}

/* A running VM resumed emits nothing; a pause after a resume is a new STOP. */
static void test_resume_of_a_running_vm_is_silent(void)
{
	fresh_vm();
	CU_ASSERT_FALSE(vm_resume(&ctx, "host"));
	CU_ASSERT_EQUAL(nlines, 0);
	CU_ASSERT_TRUE(vm_pause(&ctx, "host"));
	CU_ASSERT_TRUE(vm_resume(&ctx, "host"));
	CU_ASSERT_TRUE(vm_pause(&ctx, "host"));
	CU_ASSERT_TRUE(vm_resume(&ctx, "host"));
	CU_ASSERT_EQUAL(nlines, 4);
	vm_destroy(&ctx);
}

/* Two watchdogs (or QMP quit after a poweroff action) make one SHUTDOWN; a reset re-arms it. */
static void test_poweroff_emits_shutdown_once_until_a_reset(void)
{
	fresh_vm();
	CU_ASSERT_TRUE(vm_poweroff(&ctx, "watchdog"));
	CU_ASSERT_FALSE(vm_poweroff(&ctx, "host-qmp-quit"));
	CU_ASSERT_FALSE(vm_clock_paused()); /* powering off stops nothing by itself */
	CU_ASSERT_EQUAL_FATAL(nlines, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[0], "\"event\": \"SHUTDOWN\", \"data\": "
						"{\"guest\": false, \"reason\": \"watchdog\", "));
	vm_reset(&ctx, "host");
	CU_ASSERT_TRUE(vm_poweroff(&ctx, "host-qmp-quit"));
	CU_ASSERT_EQUAL_FATAL(nlines, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[2], "\"reason\": \"host-qmp-quit\""));
	vm_destroy(&ctx);
}

UNIT_SUITE(vm, suite_init, suite_cleanup, UNIT_TEST(test_action_names_round_trip),
	   UNIT_TEST(test_uuid_is_parsed_lowercased_or_rejected),
	   UNIT_TEST(test_expiry_emits_watchdog_and_queues_request),
	   UNIT_TEST(test_requests_come_out_in_order_and_overflow_drops),
	   UNIT_TEST(test_vm_reset_runs_hooks_in_order_then_emits_reset),
	   UNIT_TEST(test_hook_table_full_is_refused), UNIT_TEST(test_event_strings_are_json_escaped),
	   UNIT_TEST(test_events_file_gets_one_line_per_event),
	   UNIT_TEST(test_unwritable_events_file_is_counted_not_fatal),
	   UNIT_TEST(test_unregister_removes_only_the_hook_with_that_arg),
	   UNIT_TEST(test_pause_and_resume_emit_once_and_stop_the_clock),
	   UNIT_TEST(test_resume_of_a_running_vm_is_silent),
	   UNIT_TEST(test_poweroff_emits_shutdown_once_until_a_reset),
	   UNIT_TEST(test_sink_gets_typed_fields_and_the_json_made_once),
	   UNIT_TEST(test_event_data_too_long_is_dropped));
