/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The PCI device-model API.  struct pci_vdev_ops, DEFINE_PCI_DEVTYPE, the
 * struct pci_vdev fields a device touches (arg, bus/slot/func, cfgdata, bar[])
 * and the helpers below carry ACRN's names and signatures, so a plugin written
 * against this header builds unchanged in ACRN's devicemodel.  Everything after
 * "wdt-dm core" is the host side used by front ends and main.
 *
 * ACRN rule: vdev_cfgread/vdev_cfgwrite return 0 when the device handled the
 * access; any other value lets the core apply the standard header semantics.
 */
#ifndef _PCI_CORE_H_
#define _PCI_CORE_H_

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "linker_set.h"
#include "log.h"
#include "mem.h"
#include "pcireg.h"

#define PCI_BARMAX PCIR_MAX_BAR_0
#define PCI_BDF(b, d, f) ((((b)&0xFF) << 8) | (((d)&0x1F) << 3) | (((f)&0x7)))
#define PCI_EMUL_MEMBASE32 0x80000000UL
#define PCI_EMUL_MEMLIMIT32 0xE0000000UL
#define PCI_EMUL_IOBASE 0x2000
#define PCI_EMUL_IOLIMIT 0x10000
#define PCI_MAX_SLOTS 32
#define PCI_MAX_FUNCS 8
#define PI_NAMESZ 40

struct vmctx;
struct pci_vdev;

struct pci_vdev_ops {
	char *class_name; /* Name of device class */
	int (*vdev_init)(struct vmctx *, struct pci_vdev *, char *opts);
	void (*vdev_deinit)(struct vmctx *, struct pci_vdev *, char *opts);
	void (*vdev_write_dsdt)(struct pci_vdev *);
	void (*vdev_phys_access)(struct vmctx *ctx, struct pci_vdev *dev);
	int (*vdev_cfgwrite)(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int offset,
			     int bytes, uint32_t val);
	int (*vdev_cfgread)(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int offset,
			    int bytes, uint32_t *retval);
	void (*vdev_barwrite)(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int baridx,
			      uint64_t offset, int size, uint64_t value);
	uint64_t (*vdev_barread)(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int baridx,
				 uint64_t offset, int size);
};

#define DEFINE_PCI_DEVTYPE(x) DATA_SET(pci_vdev_ops_set, x)

enum pcibar_type { PCIBAR_NONE, PCIBAR_IO, PCIBAR_MEM32, PCIBAR_MEM64, PCIBAR_MEMHI64, PCIBAR_ROM };

struct pcibar {
	enum pcibar_type type;
	uint64_t size;
	uint64_t addr;
	bool sizing;
	/* wdt-dm core: the range registered for this BAR while decoding is on */
	bool registered;
	struct mem_range range;
};

enum lintr_stat { IDLE, ASSERTED, PENDING };

struct pci_vdev {
	struct pci_vdev_ops *dev_ops;
	struct vmctx *vmctx;
	uint8_t bus, slot, func;
	char name[PI_NAMESZ];

	struct {
		int8_t pin;
		enum lintr_stat state;
		pthread_mutex_t lock;
	} lintr;

	void *arg; /* devemu-private data */

	uint8_t cfgdata[PCI_REGMAX + 1];
	struct pcibar bar[PCI_BARMAX + 2];

	/* wdt-dm core only (not in ACRN's struct; devices must not use) */
	char *opts;
	uint8_t cfg_reset[PCI_REGMAX + 1]; /* header as it was after vdev_init */
	pthread_mutex_t cfg_lock;          /* serialises config cycles (BAR tracking) */
};

/* -- the helpers a device uses (ACRN names) ------------------------------ */
int pci_emul_alloc_bar(struct pci_vdev *pdi, int idx, enum pcibar_type type, uint64_t size);
void pci_lintr_request(struct pci_vdev *pi);
/* The GSI a guest without firmware routing sees for the device's INTx (its
 * interrupt line register after reset). */
