/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The VM as the core sees it: identity (UUID), vCPU threads and guest-time
 * facts (for guest-time sources), the front end's hooks (interrupt delivery,
 * the VM's property set by the front end), reset hooks and the
 * queue of actions requested through the reboot API (dm_reset.h).  One VM per
 * process.  Devices never look inside; front ends and core/ do.
 */
#ifndef _VMCTX_H_
#define _VMCTX_H_

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "dm_reset.h"

#define VM_MAX_VCPUS 256
/*
 * One reset hook per PCI function -s accepts (32 slots x 8 functions, each
 * may be a device with its own hook), plus the PCI core's, the platform
 * devices' and a few to spare.
 */
#define VM_MAX_RESET_HOOKS (32 * 8 + 8)
#define VM_ACTION_QUEUE 16
#define VM_REQ_STR 32

struct pci_vdev;

/* A requested action, as queued by dm_watchdog_expired(). */
struct vm_action_req {
	enum dm_wdt_action action;
	char device[VM_REQ_STR];
	char id[VM_REQ_STR];
	uint64_t vm_ns; /* VM time of the request */
	struct dm_wdt_dump dump; /* dump.dir "": no post-mortem dump first */
};

/* Front-end hooks; any may be NULL. */
struct vm_fe_ops {
	/* INTx level change of a PCI device (1 asserted, 0 deasserted). */
	void (*intx)(struct vmctx *ctx, struct pci_vdev *dev, int level);
	/*
	 * Platform device dev (its plat_dev_ops name) drives its interrupt line
	 * (the device's own numbering) to level: 1 asserted, 0 deasserted.
	 */
	void (*plat_irq)(struct vmctx *ctx, const char *dev, int line, int level);
	/* Called (any thread) after an action was queued: wake the front end. */
	void (*action_pending)(struct vmctx *ctx);
};

struct vm_reset_hook {
	void (*fn)(void *arg);
	void *arg;
};

struct vm_status_src {
	dm_status_fn fn;
	void *arg;
};

struct vmctx {
	char uuid[37];
	int vcpu_num;
	/* host thread of each vCPU, for guest-time sources (0: unknown) */
	pid_t vcpu_pid;
	pid_t vcpu_tid[VM_MAX_VCPUS];
	const struct vm_fe_ops *fe;
	void *fe_data;
	/*
	 * What the front end knows of its vCPUs, set in its prepare() for the
	 * devices (dm_vcpu.h): the guest-time source (guest_clock.h name) a device
	 * uses unless told otherwise (NULL: "virtual" on a virtual VM clock, else
	 * "monotonic"), and whether the vCPU threads are known never to gain guest
	 * time (/proc field 43), i.e. they are no KVM vCPUs.
	 */
	const char *guest_time_src;
	bool vcpus_no_guest_time;
	/* The front end writes post-mortem dumps of the guest's memory (dump=). */
	bool can_dump;

	/* private to core/vm.c */
	pthread_mutex_t lock;
	struct vm_reset_hook hooks[VM_MAX_RESET_HOOKS];
	int nhooks;
	struct vm_action_req queue[VM_ACTION_QUEUE];
	int qhead, qlen;
	unsigned long dropped_requests;
	unsigned long resets;
	struct vm_status_src status[VM_MAX_RESET_HOOKS];
	int nstatus;
	bool action_set;              /* QMP watchdog-set-action is in force */
	enum dm_wdt_action action;    /* ... and its action */
	bool powered_off;             /* SHUTDOWN was emitted */
};

/* uuid: NULL to generate one; else parsed with libuuid.  0 or -EINVAL. */
int vm_create(struct vmctx *ctx, const char *uuid, int vcpus);
void vm_destroy(struct vmctx *ctx);

/* Pop the oldest requested action; false when none. */
bool vm_action_take(struct vmctx *ctx, struct vm_action_req *out);
/* Run every reset hook (the VM is powered on again), then emit RESET {"guest": false, "reason": reason}. */
void vm_reset(struct vmctx *ctx, const char *reason);
/*
 * The VM's lifecycle verbs; each emits its event only when it changes the
 * state, so a verb called twice (two watchdogs, QMP and an action) emits once.
 * vm_pause: the VM clock stops (so does every device timer); STOP
 * {"reason": reason}.  vm_resume: the clock runs again; RESUME {} (reason is
 * logged).  vm_poweroff: SHUTDOWN {"guest": false, "reason": reason} the first
 * time; ending the run is the front end's.  Each returns whether it acted.
 */
bool vm_pause(struct vmctx *ctx, const char *reason);
bool vm_resume(struct vmctx *ctx, const char *reason);
bool vm_poweroff(struct vmctx *ctx, const char *reason);
/* QEMU's watchdog-set-action: every watchdog device's next expiry does a
 * instead of its configured action. */
void vm_set_watchdog_action(struct vmctx *ctx, enum dm_wdt_action a);
/*
 * shutdown and inject-nmi where no guest runs to receive them (qtest, sim):
 * the POWERDOWN or NMI event {"reason": "watchdog"} is the request, reported.
 */
void vm_guest_request_event(enum dm_wdt_action a);
/* The devices' state as a JSON array (malloc'd into *json).  0 or -errno. */
int vm_device_status_json(struct vmctx *ctx, char **json);

/* -- post-mortem dumps (core/dump.c) -- */
struct elfcore_range;
/*
 * Creates r->dump.dir/<uuid>-<UTC time>-<device>.core with O_CREAT|O_EXCL,
 * mode 0600 (never an existing file); its name goes to path (size n).  The
 * fd (O_CLOEXEC) or -errno.
 */
int vm_dump_open(struct vmctx *ctx, const struct vm_action_req *r, char *path, unsigned long n);
/* The DUMP event: path, size and duration, or the error (err < 0), told by why
 * (at most VM_DUMP_WHY_MAX bytes are kept; NULL: strerror, "timed out"). */
#define VM_DUMP_WHY_MAX 160
void vm_dump_event(const struct vm_action_req *r, const char *path, uint64_t size,
		   uint64_t ns, int err, const char *why);
/*
 * The whole dump for front ends that own the guest's RAM: a new file, the
 * ranges as an ELF core for the VM's vCPUs, bounded by r->dump.timeout_s,
 * then the DUMP event.  A failed dump leaves no partial file behind.
 * 0 or -errno.
 */
int vm_dump_ranges(struct vmctx *ctx, const struct vm_action_req *r,
		   const struct elfcore_range *ranges, int n);
/* Tests: the clock of dump durations and deadlines (NULL: CLOCK_MONOTONIC) and
 * the UTC time of file names (NULL: time()). */
void vm_dump_set_clock(uint64_t (*now_ns)(void *arg), void *arg, time_t (*wall)(void));

#endif /* _VMCTX_H_ */
