/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the QMP monitor's protocol (core/qmp.c) through qmp_feed(): the
 * greeting and capabilities negotiation, QEMU's reply and error shapes, the
 * "id" echo, watchdog-set-action reaching the reboot API, and hostile input
 * (malformed, non-object, oversized, deeply nested) answered with errors; QEMU's
 * monitor spelling, and the unix-socket listener's care for existing files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chardev.h"
#include "dm_reset.h"
#include "qmp.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

static struct vmctx ctx;

static int suite_init(void)
{
	return timer_core_init(VM_CLOCK_VIRTUAL) || vm_create(&ctx, NULL, 1) ? -1 : 0;
}

static int suite_cleanup(void)
{
	vm_destroy(&ctx);
	timer_core_fini();
	return 0;
}

/* Feeds input to a fresh session; returns everything it wrote (caller frees). */
static char *feed(const char *in, size_t len)
{
	FILE *f = tmpfile();
	char *out;
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(qmp_feed(&ctx, in, len, fileno(f)), 0);
	n = ftell(f) >= 0 ? (long)lseek(fileno(f), 0, SEEK_END) : 0;
	out = calloc(1, (size_t)n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(pread(fileno(f), out, (size_t)n, 0), n);
	fclose(f);
	return out;
}

static const char greeting[] =
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
	"\"package\": \"wdt-dm\"}, \"capabilities\": []}}\r\n";
static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";

/* The replies after the greeting to caps + input must be exactly want. */
static void expect(const char *input, const char *want)
{
	size_t n = strlen(caps) + strlen(input);
	char *in = malloc(n + 1), *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	snprintf(in, n + 1, "%s%s", caps, input);
	out = feed(in, n);
	CU_ASSERT_EQUAL(strncmp(out, greeting, strlen(greeting)), 0);
	CU_ASSERT_EQUAL(strncmp(out + strlen(greeting), "{\"return\": {}}\r\n", 16), 0);
	CU_ASSERT_STRING_EQUAL(out + strlen(greeting) + 16, want);
	if (strcmp(out + strlen(greeting) + 16, want))
		fprintf(stderr, "\n  input: %s\n  got: %s\n  expected: %s\n", input,
			out + strlen(greeting) + 16, want);
	free(out);
	free(in);
}

static void test_greeting_and_negotiation(void)
{
	const char in[] = "{\"execute\": \"query-status\"}{\"execute\": \"qmp_capabilities\"}"
			  "{\"execute\": \"qmp_capabilities\"}";
	char *out = feed(in, sizeof(in) - 1);
	char want[1024];

	snprintf(want, sizeof(want), "%s{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		 "\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}\r\n"
		 "{\"return\": {}}\r\n{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		 "\"Capabilities negotiation is already complete, command ignored\"}}\r\n",
		 greeting);
	CU_ASSERT_STRING_EQUAL(out, want);
	free(out);
}

static void test_status_version_and_id_echo(void)
{
	expect("{\"execute\": \"query-status\", \"id\": {\"n\": [1, 'two', true, null]}}"
	       "{'execute': 'stop'}{'execute': 'query-status'}{'execute': 'cont'}"
	       "{\"execute\": \"query-version\", \"id\": \"v\\u00e9\"}",
	       "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, "
	       "\"id\": {\"n\": [1, \"two\", true, null]}}\r\n"
	       "{\"return\": {}}\r\n"
	       "{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": "
	       "false}}\r\n"
	       "{\"return\": {}}\r\n"
	       "{\"return\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, \"package\": "
	       "\"wdt-dm\"}, \"id\": \"v\xc3\xa9\"}\r\n");
	CU_ASSERT_FALSE(vm_clock_paused());
}

static void test_errors_for_bad_requests(void)
{
	expect("{\"execute\": \"frob\", \"id\": 7}\n{bad json\n]\n[1, 2]\n\"s\" \n"
	       "{\"arguments\": {}}\n{\"execute\": 1}\n{\"execute\": \"stop\", \"arguments\": 3}\n"
	       "{\"execute\": \"watchdog-set-action\"}\n"
	       "{\"execute\": \"watchdog-set-action\", \"arguments\": {\"action\": \"explode\"}}\n"
	       "{\"execute\": \"set-action\", \"arguments\": {\"frob\": \"x\"}}\n",
	       "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command frob has not "
	       "been found\"}, \"id\": 7}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expected a "
	       "member name\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, invalid "
	       "token\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON "
	       "object\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON "
	       "object\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'execute' "
	       "must be a string\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'execute' "
	       "must be a string\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member "
	       "'arguments' must be an object\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'action' is "
	       "missing or not a string\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'action' does not "
	       "accept value 'explode'\"}}\r\n"
	       "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'frob' is "
	       "unexpected\"}}\r\n");
}

