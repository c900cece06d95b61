/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The qtest front end (docs/design.rst §7): QEMU 7.2's qtest protocol, so that
 * QEMU's own clients (libqtest, qemu.machine.qtest) drive wdt-dm unchanged.
 * Transport: stdio, "unix:PATH" (wdt-dm connects, as QEMU's -qtest does) or
 * "unix:PATH,server=on" (wdt-dm listens).  Each line is one command with
 * exactly one reply, in QEMU's formats:
 *   outb|outw|outl ADDR VAL  -> OK              inb|inw|inl ADDR  -> OK 0x%04x
 *   writeb|w|l|q ADDR VAL    -> OK              readb|w|l|q ADDR  -> OK 0x%016x
 *   read ADDR SIZE -> OK 0xHEX     write ADDR SIZE 0xHEX -> OK
 *   b64read ADDR SIZE -> OK B64    b64write ADDR SIZE B64 -> OK
 *   memset ADDR SIZE BYTE -> OK    endianness -> OK little
 *   clock_step [NS] / clock_set NS -> OK <now_ns>  (clock_set never goes back)
 *   irq_intercept_in ioapic / irq_intercept_out <platform device> -> OK, then
 *     asynchronous "IRQ raise N" / "IRQ lower N" lines (N: the INTx GSI, or
 *     the device's own line, e.g. vcpu-stall's vCPU index, a raise/lower pulse)
 *   set_irq_in ioapic unnamed-gpio-in N LEVEL -> OK
 * wdt-dm extensions: vm_stop, vm_cont, system_reset -> OK.
 * Numbers are parsed as QEMU parses them (base 0, "-1" wraps), extra words are
 * ignored; what QEMU would abort on (a missing or malformed number, a port
 * above 0xffff) gets "FAIL <why>" and the session goes on.  Guest memory is
 * guest_ram.h's address space (RAM sized by -m).  EOF, SIGTERM/SIGINT or a
 * QMP quit end the run with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chardev.h"
#include "dm_event.h"
#include "dm_util.h"
#include "elfcore.h"
#include "frontend.h"
#include "hexdigit.h"
#include "guest_ram.h"
#include "inout.h"
#include "log.h"
#include "mem.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "qmp.h"
#include "vm_clock.h"
#include "vmctx.h"

#define QTEST_LINE_MAX (1U << 20)      /* longer lines are consumed and refused */
#define QTEST_MAX_WORDS 6
#define QTEST_DATA_MAX (16ULL << 20)   /* read/write/b64* sizes */
#define QTEST_FILL_MAX (1ULL << 32)    /* memset size */
#define QTEST_IOAPIC_PINS 24
#define QTEST_MAX_IRQ 256

enum qtest_icpt { ICPT_NONE, ICPT_IOAPIC, ICPT_PLAT };

struct qtest {
	struct vmctx *ctx;
	FILE *in, *out;
	int in_fd;               /* >= 0: read(2) with poll, else fread(in) */
	int wake_fd;             /* readable: stop (signal, QMP quit); -1 none */
	pthread_mutex_t lock;    /* one command, or one QMP command, at a time */
	pthread_mutex_t out_lock;
	char *buf;
	size_t len, cap;
	bool eof, quit;
	enum qtest_icpt icpt;
	const char *icpt_dev;    /* ICPT_PLAT: the platform device's name */
	int irq_level[QTEST_MAX_IRQ];
};

static int wake_pipe[2] = {-1, -1};

static bool qtest_selected(const struct dm_options *o)
{
	return o->qtest != NULL;
}

static int qtest_prepare(struct vmctx *ctx, const struct dm_options *o)
{
	struct chardev c;
	uint64_t ram;

	/* no vCPU threads at all: accesses come from the script */
	ctx->guest_time_src = "virtual";
	ctx->vcpus_no_guest_time = true;
	ctx->can_dump = true; /* its own guest RAM */
	if (strcmp(o->qtest, "stdio") != 0 && chardev_parse(o->qtest, &c)) {
		fprintf(stderr, "wdt-dm: bad --qtest value: %s (expected stdio, unix:PATH or "
				"unix:PATH,server=on)\n", o->qtest);
		return -EINVAL;
	}
	if (o->mem_size && guest_ram_parse_size(o->mem_size, &ram)) {
		fprintf(stderr, "wdt-dm: bad -m value: %s (expected a size such as 128M or 1G)\n",
			o->mem_size);
		return -EINVAL;
	}
	return 0;
}

/* ---- output: replies and asynchronous IRQ lines, never interleaved ---- */

static void qtest_printf(struct qtest *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void qtest_printf(struct qtest *q, const char *fmt, ...)
{
	va_list ap;

	dm_mutex_lock(&q->out_lock);
	va_start(ap, fmt);
	vfprintf(q->out, fmt, ap);
	va_end(ap);
	fflush(q->out);
	dm_mutex_unlock(&q->out_lock);
}

static void qtest_irq(struct qtest *q, int n, int level)
{
	if (n < 0 || n >= QTEST_MAX_IRQ || q->irq_level[n] == level)
		return;
	q->irq_level[n] = level;
	qtest_printf(q, "IRQ %s %d\n", level ? "raise" : "lower", n);
}

static void qtest_fe_intx(struct vmctx *ctx, struct pci_vdev *dev, int level)
{
	struct qtest *q = ctx->fe_data;

	if (q && q->icpt == ICPT_IOAPIC)
		qtest_irq(q, pci_intx_gsi(dev), !!level);
}

/* A platform device's output line, reported once its lines are intercepted. */
static void qtest_fe_plat_irq(struct vmctx *ctx, const char *dev, int line, int level)
{
	struct qtest *q = ctx->fe_data;

	if (q && q->icpt == ICPT_PLAT && strcmp(q->icpt_dev, dev) == 0)
		qtest_irq(q, line, !!level);
}

static const struct vm_fe_ops qtest_fe_ops = {
	.intx = qtest_fe_intx,
	.plat_irq = qtest_fe_plat_irq,
};

/* ---- actions and VM control (also run for QMP, under q->lock) ---- */

/* r's post-mortem dump of guest RAM, the VM paused around it as QEMU's dump does.
 * 0 or -errno; the action follows either way. */
static int qtest_dump(struct qtest *q, const struct vm_action_req *r)
{
	struct elfcore_range ranges[2];
	bool paused = vm_pause(q->ctx, "dump");
	int rc = vm_dump_ranges(q->ctx, r, ranges, guest_ram_ranges(ranges, 2));

	if (paused)
		vm_resume(q->ctx, "dump");
	return rc;
}

/* Carries out one requested action the way QEMU would under qtest. */
static void qtest_do_action(struct qtest *q, const struct vm_action_req *r)
{
	if (r->dump.dir[0])
		qtest_dump(q, r);
	switch (r->action) {
	case DM_WDT_ACTION_RESET:
		vm_reset(q->ctx, "watchdog");
		break;
	case DM_WDT_ACTION_POWEROFF:
		vm_poweroff(q->ctx, "watchdog");
		__atomic_store_n(&q->quit, true, __ATOMIC_RELEASE);
		break;
	case DM_WDT_ACTION_SHUTDOWN:
	case DM_WDT_ACTION_INJECT_NMI:
		vm_guest_request_event(r->action);
		break;
	case DM_WDT_ACTION_PAUSE:
		vm_pause(q->ctx, "watchdog");
		break;
	case DM_WDT_ACTION_DEBUG:
	case DM_WDT_ACTION_NONE:
		break;
	}
}

static void qtest_after_fire(void *arg)
{
	struct qtest *q = arg;
	struct vm_action_req r;

	while (vm_action_take(q->ctx, &r))
		qtest_do_action(q, &r);
}

/* ---- numbers, as QEMU's qemu_strtou64/qemu_strtoi64 take them ---- */

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || *end || end == s) ? -EINVAL : 0;
}

