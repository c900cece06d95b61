/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Guest-physical MMIO dispatch (docs/design.rst §4).  Registered ranges live in one
 * array sorted by base; a lookup is a binary search behind a one-entry cache
 * of the last range hit (guest drivers hammer one BAR at a time).  The bus
 * refuses zero-length, wrapping, handler-less and overlapping ranges, and
 * mem_access() validates every access (size, one range) before a handler runs,
 * and is where values are masked to the access width, both ways: a handler is
 * never handed high junk, and a front end never sees any.
 *
 * Locking: a rwlock.  vCPU threads look up and run handlers under the read
 * lock, so once unregister_mem() returns no handler of that range is running
 * or will run (a device may free its state right after).  The price: a
 * handler must not register or unregister ranges itself; that is refused with
 * -EDEADLK instead of deadlocking.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dm_util.h"
#include "log_ratelimit.h"
#include "mem.h"

#define MEM_INITIAL_CAP 16
#define MEM_NO_CACHE ((size_t)-1)

static pthread_rwlock_t mem_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct mem_range *mem_ranges;
static size_t mem_count, mem_cap;
/* Index of the last range hit; written by concurrent readers, hence atomic. */
static size_t mem_cache = MEM_NO_CACHE;
/* Set while this thread runs a handler (it holds the read lock). */
static __thread bool mem_in_handler;

static uint64_t range_last(const struct mem_range *r)
{
	return r->base + r->size - 1;
}

static bool range_has(const struct mem_range *r, uint64_t addr)
{
	return addr >= r->base && addr <= range_last(r);
}

