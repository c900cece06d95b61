/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The PCI core (docs/design.rst §3-4): parses ACRN's -s option, creates the devices
 * found in the pci_vdev_ops_set linker set on bus 0, and owns their type-0
 * configuration header.  Every configuration cycle is validated before a
 * device sees it; the standard header follows a write-mask table (read-only
 * fields need no code); BAR sizing, BAR programming and the command
 * register's decode enables map and unmap the BARs in the MMIO and port I/O
 * tables; INTx is tracked here and delivered through the front end.  Config
 * mechanism #1 (ports 0xcf8/0xcfc) is registered through INOUT_PORT.  A VM
 * reset restores every header from the snapshot taken after vdev_init.
 *
 * A BAR that cannot be mapped (it overlaps another range) stays wanted: after
 * every BAR or command-register change, every wanted BAR that is not mapped
 * is tried again, so once the range that blocked it moves away it decodes,
 * as on real PCI and in QEMU.
 *
 * Locks: dev->cfg_lock serialises config cycles of one device (the device's
 * own cfgread/cfgwrite run under it).  pci_map_lock (taken after cfg_lock)
 * guards every BAR's mapping state (registered, range, sizing) on all
 * devices, since a change on one device may map a BAR of another.
 * dev->lintr.lock is a leaf lock for the INTx state, so a device may assert
 * INTx from a timer while holding its own lock; that path never takes
 * cfg_lock.  The command byte carrying INTxDIS and the status byte carrying
 * INTxSTATE are therefore accessed atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_reset.h"
#include "dm_util.h"
#include "inout.h"
#include "log_ratelimit.h"
#include "pci_core.h"
#include "vmctx.h"

SET_DECLARE(pci_vdev_ops_set, struct pci_vdev_ops);

#define PCI_HDR_SIZE 0x40
#define PCI_BAR_END PCIR_BAR(PCI_BARMAX + 1)
#define PCI_MEMBAR_MIN 16
#define PCI_IOBAR_MIN 4
#define PCI_HOSTBRIDGE "hostbridge"
#define PCI_HDRTYPE_MFDEV 0x80 /* header type bit 7: more functions in this slot */

#define CONF1_ADDR_PORT 0xcf8
#define CONF1_DATA_PORT 0xcfc
#define CONF1_ENABLE 0x80000000U
#define CONF1_ADDR_MASK 0x80fffffcU
#define CONF1_BUS(a) (((a) >> 16) & 0xff)
#define CONF1_SLOT(a) (((a) >> 11) & 0x1f)
#define CONF1_FUNC(a) (((a) >> 8) & 0x7)
#define CONF1_REG(a) ((a)&0xfc)

#define PCI_CMD_WRITABLE                                                                     \
	(PCIM_CMD_PORTEN | PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTEREN | PCIM_CMD_PERRESPEN |      \
	 PCIM_CMD_SERRESPEN | PCIM_CMD_INTxDIS)
#define PCI_CMD_DECODE (PCIM_CMD_PORTEN | PCIM_CMD_MEMEN)

/*
 * Guest-writable bits of each byte of the type-0 header.  Bytes not listed
 * are read-only (IDs, class, header type, status, subsystem, ROM, pin...).
 * BARs (0x10-0x27) are 0 here because they go through pci_bar_write().
 */
static const uint8_t pci_hdr_wmask[PCI_HDR_SIZE] = {
	[PCIR_COMMAND] = PCI_CMD_WRITABLE & 0xff,
	[PCIR_COMMAND + 1] = PCI_CMD_WRITABLE >> 8,
	[PCIR_CACHELNSZ] = 0xff,
	[PCIR_LATTIMER] = 0xff,
	[PCIR_INTLINE] = 0xff,
};

struct pci_slot_spec {
	char *emul;
	char *opts;
};

/* Every function -s accepts may be a device with its own VM reset hook. */
_Static_assert(VM_MAX_RESET_HOOKS >= PCI_MAX_SLOTS * PCI_MAX_FUNCS + 2,
	       "the reset-hook table must hold a hook per PCI function plus the cores'");

static struct pci_slot_spec pci_specs[PCI_MAX_SLOTS][PCI_MAX_FUNCS];
static struct pci_vdev *pci_devs[PCI_MAX_SLOTS][PCI_MAX_FUNCS];
static bool pci_preassign = true;
static uint64_t pci_next_mem32 = PCI_EMUL_MEMBASE32;
static uint64_t pci_next_io = PCI_EMUL_IOBASE;
static struct vmctx *pci_ctx;
static bool pci_hook_registered;
static uint32_t conf1_latch;
static pthread_mutex_t pci_map_lock = PTHREAD_MUTEX_INITIALIZER;

/* -- small helpers ---------------------------------------------------------- */

static uint8_t cfg_load8(struct pci_vdev *dev, int off)
{
	return __atomic_load_n(&dev->cfgdata[off], __ATOMIC_RELAXED);
}

