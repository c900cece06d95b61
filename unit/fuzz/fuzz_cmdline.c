/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * libFuzzer harness 5 (issue 7): the option strings a user (or a launch
 * script) hands to wdt-dm: `-s` through pci_parse_slot(), `--vcpu-stall` and
 * `--platform` through the registry's option hooks and the device's own
 * option parser (run by init_plat_devs), per-device options (action=...) through vdev_init, the
 * VM's UUID through vm_create(), and the front ends' own options (`--sim`
 * scenario, `--qtest` value) through their prepare() hooks, found in the
 * front-end linker set as main finds them.  The input is up to 8 NUL-separated strings,
 * each starting with a kind byte (unit/fuzz/README.md).  Whatever the
 * strings, the core must either refuse them (negative errno, nothing left
 * behind) or bring up a VM that then serves a few accesses and tears down
 * without leaks (LeakSanitizer runs after every input).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "frontend.h"
#include "fuzz.h"
#include "mem.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "vm_clock.h"

#define MAX_STRINGS 8
#define MAX_STRING 512

static void cmdline_exercise(struct fuzz_vm *vm)
{
	uint64_t val = 0;

	/* A pet, a read and a clock step: the devices that came up must work. */
	val = 10;
	mem_access(&vm->ctx, 0, MEM_F_WRITE, 0x300c, 4, &val);
	val = 80;
	mem_access(&vm->ctx, 0, MEM_F_WRITE, 0x3004, 4, &val);
	mem_access(&vm->ctx, 0, MEM_F_READ, 0x3008, 4, &val);
	vm_clock_step(1000000000ULL);
	fuzz_check_timers(vm, 1024);
}

SET_DECLARE(dm_frontend_set, struct dm_frontend);

/* A front end's prepare() on its option string, as main runs it. */
static bool frontend_prepare(const char *name, const char *s, int *vcpus)
{
	struct dm_options o = {0};
	struct dm_frontend **fp;
	struct vmctx ctx;
	int rc;

	SET_FOREACH(fp, dm_frontend_set)
	{
		if (strcmp((*fp)->name, name) || !(*fp)->prepare)
			continue;
		if (!strcmp(name, "sim"))
			o.sim = s;
		else
			o.qtest = s;
		memset(&ctx, 0, sizeof(ctx));
		ctx.vcpu_num = 1;
		rc = (*fp)->prepare(&ctx, &o);
		FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM,
			   "%s prepare returned %d (a usage error must be -EINVAL)", name, rc);
		FUZZ_CHECK(rc || (ctx.vcpu_num >= 1 && ctx.vcpu_num <= VM_MAX_VCPUS),
			   "%s accepted %d vCPUs", name, ctx.vcpu_num);
		if (!rc)
			*vcpus = ctx.vcpu_num;
		return rc == 0;
	}
	return true; /* not built in */
}

/* Returns false when the option was refused (the VM must then not start). */
static bool cmdline_apply(char kind, const char *s, const char **uuid, int *vcpus)
{
	switch (kind % 6) {
	case 4:
		return frontend_prepare("sim", s, vcpus);
	case 5:
		return frontend_prepare("qtest", s, vcpus);
	case 0:
		return pci_parse_slot(s) == 0;
	case 1:
		return plat_dev_add_option("vcpu-stall", s) == 0;
	case 2:
		return plat_dev_add_spec(s) == 0;
	default:
		*uuid = s;
		*vcpus = (int)(strlen(s) % 300);
		return true;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char strs[MAX_STRINGS][MAX_STRING + 1];
	const char *uuid = NULL;
	struct fuzz_vm vm;
	int n = 0, vcpus = 1, rc;
	size_t pos = 0;

	while (pos < size && n < MAX_STRINGS) {
		const uint8_t *nul = memchr(data + pos, '\0', size - pos);
		size_t len = nul ? (size_t)(nul - (data + pos)) : size - pos;

		if (len > MAX_STRING)
			len = MAX_STRING;
		memcpy(strs[n], data + pos, len);
		strs[n][len] = '\0';
		n++;
		pos += (nul ? (size_t)(nul - (data + pos)) : size - pos) + 1;
	}
	for (int i = 0; i < n; i++) {
		if (strs[i][0] && !cmdline_apply(strs[i][0], strs[i] + 1, &uuid, &vcpus)) {
			pci_slots_clear();
			plat_devs_clear();
			return 0;
		}
	}
	rc = fuzz_vm_start(&vm, vcpus);
	if (rc == 0 && uuid) {
		/* vm_create took the fixture's UUID: check the user's one parses alone. */
		struct vmctx ctx;

		if (vm_create(&ctx, uuid, vcpus) == 0)
			vm_destroy(&ctx);
	}
	if (rc == 0) {
		cmdline_exercise(&vm);
		fuzz_vm_stop(&vm);
	}
	return 0;
}