static int parse_i64(const char *s, int64_t *v)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*v = strtoll(s, &end, 0);
	return (errno || *end || end == s) ? -EINVAL : 0;
}

static int access_width(char suffix)
{
	switch (suffix) {
	case 'b':
		return 1;
	case 'w':
		return 2;
	case 'l':
		return 4;
	case 'q':
		return 8;
	default:
		return 0;
	}
}

static void fail_args(struct qtest *q, const char *cmd)
{
	qtest_printf(q, "FAIL bad arguments to %s\n", cmd);
}

/* ---- port and memory accesses ---- */

static void cmd_pio(struct qtest *q, char **w, int n, bool in, int bytes)
{
	uint64_t port, val = 0;
	uint32_t v32;

	if (bytes == 0 || bytes > 4 || n < (in ? 2 : 3) || parse_u64(w[1], &port) ||
	    port > 0xffff || (!in && parse_u64(w[2], &val))) {
		fail_args(q, w[0]);
		return;
	}
	v32 = (uint32_t)(val & width_mask(bytes));
	inout_access(q->ctx, 0, in, (int)port, bytes, &v32);
	if (in)
		qtest_printf(q, "OK 0x%04x\n", (unsigned int)(v32 & width_mask(bytes)));
	else
		qtest_printf(q, "OK\n");
}