static void cfg_store8(struct pci_vdev *dev, int off, uint8_t v)
{
	__atomic_store_n(&dev->cfgdata[off], v, __ATOMIC_RELAXED);
}

static uint32_t cfg_load(struct pci_vdev *dev, int off, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint32_t)cfg_load8(dev, off + i) << (8 * i);
	return v;
}

static void cfg_store(struct pci_vdev *dev, int off, int bytes, uint32_t v)
{
	for (int i = 0; i < bytes; i++)
		cfg_store8(dev, off + i, (uint8_t)(v >> (8 * i)));
}

static uint16_t pci_cmd(struct pci_vdev *dev)
{
	return (uint16_t)cfg_load(dev, PCIR_COMMAND, 2);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* -- -s parsing ---------------------------------------------------------- */

/* Parses a decimal number in [0, max] spanning exactly [s, end). */
static int parse_dec(const char *s, const char *end, int max, int *out)
{
	long v = 0;

	if (s == end)
		return -EINVAL;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = (int)v;
	return 0;
}

static int slot_error(const char *opt, const char *what)
{
	fprintf(stderr, "wdt-dm: -s %s: %s\n", opt, what);
	return -EINVAL;
}

/* "<bus>:" in front of "<slot>:<func>" (ACRN's three-part form): bus 0 only. */
static int skip_bus(const char *opt, const char **p, const char *end)
{
	const char *c1 = memchr(*p, ':', (size_t)(end - *p));
	const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
	int bus;

	if (!c2)
		return 0;
	if (parse_dec(*p, c1, 255, &bus) || bus != 0)
		return slot_error(opt, "only bus 0 is supported");
	*p = c1 + 1;
	return 0;
}

/* Splits "[<bus>:]<slot>[:<func>]" (the text before the first comma). */
static int parse_slot_func(const char *opt, const char *end, int *slot, int *func)
{
	const char *p = opt, *colon;
	int err = skip_bus(opt, &p, end);

	if (err)
		return err;
	colon = memchr(p, ':', (size_t)(end - p));
	*func = 0;
	err = parse_dec(p, colon ? colon : end, PCI_MAX_SLOTS - 1, slot);
	if (err)
		return slot_error(opt, err == -ERANGE ? "slot must be 0..31" :
							"slot is not a decimal number");
	if (!colon)
		return 0;
	err = parse_dec(colon + 1, end, PCI_MAX_FUNCS - 1, func);
	if (err)
		return slot_error(opt, err == -ERANGE ? "function must be 0..7" :
							"function is not a decimal number");
	return 0;
}

static int spec_store(const char *opt, int slot, int func, const char *emul, size_t len,
		      const char *opts)
{
	struct pci_slot_spec *sp = &pci_specs[slot][func];
	char *e = strndup(emul, len);
	char *o = opts ? strdup(opts) : NULL;

	if (!e || (opts && !o)) {
		free(e);
		free(o);
		return slot_error(opt, "out of memory");
	}
	if (!pci_find_ops(e)) {
		free(e);
		free(o);
		return slot_error(opt, "unknown emulation");
	}
	sp->emul = e;
	sp->opts = o;
	return 0;
}

/*
 * The -s grammar (ACRN's, bus 0 only):
 *
 *     -s [<bus>:]<slot>[:<func>],<emul>[,<opts>]
 *
 *   <bus>   0 (ACRN's three-part form; only with :<func>)
 *   <slot>  decimal 0..31            <func>  decimal 0..7 (default 0)
 *   <emul>  a class_name of the pci_vdev_ops_set linker set, e.g. wdt-i6300esb
 *   <opts>  everything after the second comma, handed verbatim to vdev_init
 *
 * Examples: "5,wdt-i6300esb", "6:1,wdt-i6300esb,action=poweroff", "0:7:0,hostbridge".
 * Errors (one line on stderr, -EINVAL): missing or unknown emulation, slot or
 * function out of range or not a number, a bus other than 0, slot/function
 * given twice.
 */
int pci_parse_slot(const char *opt)
{
	const char *comma, *emul, *opts;
	int slot = 0, func = 0, err;
	size_t len;

	if (!opt)
		return -EINVAL;
	comma = strchr(opt, ',');
	if (!comma)
		return slot_error(opt, "missing emulation (expected <slot>[:<func>],<emul>)");
	err = parse_slot_func(opt, comma, &slot, &func);
	if (err)
		return err;
	emul = comma + 1;
	opts = strchr(emul, ',');
	len = opts ? (size_t)(opts - emul) : strlen(emul);
	if (len == 0)
		return slot_error(opt, "missing emulation (expected <slot>[:<func>],<emul>)");
	if (pci_specs[slot][func].emul)
		return slot_error(opt, "slot/function already in use");
	return spec_store(opt, slot, func, emul, len, opts ? opts + 1 : NULL);
}

int pci_slots_check(void)
{
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		if (pci_specs[s][0].emul || s == 0) /* 0:0.0 defaults to the host bridge */
			continue;
		for (int f = 1; f < PCI_MAX_FUNCS; f++) {
			if (!pci_specs[s][f].emul)
				continue;
			fprintf(stderr, "wdt-dm: -s %d:%d,%s: slot %d has nothing at function 0, "
					"where guests look first; add -s %d:0,...\n",
				s, f, pci_specs[s][f].emul, s, s);
			return -EINVAL;
		}
	}
	return 0;
}

