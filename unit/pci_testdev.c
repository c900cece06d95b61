/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * "test-dev", a PCI device for the core's unit tests (docs/design.rst §3-4).  BAR0:
 * 256 bytes of 32-bit memory, BAR1: 32 I/O ports; both read back
 * 0xa0000000 | offset and record every access.  INTA requested.  Config
 * 0x40 is a device-decoded read-only magic, 0x44 a device-decoded sink.
 * Options: "fail" makes vdev_init fail (unwind tests), "nobars" skips BARs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dm_reset.h"
#include "pci_core.h"
#include "pci_testdev.h"

#define TESTDEV_READ_TAG 0xa0000000U

int testdev_deinit_count;

static void testdev_reset(void *arg)
{
	struct pci_vdev *dev = arg;
	struct testdev_state *st = dev->arg;

	st->resets++;
	st->sink = 0;
}

static int testdev_bars(struct pci_vdev *dev)
{
	int err = pci_emul_alloc_bar(dev, 0, PCIBAR_MEM32, TESTDEV_MEM_SIZE);

	if (err)
		return err;
	return pci_emul_alloc_bar(dev, 1, PCIBAR_IO, TESTDEV_IO_SIZE);
}

static int testdev_init(struct vmctx *ctx, struct pci_vdev *dev, char *opts)
{
	struct testdev_state *st;
	int err;

	if (opts && strstr(opts, "fail"))
		return -EIO;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	dev->arg = st;
	pci_set_cfgdata16(dev, PCIR_VENDOR, TESTDEV_VENDOR);
	pci_set_cfgdata16(dev, PCIR_DEVICE, TESTDEV_DEVICE);
	pci_set_cfgdata8(dev, PCIR_CLASS, PCIC_BASEPERIPH);
	pci_set_cfgdata8(dev, PCIR_SUBCLASS, PCIS_BASEPERIPH_OTHER);
	pci_lintr_request(dev);
	err = (opts && strstr(opts, "nobars")) ? 0 : testdev_bars(dev);
	if (!err)
		err = dm_reset_hook_register(ctx, testdev_reset, dev);
	if (err) {
		free(st);
		dev->arg = NULL;
	}
	return err;
}

static void testdev_deinit(struct vmctx *ctx, struct pci_vdev *dev, char *opts)
{
	(void)opts;
	dm_reset_hook_unregister(ctx, testdev_reset, dev);
	free(dev->arg);
	dev->arg = NULL;
	testdev_deinit_count++;
}

static int testdev_cfgread(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int offset,
			   int bytes, uint32_t *retval)
{
	struct testdev_state *st = pi->arg;

	(void)ctx, (void)vcpu;
	if (offset == TESTDEV_CFG_MAGIC && bytes == 4) {
		*retval = TESTDEV_CFG_MAGIC_VAL;
		return 0;
	}
	if (offset == TESTDEV_CFG_SINK && bytes == 4) {
		*retval = st->sink;
		return 0;
	}
	return -1;
}

static int testdev_cfgwrite(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int offset,
			    int bytes, uint32_t val)
{
	struct testdev_state *st = pi->arg;

	(void)ctx, (void)vcpu;
	if (offset == TESTDEV_CFG_MAGIC)
		return 0; /* read-only: swallowed */
	if (offset == TESTDEV_CFG_SINK && bytes == 4) {
		st->sink = val;
		return 0;
	}
	return -1;
}

static void testdev_record(struct pci_vdev *pi, int vcpu, int baridx, uint64_t offset,
			   int size, uint64_t value)
{
	struct testdev_state *st = pi->arg;

	st->last_bar = baridx;
	st->last_vcpu = vcpu;
	st->last_offset = offset;
	st->last_size = size;
	st->last_value = value;
}

static void testdev_barwrite(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int baridx,
			     uint64_t offset, int size, uint64_t value)
{
	(void)ctx;
	((struct testdev_state *)pi->arg)->bar_writes++;
	testdev_record(pi, vcpu, baridx, offset, size, value);
}

static uint64_t testdev_barread(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int baridx,
				uint64_t offset, int size)
{
	(void)ctx;
	((struct testdev_state *)pi->arg)->bar_reads++;
	testdev_record(pi, vcpu, baridx, offset, size, 0);
	return TESTDEV_READ_TAG | offset;
}

static struct pci_vdev_ops pci_ops_testdev = {
	.class_name = "test-dev",
	.vdev_init = testdev_init,
	.vdev_deinit = testdev_deinit,
	.vdev_cfgread = testdev_cfgread,
	.vdev_cfgwrite = testdev_cfgwrite,
	.vdev_barread = testdev_barread,
	.vdev_barwrite = testdev_barwrite,
};
DEFINE_PCI_DEVTYPE(pci_ops_testdev);
