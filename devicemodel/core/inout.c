/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Port I/O dispatch (docs/design.rst §3-4): one slot per port in [0, 0xffff].
 * Fixed ports come from the inout_port_set linker set (INOUT_PORT), which
 * init_inout() registers; devices add ranges (I/O BARs) with register_inout().
 * inout_access() validates the width and the port range, then runs the
 * handler of the first port, as bhyve and ACRN do; unclaimed reads are
 * all-ones, as on a real bus with nobody answering.
 *
 * Locking: a rwlock protects the table, but handlers run after it is dropped
 * (on a copy of the slot), because the CONF1 handler reprograms I/O BARs and
 * so calls register_inout() itself.  Consequently unregister_inout() does not
 * wait for a handler already running: devices drop I/O ranges only with the
 * vCPUs stopped (deinit) or from a config cycle, which the PCI core serialises.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "dm_util.h"
#include "inout.h"
#include "log_ratelimit.h"

SET_DECLARE(inout_port_set, struct inout_port);

struct inout_slot {
	inout_func_t handler;
	void *arg;
	const char *name;
	int flags;
	int base; /* first port of the registration this slot belongs to */
};

static pthread_rwlock_t inout_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct inout_slot inout_slots[MAX_IOPORTS];

static int inout_check(const struct inout_port *iop)
{
	if (!iop || !iop->handler || iop->port < 0 || iop->size <= 0)
		return -EINVAL;
	if (iop->port > MAX_IOPORTS - iop->size)
		return -EINVAL;
	if (!(iop->flags & IOPORT_F_INOUT) || (iop->flags & ~IOPORT_F_INOUT))
		return -EINVAL;
	return 0;
}

static void inout_unlock(void)
{
	int err = pthread_rwlock_unlock(&inout_lock);

	if (err)
		pr_err("inout: rwlock unlock failed: %s\n", strerror(err));
}

static int inout_wrlock(void)
{
	int err = pthread_rwlock_wrlock(&inout_lock);

	if (err)
		pr_err("inout: rwlock wrlock failed: %s\n", strerror(err));
	return -err;
}

/* Caller holds the write lock and has validated iop. */
static int inout_claim(const struct inout_port *iop)
{
	int p;

	for (p = iop->port; p < iop->port + iop->size; p++)
		if (inout_slots[p].handler)
			return -EEXIST;
	for (p = iop->port; p < iop->port + iop->size; p++)
		inout_slots[p] = (struct inout_slot){iop->handler, iop->arg, iop->name, iop->flags,
						     iop->port};
	return 0;
}

int register_inout(struct inout_port *iop)
{
	int err = inout_check(iop);

	if (err) {
		pr_warn_rl("inout: refusing bad port range %s\n",
			   iop && iop->name ? iop->name : "?");
		return err;
	}
	err = inout_wrlock();
	if (err)
		return err;
	err = inout_claim(iop);
	inout_unlock();
	if (err)
		pr_warn_rl("inout: %s: ports 0x%x+%d already taken\n", iop->name ? iop->name : "?",
		       iop->port, iop->size);
	return err;
}

/* Removes exactly the registration made with the same port, size and handler. */
int unregister_inout(struct inout_port *iop)
{
	int err = inout_check(iop);
	int p;

	if (err)
		return err;
	err = inout_wrlock();
	if (err)
		return err;
	for (p = iop->port; p < iop->port + iop->size; p++)
		if (inout_slots[p].handler != iop->handler || inout_slots[p].base != iop->port)
			err = -ENOENT;
	if (!err)
		memset(&inout_slots[iop->port], 0, (size_t)iop->size * sizeof(inout_slots[0]));
	inout_unlock();
	return err;
}

int init_inout(void)
{
	struct inout_port **pp;
	int err;

	deinit_inout();
	SET_FOREACH(pp, inout_port_set)
	{
		err = register_inout(*pp);
		if (err) {
			deinit_inout();
			return err;
		}
	}
	return 0;
}

void deinit_inout(void)
{
	if (inout_wrlock())
		return;
	memset(inout_slots, 0, sizeof(inout_slots));
	inout_unlock();
}

static bool inout_width_ok(int port, int bytes)
{
	if (bytes != 1 && bytes != 2 && bytes != 4)
		return false;
	return port >= 0 && port <= MAX_IOPORTS - bytes;
}

/* Copy of the slot serving port for direction in, or false when unclaimed. */
static bool inout_lookup(int port, int in, struct inout_slot *out)
{
	int err = pthread_rwlock_rdlock(&inout_lock);
	bool found;

	if (err) {
		pr_err_rl("inout: rwlock rdlock failed: %s\n", strerror(err));
		return false;
	}
	*out = inout_slots[port];
	inout_unlock();
	found = out->handler && (out->flags & (in ? IOPORT_F_IN : IOPORT_F_OUT));
	return found;
}

int inout_access(struct vmctx *ctx, int vcpu, int in, int port, int bytes, uint32_t *val)
{
	uint32_t ones = (uint32_t)width_mask(bytes);
	struct inout_slot s;
	int ret;

	if (!val)
		return -EINVAL;
	if (!inout_width_ok(port, bytes)) {
		pr_warn_rl("inout: bad %s of %d bytes at port 0x%x ignored\n", in ? "in" : "out",
			   bytes, port);
		if (in)
			*val = 0xffffffffU;
		return -EINVAL;
	}
	if (!inout_lookup(port, in, &s)) {
		if (in)
			*val = ones;
		return -ESRCH;
	}
	if (!in)
		*val &= ones;
	ret = s.handler(ctx, vcpu, in, port, bytes, val, s.arg);
	if (in)
		*val &= ones; /* the bus carries only the accessed bytes */
	return ret;
}