const char *pci_slot_emul(int slot, int func)
{
	if (slot < 0 || slot >= PCI_MAX_SLOTS || func < 0 || func >= PCI_MAX_FUNCS)
		return NULL;
	return pci_specs[slot][func].emul;
}

void pci_slots_clear(void)
{
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		for (int f = 0; f < PCI_MAX_FUNCS; f++) {
			free(pci_specs[s][f].emul);
			free(pci_specs[s][f].opts);
			pci_specs[s][f] = (struct pci_slot_spec){NULL, NULL};
		}
	}
}

void pci_set_bar_preassign(bool on)
{
	pci_preassign = on;
}

struct pci_vdev_ops *pci_find_ops(const char *class_name)
{
	struct pci_vdev_ops **pp;

	if (!class_name)
		return NULL;
	SET_FOREACH(pp, pci_vdev_ops_set)
	{
		if ((*pp)->class_name && strcmp((*pp)->class_name, class_name) == 0)
			return *pp;
	}
	return NULL;
}

struct pci_vdev *pci_get_vdev(int bus, int slot, int func)
{
	if (bus != 0 || slot < 0 || slot >= PCI_MAX_SLOTS || func < 0 || func >= PCI_MAX_FUNCS)
		return NULL;
	return pci_devs[slot][func];
}

/* -- BARs ------------------------------------------------------------------ */

static uint32_t bar_type_bits(const struct pcibar *b)
{
	return b->type == PCIBAR_IO ? PCIM_BAR_IO_SPACE : PCIM_BAR_MEM_32;
}

static uint32_t bar_addr_mask(const struct pcibar *b)
{
	uint32_t low = b->type == PCIBAR_IO ? 0x3U : 0xfU;

	return (uint32_t)~(b->size - 1) & ~low;
}

static uint64_t bar_base(struct pcibar *b)
{
	return __atomic_load_n(&b->addr, __ATOMIC_RELAXED);
}

static int pci_bar_mem_handler(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size,
			       uint64_t *val, void *arg1, long arg2)
{
	struct pci_vdev *dev = arg1;
	int idx = (int)arg2;
	uint64_t off = addr - bar_base(&dev->bar[idx]);

	if (dir == MEM_F_READ)
		*val = dev->dev_ops->vdev_barread ?
			       dev->dev_ops->vdev_barread(ctx, vcpu, dev, idx, off, size) :
			       ~0ULL;
	else if (dev->dev_ops->vdev_barwrite)
		dev->dev_ops->vdev_barwrite(ctx, vcpu, dev, idx, off, size, *val);
	return 0;
}

static int pci_bar_io_handler(struct vmctx *ctx, int vcpu, int in, int port, int bytes,
			      uint32_t *eax, void *arg)
{
	struct pcibar *b = arg;
	struct pci_vdev *dev = b->range.arg1;
	int idx = (int)b->range.arg2;
	uint64_t off = (uint64_t)port - bar_base(b);

	if (off >= b->size || off + (uint64_t)bytes > b->size) {
		pr_warn_rl("pci %s: %d-byte port access at 0x%x outside BAR%d\n", dev->name, bytes,
			   port, idx);
		if (in)
			*eax = (uint32_t)width_mask(bytes);
		return 0;
	}
	if (in)
		*eax = dev->dev_ops->vdev_barread ?
			       (uint32_t)dev->dev_ops->vdev_barread(ctx, vcpu, dev, idx, off,
								    bytes) :
			       (uint32_t)width_mask(bytes);
	else if (dev->dev_ops->vdev_barwrite)
		dev->dev_ops->vdev_barwrite(ctx, vcpu, dev, idx, off, bytes, *eax);
	return 0;
}

static struct inout_port bar_io_port(struct pci_vdev *dev, struct pcibar *b)
{
	return (struct inout_port){dev->name, (int)b->range.base, (int)b->size, IOPORT_F_INOUT,
				   pci_bar_io_handler, b};
}

static int pci_bar_map(struct pci_vdev *dev, struct pcibar *b)
{
	struct inout_port iop;

	b->range.name = dev->name;
	b->range.flags = MEM_F_RW | MEM_F_BAR;
	b->range.handler = pci_bar_mem_handler;
	b->range.base = bar_base(b);
	b->range.size = b->size;
	if (b->type != PCIBAR_IO)
		return register_mem(&b->range);
	if (b->range.base + b->size > PCI_EMUL_IOLIMIT)
		return -EINVAL;
	iop = bar_io_port(dev, b);
	return register_inout(&iop);
}