static void test_huge_and_deep_inputs_get_errors(void)
{
	size_t big = 200000;
	char *in = malloc(big + 256);
	char *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	/* a 200 kB string member, then 100 levels of nesting, then a good command */
	memcpy(in, "{\"execute\": \"", 13);
	memset(in + 13, 'x', big - 13);
	memcpy(in + big, "\"}", 2);
	big += 2;
	memset(in + big, '[', 100);
	memset(in + big + 100, ']', 100);
	big += 200;
	memcpy(in + big, "{\"execute\": \"qmp_capabilities\"}", 31);
	out = feed(in, big + 31);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "JSON message too large"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "JSON nested too deeply"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"return\": {}}\r\n"));
	free(out);
	/* never finished: a string that does not end, brackets that do not close */
	memcpy(in, "{\"execute\": \"", 13);
	memset(in + 13, 'y', 70000);
	out = feed(in, 70013);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "JSON message too large"));
	free(out);
	memset(in, '{', 1000);
	out = feed(in, 1000);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "JSON message too large"));
	free(out);
	free(in);
}

/* QEMU's watchdog-set-action: the next expiry of any watchdog does the new action. */
static void test_watchdog_set_action_overrides_devices(void)
{
	struct vm_action_req r;

	expect("{\"execute\": \"watchdog-set-action\", \"arguments\": {\"action\": \"pause\"}}\n",
	       "{\"return\": {}}\r\n");
	dm_watchdog_expired(&ctx, DM_WDT_ACTION_RESET, "wdt-i6300esb", "0:5.0", "stage2");
	CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
	CU_ASSERT_EQUAL(r.action, DM_WDT_ACTION_PAUSE);
	expect("{\"execute\": \"set-action\", \"arguments\": {\"watchdog\": \"shutdown\", "
	       "\"reboot\": \"reset\"}}\n", "{\"return\": {}}\r\n");
	dm_watchdog_expired(&ctx, DM_WDT_ACTION_RESET, "vcpu-stall", "0", "reset");
	CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
	CU_ASSERT_EQUAL(r.action, DM_WDT_ACTION_SHUTDOWN); /* graceful, not poweroff */
	expect("{\"execute\": \"watchdog-set-action\", \"arguments\": {\"action\": "
	       "\"inject-nmi\"}}\n", "{\"return\": {}}\r\n");
	dm_watchdog_expired(&ctx, DM_WDT_ACTION_RESET, "wdt-i6300esb", "0:5.0", "stage2");
	CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
	CU_ASSERT_EQUAL(r.action, DM_WDT_ACTION_INJECT_NMI);
	expect("{\"execute\": \"x-query-watchdogs\"}\n", "{\"return\": []}\r\n");
	ctx.action_set = false;
}

static int fake_status(void *arg, char *buf, unsigned long n)
{
	snprintf(buf, n, "\"device\": \"%s\"", (const char *)arg);
	return 0;
}

static int full_status(void *arg, char *buf, unsigned long n)
{
	(void)arg;
	(void)buf;
	(void)n;
	return -ENOSPC;
}

/* x-query-watchdogs: one object per registered device, an entry that fails is left out. */
static void test_query_watchdogs_lists_registered_devices(void)
{
	CU_ASSERT_EQUAL(dm_status_register(&ctx, fake_status, "a"), 0);
	CU_ASSERT_EQUAL(dm_status_register(&ctx, full_status, NULL), 0);
	CU_ASSERT_EQUAL(dm_status_register(&ctx, fake_status, "b"), 0);
	expect("{\"execute\": \"x-query-watchdogs\"}\n",
	       "{\"return\": [{\"device\": \"a\", \"action-override\": null}, "
	       "{\"device\": \"b\", \"action-override\": null}]}\r\n");
	dm_status_unregister(&ctx, fake_status, "a");
	dm_status_unregister(&ctx, full_status, NULL);
	dm_status_unregister(&ctx, fake_status, "b");
	CU_ASSERT_EQUAL(ctx.nstatus, 0);
}