/* One device range holds [addr, addr + bytes): hand the device the whole access. */
static bool one_device(uint64_t addr, int bytes)
{
	struct mem_range r;
	uint64_t run;

	if (mem_range_from(addr, &r) || r.base > addr || r.size - (addr - r.base) < (uint64_t)bytes)
		return false;
	return !(r.flags & MEM_F_BAR) || !guest_ram_at(addr, &run);
}

static void cmd_mmio(struct qtest *q, char **w, int n, bool rd, int bytes)
{
	uint64_t addr, val = 0;

	if (bytes == 0 || n < (rd ? 2 : 3) || parse_u64(w[1], &addr) ||
	    (!rd && parse_u64(w[2], &val))) {
		fail_args(q, w[0]);
		return;
	}
	val &= width_mask(bytes);
	if (one_device(addr, bytes))
		mem_access(q->ctx, 0, rd ? MEM_F_READ : MEM_F_WRITE, addr, bytes, &val);
	else
		guest_mem_rw(q->ctx, addr, &val, (uint64_t)bytes, !rd); /* little-endian host */
	if (rd)
		qtest_printf(q, "OK 0x%016" PRIx64 "\n", val & width_mask(bytes));
	else
		qtest_printf(q, "OK\n");
}

static int addr_len(char **w, int n, int need, uint64_t max, uint64_t *addr, uint64_t *len)
{
	if (n < need || parse_u64(w[1], addr) || parse_u64(w[2], len))
		return -EINVAL;
	return *len > max ? -E2BIG : 0;
}

static void fail_size(struct qtest *q, const char *cmd, int rc)
{
	if (rc == -E2BIG)
		qtest_printf(q, "FAIL size too large for %s\n", cmd);
	else
		fail_args(q, cmd);
}

static void hex_put(FILE *f, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[512];

	while (n) {
		size_t k = n < sizeof(buf) / 2 ? n : sizeof(buf) / 2;

		for (size_t i = 0; i < k; i++) {
			buf[2 * i] = digits[p[i] >> 4];
			buf[2 * i + 1] = digits[p[i] & 15];
		}
		fwrite(buf, 1, 2 * k, f);
		p += k;
		n -= k;
	}
}

/* "read ADDR SIZE" -> "OK 0x" + 2*SIZE hex digits, streamed in chunks. */
static void cmd_read_hex(struct qtest *q, char **w, int n)
{
	uint64_t addr, len;
	uint8_t chunk[4096];
	int rc = addr_len(w, n, 3, QTEST_DATA_MAX, &addr, &len);

	if (rc || len == 0) {
		fail_size(q, w[0], rc);
		return;
	}
	dm_mutex_lock(&q->out_lock);
	fputs("OK 0x", q->out);
	for (uint64_t done = 0; done < len;) {
		uint64_t k = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		guest_mem_rw(q->ctx, addr + done, chunk, k, false);
		hex_put(q->out, chunk, (size_t)k);
		done += k;
	}
	fputs("\n", q->out);
	fflush(q->out);
	dm_mutex_unlock(&q->out_lock);
}