static void pci_bar_unmap(struct pci_vdev *dev, struct pcibar *b)
{
	struct inout_port iop;
	int err;

	if (!b->registered)
		return;
	if (b->type == PCIBAR_IO) {
		iop = bar_io_port(dev, b);
		err = unregister_inout(&iop);
	} else {
		err = unregister_mem(&b->range);
	}
	if (err)
		pr_err("pci %s: cannot unmap BAR at 0x%lx: %d\n", dev->name,
		       (unsigned long)b->range.base, err);
	b->registered = false;
}

static bool pci_bar_decodes(struct pci_vdev *dev, struct pcibar *b)
{
	uint16_t cmd = pci_cmd(dev);

	if (b->type == PCIBAR_NONE || b->sizing || bar_base(b) == 0)
		return false;
	return (cmd & (b->type == PCIBAR_IO ? PCIM_CMD_PORTEN : PCIM_CMD_MEMEN)) != 0;
}

/*
 * Make the tables match the BAR's address and the decode enables (map lock
 * held).  retry: a BAR refused before is tried again, quietly while the
 * range that blocked it is still there.
 */
static void pci_bar_sync(struct pci_vdev *dev, int idx, bool retry)
{
	struct pcibar *b = &dev->bar[idx];
	bool want = pci_bar_decodes(dev, b);
	int err;

	if (b->registered && (!want || b->range.base != bar_base(b)))
		pci_bar_unmap(dev, b);
	if (!want || b->registered)
		return;
	if (retry && b->type != PCIBAR_IO && mem_range_busy(bar_base(b), b->size, NULL))
		return;
	err = pci_bar_map(dev, b);
	if (err) {
		if (!retry)
			pr_warn_rl("pci %s: BAR%d at 0x%lx not mapped (%d): overlap or out of "
				   "range; retried at the next BAR or command change\n",
				   dev->name, idx, (unsigned long)bar_base(b), err);
		return;
	}
	if (retry)
		pr_info("pci %s: BAR%d at 0x%lx mapped now that nothing overlaps it\n", dev->name,
			idx, (unsigned long)bar_base(b));
	b->registered = true;
}

/* Every wanted BAR of every device that is not mapped yet (map lock held). */
static void pci_bars_retry(void)
{
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		for (int f = 0; f < PCI_MAX_FUNCS; f++) {
			struct pci_vdev *dev = pci_devs[s][f];

			for (int i = 0; dev && i <= PCI_BARMAX; i++)
				if (!dev->bar[i].registered)
					pci_bar_sync(dev, i, true);
		}
	}
}

/* After a decode-enable change of dev: its BARs follow, then the refused ones retry. */
static void pci_bars_sync(struct pci_vdev *dev)
{
	dm_mutex_lock(&pci_map_lock);
	for (int i = 0; i <= PCI_BARMAX; i++)
		pci_bar_sync(dev, i, false);
	pci_bars_retry();
	dm_mutex_unlock(&pci_map_lock);
}

/* Moves BAR idx to the address held in its config register; refused BARs retry. */
static void pci_bar_load(struct pci_vdev *dev, int idx, bool sizing)
{
	struct pcibar *b = &dev->bar[idx];
	uint32_t reg = cfg_load(dev, PCIR_BAR(idx), 4);

	dm_mutex_lock(&pci_map_lock);
	if (b->registered)
		pci_bar_unmap(dev, b);
	b->sizing = sizing;
	__atomic_store_n(&b->addr, (uint64_t)(reg & bar_addr_mask(b)), __ATOMIC_RELAXED);
	pci_bar_sync(dev, idx, false);
	pci_bars_retry();
	dm_mutex_unlock(&pci_map_lock);
}

/*
 * BAR sizing, the PCI rule (PCI Local Bus Spec 3.0, 6.2.5.1): "software
 * saves the original value of the Base Address register, writes 0FFFFFFFFh
 * to the register, then reads it back.  Size calculation can be done from the
 * 32-bit value read by first clearing encoding information bits (bit 0 for
 * I/O, bits 0-3 for memory), inverting all 32 bits, then incrementing by 1."
 * So the address bits below log2(size) are hardwired to zero and the type
 * bits are read-only: storing (value & ~(size-1)) | type is all it takes.
 * A write of all-ones address bits is a sizing probe, never an address, and
 * unmaps the BAR until a real address is written.  Bytes of a sub-dword
 * write are merged into the current value first.
 */