int pci_intx_gsi(const struct pci_vdev *pi);
void pci_lintr_release(struct pci_vdev *pi);
void pci_lintr_assert(struct pci_vdev *dev);
void pci_lintr_deassert(struct pci_vdev *dev);

static inline void pci_set_cfgdata8(struct pci_vdev *dev, int offset, uint8_t val)
{
	if (offset < 0 || offset > PCI_REGMAX)
		return;
	dev->cfgdata[offset] = val;
}

static inline void pci_set_cfgdata16(struct pci_vdev *dev, int offset, uint16_t val)
{
	if (offset < 0 || offset > PCI_REGMAX - 1 || (offset & 1))
		return;
	dev->cfgdata[offset] = (uint8_t)val;
	dev->cfgdata[offset + 1] = (uint8_t)(val >> 8);
}

static inline void pci_set_cfgdata32(struct pci_vdev *dev, int offset, uint32_t val)
{
	if (offset < 0 || offset > PCI_REGMAX - 3 || (offset & 3))
		return;
	for (int i = 0; i < 4; i++)
		dev->cfgdata[offset + i] = (uint8_t)(val >> (8 * i));
}

static inline uint8_t pci_get_cfgdata8(struct pci_vdev *dev, int offset)
{
	if (offset < 0 || offset > PCI_REGMAX)
		return 0xff;
	return dev->cfgdata[offset];
}

static inline uint16_t pci_get_cfgdata16(struct pci_vdev *dev, int offset)
{
	if (offset < 0 || offset > PCI_REGMAX - 1 || (offset & 1))
		return 0xffff;
	return (uint16_t)(dev->cfgdata[offset] | (dev->cfgdata[offset + 1] << 8));
}

static inline uint32_t pci_get_cfgdata32(struct pci_vdev *dev, int offset)
{
	if (offset < 0 || offset > PCI_REGMAX - 3 || (offset & 3))
		return 0xffffffff;
	return (uint32_t)dev->cfgdata[offset] | ((uint32_t)dev->cfgdata[offset + 1] << 8) |
	       ((uint32_t)dev->cfgdata[offset + 2] << 16) |
	       ((uint32_t)dev->cfgdata[offset + 3] << 24);
}

/* -- wdt-dm core: host side ------------------------------------------------ */

/*
 * -s <slot>[:<func>],<emul>[,<opts>]  (ACRN grammar; bus 0 only).
 * Returns 0, or -EINVAL with one line on stderr naming the problem.
 */
int pci_parse_slot(const char *opt);
/*
 * After the last -s: refuses (one line, -EINVAL) a slot with functions but
 * nothing at function 0, which guests that scan function 0 first never see.
 */
int pci_slots_check(void);
/* The emulation -s put at 0:slot.func, or NULL when that function was not given. */
const char *pci_slot_emul(int slot, int func);
/* Forget every parsed -s (tests). */
void pci_slots_clear(void);
/* When false, BARs start unassigned and decoding off (firmware assigns them:
 * the QEMU front end).  Default true: addresses allocated as ACRN does. */
void pci_set_bar_preassign(bool on);

int init_pci(struct vmctx *ctx);
void deinit_pci(struct vmctx *ctx);

struct pci_vdev *pci_get_vdev(int bus, int slot, int func);
struct pci_vdev_ops *pci_find_ops(const char *class_name);

/*
 * One configuration cycle to one device, validated first (offset < 256,
 * bytes in {1,2,4}, naturally aligned): bad ones are logged and ignored
 * (reads return all-ones).  Returns 0, or -EINVAL for a rejected access.
 */
int pci_cfg_rw(struct vmctx *ctx, int vcpu, struct pci_vdev *dev, int in, int offset,
	       int bytes, uint32_t *val);

/* Configuration mechanism #1 (ports 0xcf8/0xcfc) goes through inout.h. */

#endif /* _PCI_CORE_H_ */
