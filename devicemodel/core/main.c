/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * wdt-dm's command line and VM lifecycle (docs/design.rst §2, issue "DM core" item 8).
 * It parses the ACRN-style options, picks the one front end the options
 * select, brings the core up in dependency order (VM, events, clock, dispatch,
 * PCI, platform devices), hands control to the front end and tears down in
 * reverse.  Any bad argument is one line on stderr and exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_event.h"
#include "frontend.h"
#include "inout.h"
#include "log.h"
#include "mem.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "qmp.h"
#include "vm_clock.h"
#include "vmctx.h"

#define WDT_DM_VERSION "0.1.0"
#define EXIT_USAGE DM_EXIT_USAGE

SET_DECLARE(dm_frontend_set, struct dm_frontend);

#define USAGE_COLUMN 26 /* where an option's description starts */

/* The platform devices' own long options, from the registry. */
static void usage_platform(FILE *f)
{
	const struct plat_dev_ops *ops;

	fprintf(f, "  --platform <name>[,<opts>]  add a platform device\n");
	for (int n = 0; (ops = plat_ops_with_option(n)); n++) {
		int len = fprintf(f, "  --%s <opts>", ops->option);

		fprintf(f, "%*s%s\n", len < USAGE_COLUMN ? USAGE_COLUMN - len : 1, "",
			ops->option_help ? ops->option_help : "");
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wdt-dm [options] --qtest stdio|unix:PATH[,server=on]\n"
		"       wdt-dm [options] --sim <scenario>\n"
		"       wdt-dm [options] -- qemu-system-x86_64 [qemu options]\n"
		"options:\n"
		"  -s <slot>[:<func>],<emul>[,<opts>]  add a PCI device (e.g. -s 5,wdt-i6300esb)\n");
	usage_platform(f);
	fprintf(f,
		"  -U, --uuid <uuid>       the VM's UUID (generated when absent)\n"
		"  --events <file|->       write events as JSON lines\n"
		"  --qtest stdio|unix:PATH[,server=on]\n"
		"                          qtest front end (virtual clock); unix:PATH connects\n"
		"  -m <size>               guest RAM of the qtest front end (default 128M)\n"
		"  --qmp unix:PATH[,server=on]  QMP monitor (also QEMU's -qmp, -chardev + -mon)\n"
		"  --sim <scenario>        simulated-vCPU front end\n"
		"  -v, --verbose           more log output (repeat for debug)\n"
		"  -h, --help              this text\n"
		"      --version           print the version\n"
		"device options (wdt-i6300esb, --vcpu-stall):\n"
		"    action=<action>       what the watchdog does when it runs out (default reset)\n"
		"    dump=<dir>            first write the guest's memory as an ELF core into dir\n"
		"    dump_timeout=<s>      the action waits for the dump at most s seconds (60)\n"
		"actions: reset|shutdown|poweroff|pause|debug|none|inject-nmi\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "wdt-dm: %s%s%s (see wdt-dm --help)\n", what, arg ? ": " : "",
		arg ? arg : "");
	return -EINVAL;
}

enum { OPT_PLATFORM = 0x100, OPT_EVENTS, OPT_QTEST, OPT_SIM, OPT_VERSION, OPT_QMP,
       OPT_CHARDEV, OPT_MON, OPT_PLAT_FIRST = 0x200 };

static const struct option base_opts[] = {
	{"uuid", required_argument, NULL, 'U'},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"events", required_argument, NULL, OPT_EVENTS},
	{"qtest", required_argument, NULL, OPT_QTEST},
	{"sim", required_argument, NULL, OPT_SIM},
	{"qmp", required_argument, NULL, OPT_QMP},
	{"chardev", required_argument, NULL, OPT_CHARDEV},
	{"mon", required_argument, NULL, OPT_MON},
	{"memsize", required_argument, NULL, 'm'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
};

#define BASE_OPTS (sizeof(base_opts) / sizeof(base_opts[0]))
static struct option long_opts[BASE_OPTS + PLAT_MAX_DEVS + 1];

/* base_opts, then each platform device's own long option (OPT_PLAT_FIRST + n). */
static void build_long_opts(void)
{
	const struct plat_dev_ops *ops;
	size_t k = BASE_OPTS;

	memcpy(long_opts, base_opts, sizeof(base_opts));
	for (int n = 0; k < BASE_OPTS + PLAT_MAX_DEVS && (ops = plat_ops_with_option(n)); n++)
		long_opts[k++] = (struct option){ops->option, required_argument, NULL,
						 OPT_PLAT_FIRST + n};
	long_opts[k] = (struct option){NULL, 0, NULL, 0};
}