static void pci_bar_write(struct pci_vdev *dev, int offset, int bytes, uint32_t val)
{
	int idx = (offset - PCIR_BARS) / 4;
	int shift = 8 * ((offset - PCIR_BARS) & 3);
	struct pcibar *b = &dev->bar[idx];
	uint32_t cur, mask, bits;

	if (b->type != PCIBAR_IO && b->type != PCIBAR_MEM32)
		return; /* unimplemented BAR: hardwired to zero */
	cur = cfg_load(dev, PCIR_BAR(idx), 4);
	bits = (uint32_t)width_mask(bytes) << shift;
	cur = (cur & ~bits) | ((val << shift) & bits);
	mask = bar_addr_mask(b);
	cfg_store(dev, PCIR_BAR(idx), 4, (cur & mask) | bar_type_bits(b));
	pci_bar_load(dev, idx, (cur & mask) == mask);
}

static int pci_bar_alloc_addr(enum pcibar_type type, uint64_t size, uint64_t *addr)
{
	uint64_t *next = type == PCIBAR_IO ? &pci_next_io : &pci_next_mem32;
	uint64_t limit = type == PCIBAR_IO ? PCI_EMUL_IOLIMIT : PCI_EMUL_MEMLIMIT32;
	uint64_t base = (*next + size - 1) & ~(size - 1);

	if (base + size > limit || base + size < base)
		return -ENOSPC;
	*addr = base;
	*next = base + size;
	return 0;
}

int pci_emul_alloc_bar(struct pci_vdev *pdi, int idx, enum pcibar_type type, uint64_t size)
{
	uint64_t min = type == PCIBAR_IO ? PCI_IOBAR_MIN : PCI_MEMBAR_MIN;
	uint64_t addr = 0;
	int err;

	if (!pdi || idx < 0 || idx > PCI_BARMAX || !is_pow2(size))
		return -EINVAL;
	if (type != PCIBAR_IO && type != PCIBAR_MEM32) {
		pr_err("pci %s: BAR%d: only 32-bit memory and I/O BARs are supported\n",
		       pdi->name, idx);
		return -EINVAL;
	}
	if (size < min)
		size = min;
	if (type == PCIBAR_IO && size > 0x100)
		return -EINVAL; /* PCI 3.0: an I/O BAR claims at most 256 bytes */
	if (type == PCIBAR_MEM32 && size > 0x10000000)
		return -EINVAL;
	if (pci_preassign) {
		err = pci_bar_alloc_addr(type, size, &addr);
		if (err)
			return err;
	}
	pdi->bar[idx].type = type;
	pdi->bar[idx].size = size;
	pdi->bar[idx].addr = addr;
	pci_set_cfgdata32(pdi, PCIR_BAR(idx), (uint32_t)addr | bar_type_bits(&pdi->bar[idx]));
	return 0;
}

/* -- INTx ------------------------------------------------------------------ */

static void pci_intx_deliver(struct pci_vdev *dev, int level)
{
	struct vmctx *ctx = dev->vmctx;

	if (ctx && ctx->fe && ctx->fe->intx)
		ctx->fe->intx(ctx, dev, level);
}

static bool pci_intx_masked(struct pci_vdev *dev)
{
	return (pci_cmd(dev) & PCIM_CMD_INTxDIS) != 0;
}

static void pci_status_intx(struct pci_vdev *dev, bool on)
{
	if (on)
		__atomic_or_fetch(&dev->cfgdata[PCIR_STATUS], PCIM_STATUS_INTxSTATE,
				  __ATOMIC_RELAXED);
	else
		__atomic_and_fetch(&dev->cfgdata[PCIR_STATUS], (uint8_t)~PCIM_STATUS_INTxSTATE,
				   __ATOMIC_RELAXED);
}

void pci_lintr_request(struct pci_vdev *pi)
{
	if (!pi)
		return;
	dm_mutex_lock(&pi->lintr.lock);
	pi->lintr.pin = 1; /* INTA# */
	pi->lintr.state = IDLE;
	pci_set_cfgdata8(pi, PCIR_INTPIN, 1);
	/* A legacy-style line; firmware (QEMU's) rewrites it anyway. */
	pci_set_cfgdata8(pi, PCIR_INTLINE, (uint8_t)pci_intx_gsi(pi));
	dm_mutex_unlock(&pi->lintr.lock);
}

int pci_intx_gsi(const struct pci_vdev *pi)
{
	return 16 + (pi->slot & 7);
}

void pci_lintr_release(struct pci_vdev *pi)
{
	if (!pi)
		return;
	pci_lintr_deassert(pi);
	dm_mutex_lock(&pi->lintr.lock);
	pi->lintr.pin = 0;
	pci_set_cfgdata8(pi, PCIR_INTPIN, 0);
	dm_mutex_unlock(&pi->lintr.lock);
}

void pci_lintr_assert(struct pci_vdev *dev)
{
	if (!dev)
		return;
	dm_mutex_lock(&dev->lintr.lock);
	if (dev->lintr.pin == 0) {
		pr_warn_rl("pci %s: INTx asserted without pci_lintr_request\n", dev->name);
	} else if (dev->lintr.state != ASSERTED) {
		dev->lintr.state = ASSERTED;
		pci_status_intx(dev, true);
		if (!pci_intx_masked(dev))
			pci_intx_deliver(dev, 1);
	}
	dm_mutex_unlock(&dev->lintr.lock);
}