/* First index whose base is > addr (upper bound); caller holds the lock. */
static size_t upper_bound(uint64_t addr)
{
	size_t lo = 0, hi = mem_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mem_ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The range containing addr or NULL; caller holds the lock (either mode). */
static struct mem_range *find_range(uint64_t addr)
{
	size_t c = __atomic_load_n(&mem_cache, __ATOMIC_RELAXED);
	size_t i;

	if (c < mem_count && range_has(&mem_ranges[c], addr))
		return &mem_ranges[c];
	i = upper_bound(addr);
	if (i == 0 || !range_has(&mem_ranges[i - 1], addr))
		return NULL;
	__atomic_store_n(&mem_cache, i - 1, __ATOMIC_RELAXED);
	return &mem_ranges[i - 1];
}

static int mem_check_new(const struct mem_range *m)
{
	if (!m || !m->handler || m->size == 0)
		return -EINVAL;
	if (m->base + (m->size - 1) < m->base)
		return -EINVAL; /* wraps around the 64-bit address space */
	return 0;
}

static int mem_grow(void)
{
	size_t cap = mem_cap ? mem_cap * 2 : MEM_INITIAL_CAP;
	struct mem_range *n;

	if (mem_count < mem_cap)
		return 0;
	n = realloc(mem_ranges, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	mem_ranges = n;
	mem_cap = cap;
	return 0;
}

/* Insert a validated range; caller holds the write lock. */
static int mem_insert(const struct mem_range *m)
{
	size_t i = upper_bound(m->base);
	int err;

	/* Sorted and disjoint: only the neighbours can overlap. */
	if (i > 0 && range_last(&mem_ranges[i - 1]) >= m->base)
		return -EEXIST;
	if (i < mem_count && mem_ranges[i].base <= range_last(m))
		return -EEXIST;
	err = mem_grow();
	if (err)
		return err;
	memmove(&mem_ranges[i + 1], &mem_ranges[i], (mem_count - i) * sizeof(*m));
	mem_ranges[i] = *m;
	mem_count++;
	return 0;
}

static int mem_wrlock(void)
{
	int err;

	if (mem_in_handler)
		return -EDEADLK;
	err = pthread_rwlock_wrlock(&mem_lock);
	return err ? -err : 0;
}

static void mem_unlock(void)
{
	int err = pthread_rwlock_unlock(&mem_lock);

	if (err)
		pr_err("mem: rwlock unlock failed: %s\n", strerror(err));
}

int register_mem(struct mem_range *memp)
{
	int err = mem_check_new(memp);

	if (err) {
		pr_warn_rl("mem: refusing range %s: zero length, wraps or no handler\n",
		       memp && memp->name ? memp->name : "?");
		return err;
	}
	err = mem_wrlock();
	if (err)
		return err;
	err = mem_insert(memp);
	__atomic_store_n(&mem_cache, MEM_NO_CACHE, __ATOMIC_RELAXED);
	mem_unlock();
	if (err == -EEXIST)
		pr_warn_rl("mem: range %s [0x%lx, +0x%lx) overlaps a registered range\n",
		       memp->name ? memp->name : "?", (unsigned long)memp->base,
		       (unsigned long)memp->size);
	return err;
}

bool mem_range_busy(uint64_t base, uint64_t size, struct mem_range *hit)
{
	struct mem_range probe = {.base = base, .size = size};
	const struct mem_range *r = NULL;
	size_t i;
	int err;

	if (size == 0 || base + (size - 1) < base)
		return false;
	err = pthread_rwlock_rdlock(&mem_lock);
	if (err) {
		pr_err_rl("mem: rwlock rdlock failed: %s\n", strerror(err));
		return true; /* cannot tell: never claim it is free */
	}
	/* Sorted and disjoint: the candidates are the neighbours of base. */
	i = upper_bound(base);
	if (i > 0 && range_last(&mem_ranges[i - 1]) >= base)
		r = &mem_ranges[i - 1];
	else if (i < mem_count && mem_ranges[i].base <= range_last(&probe))
		r = &mem_ranges[i];
	if (r && hit)
		*hit = *r;
	mem_unlock();
	return r != NULL;
}

int unregister_mem(struct mem_range *memp)
{
	struct mem_range *r;
	int err;

	if (!memp)
		return -EINVAL;
	err = mem_wrlock();
	if (err)
		return err;
	r = find_range(memp->base);
	if (r && r->base == memp->base) {
		size_t i = (size_t)(r - mem_ranges);

		memmove(r, r + 1, (mem_count - i - 1) * sizeof(*r));
		mem_count--;
	} else {
		err = -ENOENT;
	}
	__atomic_store_n(&mem_cache, MEM_NO_CACHE, __ATOMIC_RELAXED);
	mem_unlock();
	return err;
}

void init_mem(void)
{
	deinit_mem();
}

void deinit_mem(void)
{
	if (mem_wrlock())
		return;
	free(mem_ranges);
	mem_ranges = NULL;
	mem_count = mem_cap = 0;
	__atomic_store_n(&mem_cache, MEM_NO_CACHE, __ATOMIC_RELAXED);
	mem_unlock();
}

static bool mem_size_ok(int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Classify addr..addr+size-1 under the read lock: the range, or why not. */
static int mem_lookup(uint64_t addr, int size, struct mem_range **out)
{
	uint64_t last = addr + (uint64_t)size - 1;
	struct mem_range *r;

	if (last < addr)
		return -EINVAL;
	r = find_range(addr);
	if (!r)
		return find_range(last) ? -EINVAL : -ESRCH;
	if (last > range_last(r))
		return -EINVAL;
	*out = r;
	return 0;
}

static int mem_call(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size,
		    uint64_t *val, const struct mem_range *r)
{
	int ret;

	mem_in_handler = true;
	ret = r->handler(ctx, vcpu, dir, addr, size, val, r->arg1, r->arg2);
	mem_in_handler = false;
	return ret;
}

int mem_access(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size, uint64_t *val)
{
	struct mem_range *r = NULL;
	int err;

	if (!val || (dir != MEM_F_READ && dir != MEM_F_WRITE) || !mem_size_ok(size)) {
		pr_warn_rl("mem: bad access dir %d size %d at 0x%lx ignored\n", dir, size,
			   (unsigned long)addr);
		if (val && dir == MEM_F_READ)
			*val = ~0ULL;
		return -EINVAL;
	}
	err = pthread_rwlock_rdlock(&mem_lock);
	if (err) {
		pr_err_rl("mem: rwlock rdlock failed: %s\n", strerror(err));
		return -err;
	}
	err = mem_lookup(addr, size, &r);
	if (!err) {
		/* The bus carries only the accessed bytes, both ways. */
		if (dir == MEM_F_WRITE)
			*val &= width_mask(size);
		err = mem_call(ctx, vcpu, dir, addr, size, val, r);
		mem_unlock();
		if (dir == MEM_F_READ)
			*val &= width_mask(size);
		return err;
	}
	mem_unlock();
	if (err == -EINVAL)
		pr_warn_rl("mem: %d-byte access at 0x%lx straddles a range end, ignored\n", size,
			   (unsigned long)addr);
	if (dir == MEM_F_READ)
		*val = width_mask(size);
	return err;
}

int mem_range_from(uint64_t addr, struct mem_range *out)
{
	size_t i;
	int err = pthread_rwlock_rdlock(&mem_lock);

	if (err)
		return -err;
	i = upper_bound(addr);
	if (i > 0 && range_has(&mem_ranges[i - 1], addr))
		i--;
	err = i < mem_count ? 0 : -ENOENT;
	if (!err)
		*out = mem_ranges[i];
	mem_unlock();
	return err;
}
