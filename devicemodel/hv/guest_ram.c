/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Guest RAM and the guest-physical address space of the qtest front end
 * (guest_ram.h).  RAM is one anonymous MAP_NORESERVE mapping, so `-m 4G`
 * costs nothing until a test touches it; low RAM stops at the PCI hole and
 * the remainder sits above 4 GiB, as on QEMU's pc/q35 machines.  Accesses
 * are split at every boundary between RAM, device ranges and unclaimed
 * space; device pieces use the widest naturally aligned access that fits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "elfcore.h"
#include "guest_ram.h"
#include "log.h"
#include "mem.h"

static struct {
	uint8_t *base;
	uint64_t size, low, high; /* high: bytes mapped at GUEST_RAM_HIGH */
} ram;

static int size_suffix(char c, unsigned int *shift)
{
	switch (c) {
	case 'b': case 'B':
		*shift = 0;
		return 0;
	case 'k': case 'K':
		*shift = 10;
		return 0;
	case 'm': case 'M':
		*shift = 20;
		return 0;
	case 'g': case 'G':
		*shift = 30;
		return 0;
	case 't': case 'T':
		*shift = 40;
		return 0;
	default:
		return -EINVAL;
	}
}

int guest_ram_parse_size(const char *s, uint64_t *bytes)
{
	unsigned int shift = 20;
	unsigned long long v;
	char *end;

	if (!s)
		return -EINVAL;
	if (strncmp(s, "size=", 5) == 0)
		s += 5;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end && *end != ',' && (size_suffix(*end++, &shift) || (*end && *end != ',')))
		return -EINVAL;
	if (v == 0 || v > (GUEST_RAM_MAX >> shift))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

int guest_ram_init(uint64_t size)
{
	void *p;

	guest_ram_fini();
	if (size == 0)
		return 0;
	if (size > GUEST_RAM_MAX)
		return -EINVAL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	ram.base = p;
	ram.size = size;
	ram.low = size < GUEST_RAM_HOLE ? size : GUEST_RAM_HOLE;
	ram.high = size - ram.low;
	return 0;
}

void guest_ram_fini(void)
{
	if (ram.base && munmap(ram.base, ram.size))
		pr_err("guest RAM: munmap: %s\n", strerror(errno));
	memset(&ram, 0, sizeof(ram));
}

uint64_t guest_ram_size(void)
{
	return ram.size;
}

/* Host address of RAM at gpa, or NULL; *run: contiguous RAM bytes from gpa. */
static uint8_t *ram_host(uint64_t gpa, uint64_t *run)
{
	if (gpa < ram.low) {
		*run = ram.low - gpa;
		return ram.base + gpa;
	}
	if (gpa >= GUEST_RAM_HIGH && gpa - GUEST_RAM_HIGH < ram.high) {
		*run = ram.high - (gpa - GUEST_RAM_HIGH);
		return ram.base + ram.low + (gpa - GUEST_RAM_HIGH);
	}
	*run = 0;
	return NULL;
}

bool guest_ram_at(uint64_t gpa, uint64_t *run)
{
	return ram_host(gpa, run) != NULL;
}

int guest_ram_ranges(struct elfcore_range *r, int max)
{
	int n = 0;

	if (ram.low && n < max)
		r[n++] = (struct elfcore_range){0, ram.base, ram.low};
	if (ram.high && n < max)
		r[n++] = (struct elfcore_range){GUEST_RAM_HIGH, ram.base + ram.low, ram.high};
	return n;
}

/* Bytes from gpa (not RAM) to the next RAM start; 0: none above gpa. */
static uint64_t ram_gap(uint64_t gpa)
{
	return gpa < GUEST_RAM_HIGH && ram.high ? GUEST_RAM_HIGH - gpa : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* One naturally aligned device access of at most n bytes; returns its width. */
static uint64_t device_piece(struct vmctx *ctx, uint64_t gpa, uint8_t *buf, uint64_t n,
			     bool write)
{
	uint64_t w = 8, val = 0;

	while (w > n || (gpa & (w - 1)))
		w >>= 1;
	if (write)
		memcpy(&val, buf, w);
	mem_access(ctx, 0, write ? MEM_F_WRITE : MEM_F_READ, gpa, (int)w, &val);
	if (!write)
		memcpy(buf, &val, w);
	return w;
}

/* Handles the piece at gpa (len > 0, no wrap); returns the bytes it took. */
static uint64_t mem_piece(struct vmctx *ctx, uint64_t gpa, uint8_t *buf, uint64_t len,
			  bool write)
{
	struct mem_range r;
	bool have = mem_range_from(gpa, &r) == 0;
	bool in_range = have && r.base <= gpa;
	uint64_t run, n;
	uint8_t *host = ram_host(gpa, &run);

	if (in_range && (!host || !(r.flags & MEM_F_BAR)))
		return device_piece(ctx, gpa, buf, min_u64(len, r.size - (gpa - r.base)), write);
	if (host) {
		n = min_u64(len, run);
		if (in_range) /* a BAR shadowed by RAM: stop where it ends */
			n = min_u64(n, r.size - (gpa - r.base));
		else if (have)
			n = min_u64(n, r.base - gpa);
		if (write)
			memcpy(host, buf, n);
		else
			memcpy(buf, host, n);
		return n;
	}
	n = len;
	if (have)
		n = min_u64(n, r.base - gpa);
	if (ram_gap(gpa))
		n = min_u64(n, ram_gap(gpa));
	if (!write)
		memset(buf, 0xff, n);
	return n;
}

void guest_mem_rw(struct vmctx *ctx, uint64_t gpa, void *buf, uint64_t len, bool write)
{
	uint8_t *p = buf;

	if (len && gpa + (len - 1) < gpa) {
		/* Past the top of the address space nothing answers. */
		uint64_t head = 0 - gpa;

		if (!write)
			memset(p + head, 0xff, len - head);
		len = head;
	}
	while (len) {
		uint64_t n = mem_piece(ctx, gpa, p, len, write);

		gpa += n;
		p += n;
		len -= n;
	}
}

/* Unclaimed bytes from gpa (writes there vanish); 0 when RAM or a device is at gpa. */
static uint64_t unclaimed_run(uint64_t gpa, uint64_t len)
{
	struct mem_range r;
	uint64_t run, n = len;

	if (ram_host(gpa, &run))
		return 0;
	if (mem_range_from(gpa, &r) == 0) {
		if (r.base <= gpa)
			return 0;
		n = min_u64(n, r.base - gpa);
	}
	return ram_gap(gpa) ? min_u64(n, ram_gap(gpa)) : n;
}

void guest_mem_fill(struct vmctx *ctx, uint64_t gpa, uint8_t c, uint64_t len)
{
	uint8_t chunk[4096];

	memset(chunk, c, sizeof(chunk));
	while (len) {
		uint64_t n = unclaimed_run(gpa, len);

		if (!n) {
			n = min_u64(len, sizeof(chunk));
			guest_mem_rw(ctx, gpa, chunk, n, true);
		}
		gpa += n;
		len -= n;
		if (gpa < n) /* wrapped: the rest lies past the top */
			break;
	}
}