void pci_lintr_deassert(struct pci_vdev *dev)
{
	if (!dev)
		return;
	dm_mutex_lock(&dev->lintr.lock);
	if (dev->lintr.state == ASSERTED) {
		dev->lintr.state = IDLE;
		pci_status_intx(dev, false);
		if (!pci_intx_masked(dev))
			pci_intx_deliver(dev, 0);
	}
	dm_mutex_unlock(&dev->lintr.lock);
}

/*
 * INTxDIS flipped with the line asserted: the pin follows the mask.  Called
 * with lintr.lock held and the new command already stored, so an assert or
 * deassert from another thread sees either the old mask and state or the new.
 */
static void pci_intx_mask_changed(struct pci_vdev *dev, uint16_t old, uint16_t cur)
{
	if (((old ^ cur) & PCIM_CMD_INTxDIS) && dev->lintr.state == ASSERTED)
		pci_intx_deliver(dev, (cur & PCIM_CMD_INTxDIS) ? 0 : 1);
}

/* -- configuration cycles ---------------------------------------------------- */

/*
 * Standard semantics of a header write outside the BARs: the mask decides.
 * The bytes are stored under lintr.lock (INTxDIS gates delivery); BARs are
 * re-synced after it is dropped, since that may wait for BAR handlers.
 */
static void pci_hdr_write(struct pci_vdev *dev, int offset, int bytes, uint32_t val)
{
	uint16_t old = pci_cmd(dev), cur;

	dm_mutex_lock(&dev->lintr.lock);
	for (int i = 0; i < bytes; i++) {
		uint8_t m = pci_hdr_wmask[offset + i];
		uint8_t v = (uint8_t)(val >> (8 * i));

		if (m)
			cfg_store8(dev, offset + i,
				   (uint8_t)((cfg_load8(dev, offset + i) & ~m) | (v & m)));
	}
	cur = pci_cmd(dev);
	pci_intx_mask_changed(dev, old, cur);
	dm_mutex_unlock(&dev->lintr.lock);
	if ((old ^ cur) & PCI_CMD_DECODE)
		pci_bars_sync(dev);
}

static void pci_std_write(struct pci_vdev *dev, int offset, int bytes, uint32_t val)
{
	if (offset >= PCIR_BARS && offset < PCI_BAR_END)
		pci_bar_write(dev, offset, bytes, val);
	else if (offset < PCI_HDR_SIZE)
		pci_hdr_write(dev, offset, bytes, val);
	else
		cfg_store(dev, offset, bytes, val); /* device-specific area: plain storage */
}

static bool pci_cfg_access_ok(struct pci_vdev *dev, int offset, int bytes)
{
	if (!dev || (bytes != 1 && bytes != 2 && bytes != 4))
		return false;
	return offset >= 0 && offset <= PCI_REGMAX + 1 - bytes && (offset % bytes) == 0;
}

int pci_cfg_rw(struct vmctx *ctx, int vcpu, struct pci_vdev *dev, int in, int offset,
	       int bytes, uint32_t *val)
{
	const struct pci_vdev_ops *ops;

	if (!val)
		return -EINVAL;
	if (!pci_cfg_access_ok(dev, offset, bytes)) {
		pr_warn_rl("pci: bad config %s of %d bytes at 0x%x ignored\n",
			   in ? "read" : "write", bytes, offset);
		if (in)
			*val = 0xffffffffU;
		return -EINVAL;
	}
	ops = dev->dev_ops;
	dm_mutex_lock(&dev->cfg_lock);
	if (in) {
		if (!ops->vdev_cfgread || ops->vdev_cfgread(ctx, vcpu, dev, offset, bytes, val))
			*val = cfg_load(dev, offset, bytes);
		*val &= (uint32_t)width_mask(bytes);
	} else {
		uint32_t v = *val & (uint32_t)width_mask(bytes);

		if (!ops->vdev_cfgwrite || ops->vdev_cfgwrite(ctx, vcpu, dev, offset, bytes, v))
			pci_std_write(dev, offset, bytes, v);
	}
	dm_mutex_unlock(&dev->cfg_lock);
	return 0;
}

/* -- configuration mechanism #1 -------------------------------------------- */

static int pci_conf1_addr(struct vmctx *ctx, int vcpu, int in, int port, int bytes,
			  uint32_t *eax, void *arg)
{
	(void)ctx, (void)vcpu, (void)port, (void)arg;
	if (bytes != 4) {
		/* Only dword accesses reach the address latch on a real host bridge. */
		if (in)
			*eax = (uint32_t)width_mask(bytes);
		return 0;
	}
	if (in)
		*eax = __atomic_load_n(&conf1_latch, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&conf1_latch, *eax & CONF1_ADDR_MASK, __ATOMIC_RELAXED);
	return 0;
}