/* --platform and the platform devices' own options. */
static int platform_opt(int c, const char *arg)
{
	if (c == OPT_PLATFORM)
		return plat_dev_add_spec(arg);
	return plat_dev_add_option(plat_ops_with_option(c - OPT_PLAT_FIRST)->option, arg);
}

static int set_once(const char **slot, const char *val, const char *name)
{
	if (*slot)
		return usage_error("option given twice", name);
	*slot = val;
	return 0;
}

/* QEMU's single-dash long options, before "--": -qmp, -chardev, -mon. */
static void qemu_spellings(int argc, char **argv)
{
	static char qmp[] = "--qmp", chardev[] = "--chardev", mon[] = "--mon";

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-qmp") == 0)
			argv[i] = qmp;
		else if (strcmp(argv[i], "-chardev") == 0)
			argv[i] = chardev;
		else if (strcmp(argv[i], "-mon") == 0)
			argv[i] = mon;
	}
}

/* Returns 0 to run, 1 to exit 0 (help/version), -EINVAL for a usage error. */
static int parse_args(int argc, char **argv, struct dm_options *o)
{
	int c;

	opterr = 0;
	qemu_spellings(argc, argv);
	build_long_opts();
	while ((c = getopt_long(argc, argv, "+s:U:m:vh", long_opts, NULL)) != -1) {
		if (c == OPT_PLATFORM || c >= OPT_PLAT_FIRST) {
			if (platform_opt(c, optarg))
				return -EINVAL; /* the registry printed the line */
			continue;
		}
		switch (c) {
		case 's':
			if (pci_parse_slot(optarg) != 0)
				return -EINVAL; /* the parser printed the line */
			break;
		case 'U':
			if (set_once(&o->uuid, optarg, "--uuid"))
				return -EINVAL;
			break;
		case OPT_EVENTS:
			if (set_once(&o->events, optarg, "--events"))
				return -EINVAL;
			break;
		case OPT_QTEST:
			if (set_once(&o->qtest, optarg, "--qtest"))
				return -EINVAL;
			break;
		case OPT_SIM:
			if (set_once(&o->sim, optarg, "--sim"))
				return -EINVAL;
			break;
		case 'm':
			if (set_once(&o->mem_size, optarg, "-m"))
				return -EINVAL;
			break;
		case OPT_QMP:
			if (set_once(&o->qmp, optarg, "--qmp"))
				return -EINVAL;
			if (qmp_check_spec(optarg))
				return usage_error("bad --qmp value (expected unix:PATH or "
						   "unix:PATH,server=on)", optarg);
			break;
		case OPT_CHARDEV:
			if (qmp_qemu_chardev(optarg))
				return usage_error("unsupported -chardev (expected "
						   "socket,path=PATH,id=ID[,server=on])", optarg);
			break;
		case OPT_MON:
			if (qmp_qemu_mon(optarg))
				return usage_error("unsupported -mon (expected chardev=ID,mode=control "
						   "after -chardev socket,path=PATH,id=ID)", optarg);
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("wdt-dm " WDT_DM_VERSION "\n");
			return 1;
		case ':':
			return usage_error("missing value for option", argv[optind - 1]);
		default:
			if (optopt && optopt < 0x100)
				fprintf(stderr, "wdt-dm: unknown or incomplete option: -%c (see "
						"wdt-dm --help)\n", optopt);
			else
				usage_error("unknown or incomplete option", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (qmp_qemu_spec() && set_once(&o->qmp, qmp_qemu_spec(), "--qmp"))
		return -EINVAL;
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return usage_error("unexpected argument", argv[optind]);
		o->qemu_argv = &argv[optind];
		o->qemu_argc = argc - optind;
	} else if (optind > 1 && strcmp(argv[optind - 1], "--") == 0) {
		return usage_error("nothing after --", "expected a QEMU command line");
	}
	return 0;
}

/* Options that are each fine alone but cannot work together. */
static int check_combinations(const struct dm_options *o)
{
	/* JSON lines on stdout would interleave with the qtest replies. */
	if (o->events && strcmp(o->events, "-") == 0 && o->qtest && strcmp(o->qtest, "stdio") == 0)
		return usage_error("--events - and --qtest stdio both use stdout",
				   "give --events a file");
	return 0;
}

static int pick_frontend(const struct dm_options *o, const struct dm_frontend **fe)
{
	struct dm_frontend **fp;
	int n = !!o->qtest + !!o->sim + !!o->qemu_argv;

	if (n > 1)
		return usage_error("more than one front end selected",
				   "give only one of --qtest, --sim, -- qemu ...");
	n = 0;

	SET_FOREACH(fp, dm_frontend_set)
	{
		if ((*fp)->selected(o)) {
			*fe = *fp;
			n++;
		}
	}
	if (n == 0 && !o->qtest && !o->sim && !o->qemu_argv)
		return usage_error("no front end selected",
				   "give --qtest, --sim or -- qemu-system-x86_64 ...");
	if (n != 1)
		return usage_error("this front end is not built into wdt-dm", NULL);
	return 0;
}

/* Brings devices up; returns 0 or a negative errno (-EINVAL: bad device options). */
static int vm_devices_init(struct vmctx *ctx, const struct dm_frontend *fe)
{
	int rc;

	init_mem();
	rc = init_inout();
	if (rc)
		goto err_mem;
	rc = init_pci(ctx);
	if (rc)
		goto err_inout;
	rc = dm_frontend_add_board(fe);
	if (rc)
		goto err_pci;
	rc = init_plat_devs(ctx);
	if (rc)
		goto err_pci;
	return 0;

err_pci:
	deinit_pci(ctx);
err_inout:
	deinit_inout();
err_mem:
	deinit_mem();
	return rc;
}

static void vm_devices_deinit(struct vmctx *ctx)
{
	deinit_plat_devs(ctx);
	deinit_pci(ctx);
	deinit_inout();
	deinit_mem();
}

static int run(struct vmctx *ctx, const struct dm_options *o, const struct dm_frontend *fe)
{
	int rc;

	rc = fe->prepare ? fe->prepare(ctx, o) : 0;
	if (rc)
		return rc == -EINVAL ? EXIT_USAGE : 1;
	pci_set_bar_preassign(fe->preassign_bars);
	rc = timer_core_init(fe->clock);
	if (rc) {
		fprintf(stderr, "wdt-dm: cannot start the timer core: %s\n", strerror(-rc));
		return 1;
	}
	rc = vm_devices_init(ctx, fe);
	if (rc) {
		timer_core_fini();
		if (rc != -EINVAL)
			fprintf(stderr, "wdt-dm: device initialisation failed: %s\n",
				strerror(-rc));
		return rc == -EINVAL ? EXIT_USAGE : 1;
	}
	rc = o->qmp ? qmp_start(ctx, o->qmp) : 0;
	if (rc) {
		fprintf(stderr, "wdt-dm: QMP socket %s: %s\n", o->qmp, strerror(-rc));
		vm_devices_deinit(ctx);
		timer_core_fini();
		return 1;
	}
	rc = fe->run(ctx, o);
	qmp_stop();
	vm_devices_deinit(ctx);
	timer_core_fini();
	return rc;
}

int main(int argc, char **argv)
{
	const struct dm_frontend *fe = NULL;
	struct dm_options o = {0};
	struct vmctx ctx;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE;
	if (pci_slots_check() || check_combinations(&o))
		return EXIT_USAGE;
	/*
	 * A peer (qtest client, QEMU) that goes away with replies owed must end the
	 * session with EPIPE, not kill the DM (tests/faults: peer-never-reads).
	 */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fprintf(stderr, "wdt-dm: cannot ignore SIGPIPE: %s\n", strerror(errno));
	log_set_level((uint8_t)(LOG_WARNING + (o.verbose > 2 ? 3 : o.verbose)));
	if (pick_frontend(&o, &fe))
		return EXIT_USAGE;
	if (vm_create(&ctx, o.uuid, 1) != 0) {
		usage_error("bad UUID", o.uuid);
		return EXIT_USAGE;
	}
	rc = dm_event_open(o.events);
	if (rc) {
		fprintf(stderr, "wdt-dm: cannot open events file %s: %s\n", o.events,
			strerror(-rc));
		vm_destroy(&ctx);
		return EXIT_USAGE;
	}
	rc = run(&ctx, &o, fe);
	dm_event_close();
	vm_destroy(&ctx);
	pci_slots_clear();
	plat_devs_clear();
	return rc;
}
