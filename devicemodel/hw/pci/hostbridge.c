/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The host bridge at 0:0.0 (docs/design.rst §3): an Intel 440FX-style identity and
 * nothing else, so a guest enumerating bus 0 finds a host bridge where it
 * expects one.  The PCI core creates it unless -s claims slot 0 function 0.
 */
#include "pci_core.h"

#define HB_VENDOR_INTEL 0x8086
#define HB_DEVICE_440FX 0x1237

static int hostbridge_init(struct vmctx *ctx, struct pci_vdev *dev, char *opts)
{
	(void)ctx;
	(void)opts;
	pci_set_cfgdata16(dev, PCIR_VENDOR, HB_VENDOR_INTEL);
	pci_set_cfgdata16(dev, PCIR_DEVICE, HB_DEVICE_440FX);
	pci_set_cfgdata8(dev, PCIR_HDRTYPE, PCIM_HDRTYPE_NORMAL);
	pci_set_cfgdata8(dev, PCIR_CLASS, PCIC_BRIDGE);
	pci_set_cfgdata8(dev, PCIR_SUBCLASS, PCIS_BRIDGE_HOST);
	return 0;
}

static struct pci_vdev_ops pci_ops_hostbridge = {
	.class_name = "hostbridge",
	.vdev_init = hostbridge_init,
};
DEFINE_PCI_DEVTYPE(pci_ops_hostbridge);