static int pci_conf1_data(struct vmctx *ctx, int vcpu, int in, int port, int bytes,
			  uint32_t *eax, void *arg)
{
	uint32_t a = __atomic_load_n(&conf1_latch, __ATOMIC_RELAXED);
	struct pci_vdev *dev = NULL;

	(void)arg;
	if ((a & CONF1_ENABLE) && CONF1_BUS(a) == 0)
		dev = pci_get_vdev(0, (int)CONF1_SLOT(a), (int)CONF1_FUNC(a));
	if (!dev) {
		if (in)
			*eax = (uint32_t)width_mask(bytes);
		return 0;
	}
	pci_cfg_rw(ctx, vcpu, dev, in, (int)CONF1_REG(a) + (port - CONF1_DATA_PORT), bytes, eax);
	return 0;
}

INOUT_PORT(pci_conf1_addr, CONF1_ADDR_PORT, IOPORT_F_INOUT, pci_conf1_addr);
INOUT_PORT(pci_conf1_data, CONF1_DATA_PORT, IOPORT_F_INOUT, pci_conf1_data);
INOUT_PORT(pci_conf1_data1, CONF1_DATA_PORT + 1, IOPORT_F_INOUT, pci_conf1_data);
INOUT_PORT(pci_conf1_data2, CONF1_DATA_PORT + 2, IOPORT_F_INOUT, pci_conf1_data);
INOUT_PORT(pci_conf1_data3, CONF1_DATA_PORT + 3, IOPORT_F_INOUT, pci_conf1_data);

/* -- device lifecycle -------------------------------------------------------- */

static int pci_dev_locks_init(struct pci_vdev *dev)
{
	int err = pthread_mutex_init(&dev->cfg_lock, NULL);

	if (err)
		return -err;
	err = pthread_mutex_init(&dev->lintr.lock, NULL);
	if (err) {
		pthread_mutex_destroy(&dev->cfg_lock);
		return -err;
	}
	return 0;
}

static void pci_dev_locks_fini(struct pci_vdev *dev)
{
	pthread_mutex_destroy(&dev->lintr.lock);
	pthread_mutex_destroy(&dev->cfg_lock);
}

static struct pci_vdev *pci_dev_alloc(struct vmctx *ctx, struct pci_vdev_ops *ops, int slot,
				      int func, const char *opts)
{
	struct pci_vdev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	if (opts) {
		dev->opts = strdup(opts);
		if (!dev->opts)
			goto err_free;
	}
	if (pci_dev_locks_init(dev))
		goto err_opts;
	dev->dev_ops = ops;
	dev->vmctx = ctx;
	dev->slot = (uint8_t)slot;
	dev->func = (uint8_t)func;
	snprintf(dev->name, sizeof(dev->name), "%s@0:%d.%d", ops->class_name, slot, func);
	for (int i = 0; i < PCI_BARMAX + 2; i++) {
		dev->bar[i].range.arg1 = dev;
		dev->bar[i].range.arg2 = i;
	}
	return dev;

err_opts:
	free(dev->opts);
err_free:
	free(dev);
	return NULL;
}

static void pci_dev_free(struct pci_vdev *dev)
{
	pci_dev_locks_fini(dev);
	free(dev->opts);
	free(dev);
}

/* After vdev_init: preassigned BARs decode at once (ACRN); then snapshot. */
static void pci_dev_finish(struct pci_vdev *dev)
{
	uint16_t cmd = pci_cmd(dev);

	for (int i = 0; i <= PCI_BARMAX && pci_preassign; i++) {
		if (dev->bar[i].type == PCIBAR_IO)
			cmd |= PCIM_CMD_PORTEN;
		else if (dev->bar[i].type == PCIBAR_MEM32)
			cmd |= PCIM_CMD_MEMEN;
	}
	cfg_store(dev, PCIR_COMMAND, 2, cmd);
	pci_bars_sync(dev);
	memcpy(dev->cfg_reset, dev->cfgdata, sizeof(dev->cfg_reset));
}

static void pci_dev_unmap_bars(struct pci_vdev *dev)
{
	dm_mutex_lock(&pci_map_lock);
	for (int i = 0; i <= PCI_BARMAX; i++)
		pci_bar_unmap(dev, &dev->bar[i]);
	dm_mutex_unlock(&pci_map_lock);
}