/*
 * "<write command> ADDR SIZE DATA": the checks both write commands make, as
 * QEMU makes them, and a zeroed buffer of SIZE bytes (missing data writes
 * zeroes); NULL once the failure is answered.
 */
static uint8_t *write_args(struct qtest *q, char **w, int n, uint64_t *addr, uint64_t *len)
{
	int rc = addr_len(w, n, 4, QTEST_DATA_MAX, addr, len);
	uint8_t *data;

	if (rc) {
		fail_size(q, w[0], rc);
		return NULL;
	}
	if (strlen(w[3]) < 3) {
		qtest_printf(q, "ERR invalid argument size\n");
		return NULL;
	}
	data = calloc(1, *len ? *len : 1);
	if (!data)
		qtest_printf(q, "FAIL out of memory\n");
	return data;
}

/* "write ADDR SIZE 0xHEX": QEMU skips the two-character prefix; short data zero-fills. */
static void cmd_write_hex(struct qtest *q, char **w, int n)
{
	uint64_t addr, len, have;
	const char *hex;
	uint8_t *data = write_args(q, w, n, &addr, &len);

	if (!data)
		return;
	hex = w[3] + 2;
	have = strlen(hex) / 2;
	for (uint64_t i = 0; i < len && i < have; i++) {
		int hi = hex_digit_value(hex[2 * i]), lo = hex_digit_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(data);
			qtest_printf(q, "FAIL bad hex data\n");
			return;
		}
		data[i] = (uint8_t)(hi << 4 | lo);
	}
	guest_mem_rw(q->ctx, addr, data, len, true);
	free(data);
	qtest_printf(q, "OK\n");
}

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_put(FILE *f, const uint8_t *p, size_t k)
{
	uint32_t v = (uint32_t)p[0] << 16 | (k > 1 ? (uint32_t)p[1] << 8 : 0) |
		     (k > 2 ? p[2] : 0);

	fputc(b64_chars[v >> 18 & 63], f);
	fputc(b64_chars[v >> 12 & 63], f);
	fputc(k > 1 ? b64_chars[v >> 6 & 63] : '=', f);
	fputc(k > 2 ? b64_chars[v & 63] : '=', f);
}

/* "b64read ADDR SIZE" -> "OK " + base64 (as glib encodes: padded, one line). */
static void cmd_b64read(struct qtest *q, char **w, int n)
{
	uint64_t addr, len;
	uint8_t chunk[4095]; /* a multiple of 3: no padding inside */
	int rc = addr_len(w, n, 3, QTEST_DATA_MAX, &addr, &len);

	if (rc) {
		fail_size(q, w[0], rc);
		return;
	}
	dm_mutex_lock(&q->out_lock);
	fputs("OK ", q->out);
	for (uint64_t done = 0; done < len;) {
		uint64_t k = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		guest_mem_rw(q->ctx, addr + done, chunk, k, false);
		for (uint64_t i = 0; i < k; i += 3)
			b64_put(q->out, chunk + i, (size_t)(k - i < 3 ? k - i : 3));
		done += k;
	}
	fputs("\n", q->out);
	fflush(q->out);
	dm_mutex_unlock(&q->out_lock);
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;

	return p ? (int)(p - b64_chars) : -1;
}