/* QEMU's monitor spelling becomes a --qmp value; the options that do not fit are refused. */
static void test_qemu_monitor_spelling(void)
{
	CU_ASSERT_EQUAL(qmp_check_spec("unix:/tmp/q"), 0);
	CU_ASSERT_EQUAL(qmp_check_spec("unix:path=/tmp/q,server=on,wait=off"), 0);
	CU_ASSERT_EQUAL(qmp_check_spec("tcp:1234"), -EINVAL);
	CU_ASSERT_EQUAL(qmp_check_spec("unix:/tmp/q,server=maybe"), -EINVAL);
	CU_ASSERT_EQUAL(qmp_qemu_mon("chardev=c0,mode=control"), -EINVAL); /* no -chardev yet */
	CU_ASSERT_EQUAL(qmp_qemu_chardev("file,path=/tmp/x,id=c0"), -EINVAL);
	CU_ASSERT_EQUAL(qmp_qemu_chardev("socket,id=c0"), -EINVAL);
	CU_ASSERT_EQUAL(qmp_qemu_chardev("socket,path=/tmp/m.sock,id=c0"), 0);
	CU_ASSERT_EQUAL(qmp_qemu_mon("chardev=c1,mode=control"), -EINVAL);
	CU_ASSERT_EQUAL(qmp_qemu_mon("chardev=c0,mode=readline"), -EINVAL);
	CU_ASSERT_PTR_NULL(qmp_qemu_spec());
	CU_ASSERT_EQUAL(qmp_qemu_mon("chardev=c0,mode=control"), 0);
	CU_ASSERT_STRING_EQUAL(qmp_qemu_spec(), "unix:/tmp/m.sock");
	CU_ASSERT_EQUAL(qmp_qemu_chardev("socket,id=mon,path=/tmp/n.sock,server=on,wait=off"), 0);
	CU_ASSERT_EQUAL(qmp_qemu_mon("chardev=mon,mode=control"), 0);
	CU_ASSERT_STRING_EQUAL(qmp_qemu_spec(), "unix:/tmp/n.sock,server=on");
}

/* chardev.h: a listener never replaces a live socket or another file, only a stale socket. */
static void test_chardev_listen_replaces_only_stale_sockets(void)
{
	char dir[] = "/tmp/wdt-chardev-XXXXXX", spec[128], path[100];
	struct chardev c, live;
	struct stat st;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(spec, sizeof(spec), "unix:%s,server=on", path);
	CU_ASSERT_EQUAL_FATAL(chardev_parse(spec, &c), 0);
	CU_ASSERT_TRUE(c.server);
	/* a regular file: refused and kept */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("data", f);
	fclose(f);
	CU_ASSERT_EQUAL(chardev_listen(&c), -EEXIST);
	CU_ASSERT_TRUE(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);
	unlink(path);
	/* a live socket: refused; once closed (it removes its file), listening works */
	live = c;
	CU_ASSERT_EQUAL_FATAL(chardev_listen(&live), 0);
	CU_ASSERT_EQUAL(chardev_listen(&c), -EADDRINUSE);
	chardev_close(&live);
	CU_ASSERT_NOT_EQUAL(lstat(path, &st), 0);
	/* a stale socket (bound, never listened on): replaced */
	CU_ASSERT_EQUAL_FATAL(chardev_listen(&live), 0);
	close(live.lfd); /* dies without cleaning up: the file stays */
	CU_ASSERT_EQUAL(lstat(path, &st), 0);
	CU_ASSERT_EQUAL(chardev_listen(&c), 0);
	chardev_close(&c);
	CU_ASSERT_NOT_EQUAL(lstat(path, &st), 0);
	CU_ASSERT_EQUAL(chardev_parse("unix:", &c), -EINVAL);
	CU_ASSERT_EQUAL(chardev_parse("unix:/x,frob", &c), -EINVAL);
	CU_ASSERT_EQUAL(chardev_parse("unix:path=/x,server,nowait", &c), 0);
	CU_ASSERT_TRUE(c.server && !c.wait && !strcmp(c.path, "/x"));
	rmdir(dir);
}

UNIT_SUITE(qmp, suite_init, suite_cleanup,
	   UNIT_TEST(test_greeting_and_negotiation),
	   UNIT_TEST(test_status_version_and_id_echo),
	   UNIT_TEST(test_errors_for_bad_requests),
	   UNIT_TEST(test_huge_and_deep_inputs_get_errors),
	   UNIT_TEST(test_watchdog_set_action_overrides_devices),
	   UNIT_TEST(test_query_watchdogs_lists_registered_devices),
	   UNIT_TEST(test_qemu_monitor_spelling),
	   UNIT_TEST(test_chardev_listen_replaces_only_stale_sockets));