static int pci_dev_create(struct vmctx *ctx, int slot, int func, const char *emul,
			  const char *opts)
{
	struct pci_vdev_ops *ops = pci_find_ops(emul);
	struct pci_vdev *dev;
	int err;

	if (!ops || !ops->vdev_init)
		return -EINVAL;
	dev = pci_dev_alloc(ctx, ops, slot, func, opts);
	if (!dev)
		return -ENOMEM;
	err = ops->vdev_init(ctx, dev, dev->opts);
	if (err) {
		/* -EINVAL: bad options, the device has said which in one line */
		if (err != -EINVAL)
			pr_err("pci: %s: init failed (%d)\n", dev->name, err);
		goto err_unmap;
	}
	pci_dev_finish(dev);
	pci_devs[slot][func] = dev;
	return 0;

err_unmap:
	pci_dev_unmap_bars(dev);
	pci_dev_free(dev);
	return err < 0 ? err : -EIO;
}

static void pci_dev_destroy(struct vmctx *ctx, int slot, int func)
{
	struct pci_vdev *dev = pci_devs[slot][func];

	if (!dev)
		return;
	/* Unmap first: once that returns no BAR handler runs, so deinit may free. */
	pci_dev_unmap_bars(dev);
	if (dev->dev_ops->vdev_deinit)
		dev->dev_ops->vdev_deinit(ctx, dev, dev->opts);
	pci_devs[slot][func] = NULL;
	pci_dev_free(dev);
}

/* -- VM reset ---------------------------------------------------------------- */

/* Standard header back to its post-init snapshot; BARs follow it. */
static void pci_dev_reset(struct pci_vdev *dev)
{
	uint16_t old;

	dm_mutex_lock(&dev->cfg_lock);
	dm_mutex_lock(&dev->lintr.lock);
	old = pci_cmd(dev);
	for (int off = 0; off < PCI_HDR_SIZE; off++)
		cfg_store8(dev, off, dev->cfg_reset[off]);
	pci_status_intx(dev, dev->lintr.state == ASSERTED);
	pci_intx_mask_changed(dev, old, pci_cmd(dev));
	dm_mutex_unlock(&dev->lintr.lock);
	for (int i = 0; i <= PCI_BARMAX; i++)
		pci_bar_load(dev, i, false);
	dm_mutex_unlock(&dev->cfg_lock);
}

static void pci_reset_hook(void *arg)
{
	(void)arg;
	for (int s = 0; s < PCI_MAX_SLOTS; s++)
		for (int f = 0; f < PCI_MAX_FUNCS; f++)
			if (pci_devs[s][f])
				pci_dev_reset(pci_devs[s][f]);
}

/* -- init / deinit ----------------------------------------------------------- */

static const char *pci_emul_at(int slot, int func)
{
	if (slot == 0 && func == 0 && !pci_specs[0][0].emul)
		return PCI_HOSTBRIDGE;
	return pci_specs[slot][func].emul;
}

static void pci_devs_destroy(struct vmctx *ctx)
{
	for (int s = PCI_MAX_SLOTS - 1; s >= 0; s--)
		for (int f = PCI_MAX_FUNCS - 1; f >= 0; f--)
			pci_dev_destroy(ctx, s, f);
}

/* Guests scan functions 1-7 only when function 0 says it is multi-function. */
static void pci_mark_multifunction(void)
{
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_vdev *f0 = pci_devs[s][0];
		bool more = false;

		for (int f = 1; f < PCI_MAX_FUNCS; f++)
			more |= pci_devs[s][f] != NULL;
		if (!f0 || !more)
			continue;
		f0->cfgdata[PCIR_HDRTYPE] |= PCI_HDRTYPE_MFDEV;
		f0->cfg_reset[PCIR_HDRTYPE] |= PCI_HDRTYPE_MFDEV;
	}
}

static int pci_devs_create(struct vmctx *ctx)
{
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		for (int f = 0; f < PCI_MAX_FUNCS; f++) {
			const char *emul = pci_emul_at(s, f);
			int err;

			if (!emul)
				continue;
			err = pci_dev_create(ctx, s, f, emul, pci_specs[s][f].opts);
			if (err)
				return err;
		}
	}
	pci_mark_multifunction();
	return 0;
}

int init_pci(struct vmctx *ctx)
{
	int err;

	if (pci_ctx)
		return -EBUSY;
	pci_next_mem32 = PCI_EMUL_MEMBASE32;
	pci_next_io = PCI_EMUL_IOBASE;
	__atomic_store_n(&conf1_latch, 0, __ATOMIC_RELAXED);
	pci_ctx = ctx;
	err = pci_devs_create(ctx);
	if (err)
		goto err_devs;
	err = dm_reset_hook_register(ctx, pci_reset_hook, NULL);
	if (err)
		goto err_devs;
	pci_hook_registered = true;
	return 0;

err_devs:
	pci_devs_destroy(ctx);
	pci_ctx = NULL;
	return err;
}

void deinit_pci(struct vmctx *ctx)
{
	if (pci_hook_registered)
		dm_reset_hook_unregister(pci_ctx, pci_reset_hook, NULL);
	pci_hook_registered = false;
	pci_devs_destroy(ctx ? ctx : pci_ctx);
	pci_ctx = NULL;
}