/* Decodes s as glib does (characters outside the alphabet are skipped). */
static uint64_t b64_decode(const char *s, uint8_t *out, uint64_t max)
{
	uint64_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (; *s && *s != '=' && o < max; s++) {
		int v = b64_value(*s);

		if (v < 0)
			continue;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

/* "b64write ADDR SIZE B64": SIZE bytes are written, missing data as zeroes. */
static void cmd_b64write(struct qtest *q, char **w, int n)
{
	uint64_t addr, len;
	uint8_t *data = write_args(q, w, n, &addr, &len);

	if (!data)
		return;
	b64_decode(w[3], data, len);
	guest_mem_rw(q->ctx, addr, data, len, true);
	free(data);
	qtest_printf(q, "OK\n");
}

static void cmd_memset(struct qtest *q, char **w, int n)
{
	uint64_t addr, len, pattern;
	int rc = addr_len(w, n, 4, QTEST_FILL_MAX, &addr, &len);

	if (rc || parse_u64(w[3], &pattern)) {
		fail_size(q, w[0], rc);
		return;
	}
	guest_mem_fill(q->ctx, addr, (uint8_t)pattern, len);
	qtest_printf(q, "OK\n");
}

/* ---- clock ---- */

/* QEMU's clock_set: forward to dest, never back (and not while paused). */
static uint64_t clock_warp_to(int64_t dest)
{
	if (dest > 0 && (uint64_t)dest > vm_clock_now_ns() && !vm_clock_paused())
		vm_clock_set((uint64_t)dest);
	return vm_clock_now_ns();
}

static void cmd_clock(struct qtest *q, char **w, int n)
{
	int64_t ns;
	uint64_t now;

	if (strcmp(w[0], "clock_step") == 0 && n == 1) {
		now = vm_clock_step_next();
	} else if (n >= 2 && !parse_i64(w[1], &ns)) {
		if (strcmp(w[0], "clock_set") == 0)
			now = clock_warp_to(ns);
		else if (ns > 0)
			now = vm_clock_step((uint64_t)ns);
		else
			now = vm_clock_now_ns();
	} else {
		fail_args(q, w[0]);
		return;
	}
	qtest_printf(q, "OK %" PRIi64 "\n", (int64_t)now);
}

/* ---- interrupts ---- */

/*
 * QOM paths as QEMU's pc machine names them: "ioapic", "/machine/ioapic";
 * a platform device by its name ("vcpu-stall"), *dev getting that name.
 */
static enum qtest_icpt resolve_device(const char *path, const char **dev)
{
	struct plat_vdev *p;

	if (!path)
		return ICPT_NONE;
	if (strncmp(path, "/machine/", 9) == 0)
		path += 9;
	if (strcmp(path, "ioapic") == 0)
		return ICPT_IOAPIC;
	p = plat_dev_find(path);
	if (!p)
		return ICPT_NONE;
	*dev = p->ops->name;
	return ICPT_PLAT;
}

static void cmd_irq_intercept(struct qtest *q, char **w, int n)
{
	const char *dev = NULL;
	enum qtest_icpt d = resolve_device(n >= 2 ? w[1] : NULL, &dev);
	bool out = w[0][14] == 'o';

	if (d == ICPT_NONE) {
		qtest_printf(q, "FAIL Unknown device\n");
		return;
	}
	if (q->icpt != ICPT_NONE) {
		qtest_printf(q, q->icpt == d && q->icpt_dev == dev ?
				"OK\n" : "FAIL IRQ intercept already enabled\n");
		return;
	}
	/* The I/O APIC has input lines only, platform devices output lines only. */
	if ((d == ICPT_IOAPIC) != out) {
		q->icpt = d;
		q->icpt_dev = dev;
	} else {
		q->icpt = ICPT_NONE;
	}
	qtest_printf(q, "OK\n");
}

static void cmd_set_irq_in(struct qtest *q, char **w, int n)
{
	const char *dev = NULL;
	enum qtest_icpt d;
	int64_t num, level;

	if (n < 5 || parse_i64(w[3], &num) || parse_i64(w[4], &level)) {
		fail_args(q, w[0]);
		return;
	}
	d = resolve_device(w[1], &dev);
	if (d == ICPT_NONE) {
		qtest_printf(q, "FAIL Unknown device\n");
		return;
	}
	if (d != ICPT_IOAPIC || strcmp(w[2], "unnamed-gpio-in") != 0 ||
	    num < 0 || num >= QTEST_IOAPIC_PINS) {
		qtest_printf(q, "FAIL no such input line\n");
		return;
	}
	if (q->icpt == ICPT_IOAPIC)
		qtest_irq(q, (int)num, level != 0);
	qtest_printf(q, "OK\n");
}

static void cmd_vm(struct qtest *q, const char *cmd)
{
	if (strcmp(cmd, "vm_stop") == 0)
		vm_pause(q->ctx, "host");
	else if (strcmp(cmd, "vm_cont") == 0)
		vm_resume(q->ctx, "host");
	else
		vm_reset(q->ctx, "host");
	qtest_printf(q, "OK\n");
}

static int split_words(char *line, char **w)
{
	char *save = NULL;
	int n = 0;

	for (char *tok = strtok_r(line, " \t\r", &save); tok && n < QTEST_MAX_WORDS;
	     tok = strtok_r(NULL, " \t\r", &save))
		w[n++] = tok;
	return n;
}

/* stem + one width letter (b, w, l, q), as QEMU spells the access commands. */
static bool is_cmd(const char *cmd, const char *stem, size_t len)
{
	return strncmp(cmd, stem, len) == 0 && strlen(cmd) == len + 1 && access_width(cmd[len]);
}

static void qtest_dispatch(struct qtest *q, char **w, int n)
{
	const char *cmd = w[0];

	if (is_cmd(cmd, "out", 3) && cmd[3] != 'q')
		cmd_pio(q, w, n, false, access_width(cmd[3]));
	else if (is_cmd(cmd, "in", 2) && cmd[2] != 'q')
		cmd_pio(q, w, n, true, access_width(cmd[2]));
	else if (is_cmd(cmd, "write", 5))
		cmd_mmio(q, w, n, false, access_width(cmd[5]));
	else if (is_cmd(cmd, "read", 4))
		cmd_mmio(q, w, n, true, access_width(cmd[4]));
	else if (!strcmp(cmd, "read"))
		cmd_read_hex(q, w, n);
	else if (!strcmp(cmd, "write"))
		cmd_write_hex(q, w, n);
	else if (!strcmp(cmd, "b64read"))
		cmd_b64read(q, w, n);
	else if (!strcmp(cmd, "b64write"))
		cmd_b64write(q, w, n);
	else if (!strcmp(cmd, "memset"))
		cmd_memset(q, w, n);
	else if (!strcmp(cmd, "endianness"))
		qtest_printf(q, "OK little\n");
	else if (!strcmp(cmd, "clock_step") || !strcmp(cmd, "clock_set"))
		cmd_clock(q, w, n);
	else if (!strcmp(cmd, "irq_intercept_in") || !strcmp(cmd, "irq_intercept_out"))
		cmd_irq_intercept(q, w, n);
	else if (!strcmp(cmd, "set_irq_in"))
		cmd_set_irq_in(q, w, n);
	else if (!strcmp(cmd, "vm_stop") || !strcmp(cmd, "vm_cont") || !strcmp(cmd, "system_reset"))
		cmd_vm(q, cmd);
	else
		qtest_printf(q, "FAIL Unknown command '%.64s'\n", cmd);
}

/* Executes one command line: exactly one reply (none for a blank line). */
static void qtest_command(struct qtest *q, char *line)
{
	char *w[QTEST_MAX_WORDS];
	int n = split_words(line, w);

	if (n == 0)
		return;
	dm_mutex_lock(&q->lock);
	qtest_dispatch(q, w, n);
	dm_mutex_unlock(&q->lock);
}

/* ---- input: whole lines from a socket, stdin or (unit tests) a FILE ---- */

/* Waits for input or a stop request; 1: input ready, 0: stop, -1: error. */
static int qtest_wait(struct qtest *q)
{
	struct pollfd p[2] = {{.fd = q->in_fd, .events = POLLIN},
			      {.fd = q->wake_fd, .events = POLLIN}};

	for (;;) {
		int rc = poll(p, q->wake_fd >= 0 ? 2 : 1, -1);

		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc > 0 && (p[1].revents & POLLIN))
			return 0;
		if (rc > 0 && p[0].revents)
			return 1;
	}
}

/* Appends what the input has (keeping a spare byte); false at EOF, error or stop. */
static bool qtest_fill(struct qtest *q)
{
	ssize_t n;

	if (q->len + 1 >= q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 4096;
		char *b = realloc(q->buf, cap);

		if (!b)
			return false;
		q->buf = b;
		q->cap = cap;
	}
	if (q->in_fd < 0) {
		n = (ssize_t)fread(q->buf + q->len, 1, q->cap - q->len - 1, q->in);
		return n > 0 ? (q->len += (size_t)n, true) : false;
	}
	do {
		if (qtest_wait(q) != 1)
			return false;
		n = read(q->in_fd, q->buf + q->len, q->cap - q->len - 1);
	} while (n < 0 && (errno == EINTR || errno == EAGAIN));
	if (n <= 0)
		return false;
	q->len += (size_t)n;
	return true;
}

/*
 * The next line (NUL-terminated, newline dropped) or NULL at the end; *used:
 * the bytes it took.  A line longer than QTEST_LINE_MAX, or with a NUL in it,
 * is consumed whole and reported as *bad: never half-parsed.
 */
static char *qtest_next_line(struct qtest *q, size_t *used, bool *bad)
{
	size_t scan = 0;
	bool over = false;
	char *nl = NULL;

	for (;;) {
		if (q->len > scan)
			nl = memchr(q->buf + scan, '\n', q->len - scan);
		if (nl)
			break;
		if (q->len >= QTEST_LINE_MAX) {
			over = true; /* drop the head of an overlong line */
			q->len = 0;
		}
		scan = q->len;
		if (q->eof || !qtest_fill(q)) {
			q->eof = true;
			break;
		}
	}
	if (!nl) {
		if (q->len == 0 && !over)
			return NULL;
		nl = q->buf + q->len; /* a last line without newline; fill kept a spare byte */
		*used = q->len;
	} else {
		*used = (size_t)(nl - q->buf) + 1;
	}
	*nl = '\0';
	*bad = over || (size_t)(nl - q->buf) >= QTEST_LINE_MAX ||
	       strlen(q->buf) != (size_t)(nl - q->buf);
	return q->buf;
}

static void qtest_serve(struct qtest *q)
{
	size_t used;
	bool bad;
	char *line;

	while (!__atomic_load_n(&q->quit, __ATOMIC_ACQUIRE) &&
	       (line = qtest_next_line(q, &used, &bad)) != NULL) {
		if (bad)
			qtest_printf(q, "FAIL line too long or not text\n");
		else
			qtest_command(q, line);
		memmove(q->buf, q->buf + used, q->len - used);
		q->len -= used;
	}
}

/* ---- QMP's view of the VM under qtest ---- */

static int qtest_qmp_vm(void *arg, enum qmp_vm_op op)
{
	struct qtest *q = arg;

	dm_mutex_lock(&q->lock);
	switch (op) {
	case QMP_VM_STOP:
		vm_pause(q->ctx, "host");
		break;
	case QMP_VM_CONT:
		vm_resume(q->ctx, "host");
		break;
	case QMP_VM_RESET:
		vm_reset(q->ctx, "host");
		break;
	case QMP_VM_QUIT:
		vm_poweroff(q->ctx, QMP_QUIT_REASON);
		__atomic_store_n(&q->quit, true, __ATOMIC_RELEASE);
		if (wake_pipe[1] >= 0 && write(wake_pipe[1], "q", 1) < 0)
			pr_warn("qtest: cannot wake the session: %s\n", strerror(errno));
		break;
	}
	dm_mutex_unlock(&q->lock);
	return 0;
}

static int qtest_session_fd(struct vmctx *ctx, FILE *in, int in_fd, FILE *out, int wake_fd)
{
	struct qtest q = {.ctx = ctx, .in = in, .out = out, .in_fd = in_fd, .wake_fd = wake_fd};
	struct qmp_vm_ops ops = {.vm = qtest_qmp_vm, .arg = &q};

	pthread_mutex_init(&q.lock, NULL);
	pthread_mutex_init(&q.out_lock, NULL);
	ctx->fe = &qtest_fe_ops;
	ctx->fe_data = &q;
	qmp_set_vm_ops(&ops);
	timer_core_set_after_fire(qtest_after_fire, &q);
	qtest_after_fire(&q); /* anything requested during init */
	qtest_serve(&q);
	timer_core_set_after_fire(NULL, NULL);
	qmp_set_vm_ops(NULL);
	ctx->fe = NULL;
	ctx->fe_data = NULL;
	free(q.buf);
	pthread_mutex_destroy(&q.out_lock);
	pthread_mutex_destroy(&q.lock);
	return 0;
}

int qtest_session(struct vmctx *ctx, FILE *in, FILE *out)
{
	return qtest_session_fd(ctx, in, -1, out, -1);
}

/* ---- the run: transport, signals, guest RAM ---- */

static void qtest_on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(wake_pipe[1], "s", 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = saved;
}

static int qtest_signals(bool install)
{
	struct sigaction sa = {.sa_handler = install ? qtest_on_signal : SIG_DFL};

	sigemptyset(&sa.sa_mask);
	if (install && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -errno;
	if (!install) {
		close(wake_pipe[0]);
		close(wake_pipe[1]);
		wake_pipe[0] = wake_pipe[1] = -1;
	}
	return 0;
}

/* Whether SIGTERM/SIGINT asked the run to end. */
static bool stop_pending(void)
{
	struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* Connects or accepts the qtest peer; the fd, or -1 after saying why. */
/*
 * The peer's fd; QTEST_PEER_UNUSABLE when a listening PATH cannot be made ours
 * (missing or unwritable directory, not a socket: a bad command line, exit 2),
 * -1 when the peer is not there (nobody listening: exit 1, as QEMU).
 */
#define QTEST_PEER_UNUSABLE (-2)

static int qtest_peer(const char *spec)
{
	struct chardev c;
	int fd;

	if (chardev_parse(spec, &c))
		return -1;
	if (c.server) {
		fd = chardev_listen(&c);
		if (fd < 0 && fd != -EINTR) {
			fprintf(stderr, "wdt-dm: qtest socket %s: %s\n", c.path,
				fd == -EEXIST ? "exists and is not a socket" : strerror(-fd));
			return QTEST_PEER_UNUSABLE;
		}
		if (!fd) {
			do {
				fd = chardev_accept(&c);
			} while (fd == -ECONNABORTED || (fd == -EINTR && !stop_pending()));
			chardev_close(&c);
		}
	} else {
		fd = chardev_connect(&c);
	}
	if (fd < 0 && fd != -EINTR)
		fprintf(stderr, "wdt-dm: qtest socket %s: %s\n", c.path,
			fd == -EEXIST ? "exists and is not a socket" : strerror(-fd));
	return fd < 0 ? -1 : fd;
}

static int qtest_serve_fd(struct vmctx *ctx, int fd)
{
	FILE *out = fdopen(fd, "w");
	int rc;

	if (!out) {
		fprintf(stderr, "wdt-dm: qtest: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	rc = qtest_session_fd(ctx, NULL, fd, out, wake_pipe[0]);
	fclose(out);
	return rc;
}

static int qtest_run(struct vmctx *ctx, const struct dm_options *o)
{
	uint64_t ram = GUEST_RAM_DEFAULT;
	int rc, fd;

	if (o->mem_size)
		guest_ram_parse_size(o->mem_size, &ram); /* checked by prepare */
	rc = guest_ram_init(ram);
	if (rc) {
		fprintf(stderr, "wdt-dm: cannot reserve %" PRIu64 " bytes of guest RAM: %s\n", ram,
			strerror(-rc));
		return 1;
	}
	if (qtest_signals(true)) {
		fprintf(stderr, "wdt-dm: qtest: cannot handle signals: %s\n", strerror(errno));
		guest_ram_fini();
		return 1;
	}
	if (strcmp(o->qtest, "stdio") == 0) {
		rc = qtest_session_fd(ctx, stdin, STDIN_FILENO, stdout, wake_pipe[0]);
	} else {
		fd = qtest_peer(o->qtest);
		if (fd == QTEST_PEER_UNUSABLE)
			rc = DM_EXIT_USAGE;
		else
			rc = fd < 0 ? (stop_pending() ? 0 : 1) : qtest_serve_fd(ctx, fd);
	}
	qtest_signals(false);
	guest_ram_fini();
	return rc;
}

static const struct dm_frontend qtest_frontend = {
	.name = "qtest",
	.clock = VM_CLOCK_VIRTUAL,
	.preassign_bars = true,
	.selected = qtest_selected,
	.prepare = qtest_prepare,
	.run = qtest_run,
};
DEFINE_FRONTEND(qtest_frontend);
