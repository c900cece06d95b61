/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The remote end of QEMU 7.2's x-pci-proxy-dev (docs/design.rst section 9),
 * one connection per PCI device: QEMU's multi-process proxy messages.  Config
 * cycles go to the PCI core, BAR accesses (absolute bus addresses) to the
 * normal MMIO / port I/O dispatch, DEVICE_RESET to the VM reset hooks,
 * SYNC_SYSMEM fds are closed, SET_IRQFD eventfds are kept for INTx (QEMU
 * connects them only through KVM irqfds: under TCG an asserted INTx never
 * reaches the guest).
 *
 * Everything QEMU sends is checked before use: header size, payload size per
 * command and the 192-byte limit, command number, fd count (extra fds are
 * closed), partial reads (the sockets are non-blocking and messages are
 * reassembled).  A message whose length cannot be trusted drops that device's
 * connection; any other bad request gets an all-ones RET.
 */
#define pr_prefix "qemu: "

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "inout.h"
#include "log.h"
#include "log_ratelimit.h"
#include "mem.h"
#include "pci_core.h"
#include "qemu_fe.h"
#include "vmctx.h"

/* -- wire protocol: QEMU's MPQemuCmd numbering is the ABI -------------------- */
enum mpqemu_cmd {
	MPQEMU_SYNC_SYSMEM = 0,
	MPQEMU_RET = 1,
	MPQEMU_PCI_CFGWRITE = 2,
	MPQEMU_PCI_CFGREAD = 3,
	MPQEMU_BAR_WRITE = 4,
	MPQEMU_BAR_READ = 5,
	MPQEMU_SET_IRQFD = 6,
	MPQEMU_DEVICE_RESET = 7,
};

/* The header, payload and fd limits are in qemu_fe.h (struct proxy_conn's buffers). */
#define MPQEMU_HDR_CMD 0
#define MPQEMU_HDR_LEN 8
#define MPQEMU_SYSMEM_SIZE 192  /* u64 gpa[8], u64 size[8], i64 offset[8] */
#define MPQEMU_CFG_SIZE 12      /* u32 addr, u32 val, i32 len */
#define MPQEMU_CFG_ADDR 0
#define MPQEMU_CFG_VAL 4
#define MPQEMU_CFG_LEN 8
#define MPQEMU_BAR_SIZE 24      /* u64 addr, u64 val, u32 size, u8 memory, pad */
#define MPQEMU_BAR_ADDR 0
#define MPQEMU_BAR_VAL 8
#define MPQEMU_BAR_LEN 16
#define MPQEMU_BAR_MEMORY 20
#define MPQEMU_RET_SIZE 8

#define PROXY_SPIN_NS 50000ULL /* keep reading this long after a reply */
#define PROXY_BATCH 64         /* messages served per wake-up, for fairness */

static uint64_t ones(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static struct proxy_conn *conn_of(struct qemu_fe *fe, struct pci_vdev *dev)
{
	for (int i = 0; i < fe->nconns; i++)
		if (fe->conns[i].dev == dev)
			return &fe->conns[i];
	return NULL;
}

/*
 * Asserting INTx writes the trigger eventfd.  QEMU wires it into the guest
 * only through a KVM irqfd; under TCG nothing reads it (see README).
 * Deassertion needs no message: the resample eventfd re-arms the line.
 */
void proxy_intx(struct qemu_fe *fe, struct pci_vdev *dev, int level)
{
	struct proxy_conn *c = conn_of(fe, dev);
	uint64_t one = 1;

	if (!c || !level)
		return;
	pthread_mutex_lock(&c->irq_lock);
	if (c->irqfd[0] >= 0 && write(c->irqfd[0], &one, sizeof(one)) != sizeof(one))
		pr_warn_rl("%s: INTx eventfd write: %s\n", dev->name, strerror(errno));
	pthread_mutex_unlock(&c->irq_lock);
}

static void conn_close_fds(struct proxy_conn *c)
{
	for (int i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	c->nfds = 0;
	c->fds_lost = false;
}

static void conn_set_irqfds(struct proxy_conn *c, const int fds[MPQEMU_IRQFD_COUNT])
{
	pthread_mutex_lock(&c->irq_lock);
	for (int i = 0; i < MPQEMU_IRQFD_COUNT; i++) {
		close_fd(&c->irqfd[i]);
		c->irqfd[i] = fds ? fds[i] : -1;
	}
	pthread_mutex_unlock(&c->irq_lock);
}

void conn_close(struct proxy_conn *c)
{
	close_fd(&c->sock);
	close_fd(&c->peer);
	conn_close_fds(c);
	conn_set_irqfds(c, NULL);
	c->have = 0;
}

static int conn_reply(struct proxy_conn *c, uint64_t val)
{
	uint8_t msg[MPQEMU_HDR_SIZE + MPQEMU_RET_SIZE] = {0};
	int32_t cmd = MPQEMU_RET;
	uint64_t size = MPQEMU_RET_SIZE;
	ssize_t n;

	memcpy(msg + MPQEMU_HDR_CMD, &cmd, sizeof(cmd));
	memcpy(msg + MPQEMU_HDR_LEN, &size, sizeof(size));
	memcpy(msg + MPQEMU_HDR_SIZE, &val, sizeof(val));
	do
		n = send(c->sock, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(msg))
		return 0;
	/* QEMU waits for exactly one reply; a short one cannot be repaired. */
	pr_err("%s: reply failed (%s), dropping the connection\n", c->dev->name,
	       n < 0 ? strerror(errno) : "short write");
	return -EIO;
}

static uint64_t proxy_cfg(struct qemu_fe *fe, struct proxy_conn *c, bool in, const uint8_t *p)
{
	uint32_t addr, val;
	int32_t len;

	memcpy(&addr, p + MPQEMU_CFG_ADDR, sizeof(addr));
	memcpy(&val, p + MPQEMU_CFG_VAL, sizeof(val));
	memcpy(&len, p + MPQEMU_CFG_LEN, sizeof(len));
	if (addr > PCI_REGMAX) {
		pr_warn_rl("%s: config offset 0x%x out of range\n", c->dev->name, addr);
		return in ? ones(4) : 0;
	}
	/* pci_cfg_rw validates len and alignment; a rejected read yields all-ones. */
	pci_cfg_rw(fe->ctx, 0, c->dev, in, (int)addr, len, &val);
	return in ? val : 0;
}

/*
 * Debug trace of guest BAR accesses with the host's wall clock, the clock of
 * event timestamps: the e2e test takes the time of the guest's last kick from
 * it (tests/e2e/run.sh, t_kick_reset).
 */
static void proxy_bar_trace(struct proxy_conn *c, bool in, uint64_t addr, uint32_t size,
			    uint64_t val)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pr_dbg("%s: BAR %s 0x%" PRIx64 "/%u = 0x%" PRIx64 " at %lld.%06ld\n", c->dev->name,
	       in ? "read" : "write", addr, size, val, (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

static uint64_t proxy_bar(struct qemu_fe *fe, struct proxy_conn *c, bool in, const uint8_t *p)
{
	uint64_t addr, val;
	uint32_t size;
	uint8_t memory;
	int rc;

	memcpy(&addr, p + MPQEMU_BAR_ADDR, sizeof(addr));
	memcpy(&val, p + MPQEMU_BAR_VAL, sizeof(val));
	memcpy(&size, p + MPQEMU_BAR_LEN, sizeof(size));
	memory = p[MPQEMU_BAR_MEMORY];
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		pr_warn_rl("%s: BAR access of %u bytes rejected\n", c->dev->name, size);
		return in ? ~0ULL : 0;
	}
	if (memory) {
		rc = mem_access(fe->ctx, 0, in ? MEM_F_READ : MEM_F_WRITE, addr, (int)size, &val);
	} else if (addr <= 0xffff && size <= 4) {
		uint32_t v = (uint32_t)val;

		rc = inout_access(fe->ctx, 0, in, (int)addr, (int)size, &v);
		val = v;
	} else {
		pr_warn_rl("%s: bad I/O access 0x%" PRIx64 "/%u\n", c->dev->name, addr, size);
		rc = -EINVAL;
	}
	if (in)
		val = rc ? ones(size) : val & ones(size);
	if (log_get_level() >= LOG_DEBUG)
		proxy_bar_trace(c, in, addr, size, val);
	return in ? val : 0;
}

/*
 * QEMU sends DEVICE_RESET to every proxy at each system reset (twice after a
 * QMP system_reset), always with the vCPUs stopped.  One VM reset (all reset
 * hooks: PCI headers, the watchdog, whose timeout flag survives, docs/device.rst
 * section 1.5) per system reset is enough: later DEVICE_RESETs before the
 * guest has touched any device would reset devices already in reset state.
 */
static void proxy_device_reset(struct qemu_fe *fe)
{
	if (!fe->reset_armed)
		return;
	fe->reset_armed = false;
	vm_reset(fe->ctx, fe->reset_reason ? fe->reset_reason : "qemu");
	fe->reset_reason = NULL;
}

/* Payload size each command must carry; -1 for commands QEMU never sends. */
static int cmd_payload_size(int32_t cmd)
{
	switch (cmd) {
	case MPQEMU_SYNC_SYSMEM: return MPQEMU_SYSMEM_SIZE;
	case MPQEMU_PCI_CFGWRITE:
	case MPQEMU_PCI_CFGREAD: return MPQEMU_CFG_SIZE;
	case MPQEMU_BAR_WRITE:
	case MPQEMU_BAR_READ: return MPQEMU_BAR_SIZE;
	case MPQEMU_SET_IRQFD:
	case MPQEMU_DEVICE_RESET: return 0;
	default: return -1;
	}
}

/* One complete message in c->buf.  Returns 0, or -EIO to drop the connection. */
static int conn_message(struct qemu_fe *fe, struct proxy_conn *c)
{
	const uint8_t *p = c->buf + MPQEMU_HDR_SIZE;
	int32_t cmd;
	uint64_t val = 0;

	memcpy(&cmd, c->buf + MPQEMU_HDR_CMD, sizeof(cmd));
	if (cmd == MPQEMU_SYNC_SYSMEM) {
		/* A watchdog does no DMA: guest RAM is not needed, never keep it. */
		conn_close_fds(c);
		return 0;
	}
	if (cmd == MPQEMU_SET_IRQFD) {
		if (c->size != 0 || c->nfds != MPQEMU_IRQFD_COUNT || c->fds_lost) {
			pr_warn_rl("%s: SET_IRQFD with %d fds, %" PRIu64 " bytes ignored\n",
				   c->dev->name, c->nfds, c->size);
			conn_close_fds(c);
			return 0;
		}
		conn_set_irqfds(c, c->fds);
		c->nfds = 0;
		return 0;
	}
	if (c->nfds || c->fds_lost) {
		pr_warn_rl("%s: command %d carried fds, closed\n", c->dev->name, cmd);
		conn_close_fds(c);
	}
	if (cmd == MPQEMU_RET) {
		pr_warn_rl("%s: unsolicited RET ignored\n", c->dev->name);
		return 0;
	}
	if (cmd_payload_size(cmd) != (int)c->size) {
		/*
		 * Unknown command or wrong size.  QEMU blocks on every request
		 * until a RET arrives, so answer with all-ones rather than hang it.
		 */
		pr_warn_rl("%s: bad message cmd %d size %" PRIu64 ", answered all-ones\n",
			   c->dev->name, cmd, c->size);
		return conn_reply(c, ~0ULL);
	}
	fe->reset_armed |= cmd != MPQEMU_DEVICE_RESET;
	switch (cmd) {
	case MPQEMU_PCI_CFGWRITE:
	case MPQEMU_PCI_CFGREAD:
		val = proxy_cfg(fe, c, cmd == MPQEMU_PCI_CFGREAD, p);
		break;
	case MPQEMU_BAR_WRITE:
	case MPQEMU_BAR_READ:
		val = proxy_bar(fe, c, cmd == MPQEMU_BAR_READ, p);
		break;
	case MPQEMU_DEVICE_RESET:
		proxy_device_reset(fe);
		break;
	}
	return conn_reply(c, val);
}

/* Adds the fds of an SCM_RIGHTS message; anything beyond the limit is closed. */
static void conn_take_fds(struct proxy_conn *c, struct msghdr *mh)
{
	struct cmsghdr *cm;

	if (mh->msg_flags & MSG_CTRUNC)
		c->fds_lost = true;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (c->nfds < MPQEMU_MAX_FDS) {
				c->fds[c->nfds++] = fd;
			} else {
				close(fd);
				c->fds_lost = true;
			}
		}
	}
}

/* Reads the header; fds ride on its first byte.  Bytes read or -errno/0. */
static ssize_t conn_recv_header(struct proxy_conn *c)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MPQEMU_MAX_FDS)];
	} cbuf;
	struct iovec iov = {c->buf + c->have, MPQEMU_HDR_SIZE - c->have};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n = recvmsg(c->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -errno;
	conn_take_fds(c, &mh);
	return n;
}

static int conn_parse_header(struct proxy_conn *c)
{
	memcpy(&c->size, c->buf + MPQEMU_HDR_LEN, sizeof(c->size));
	if (c->size <= MPQEMU_MAX_PAYLOAD)
		return 0;
	/* The stream cannot be resynchronised without a trustworthy length. */
	pr_err("%s: message of %" PRIu64 " bytes (limit %d), dropping the connection\n",
	       c->dev->name, c->size, MPQEMU_MAX_PAYLOAD);
	return -EPROTO;
}

/*
 * Reads and serves complete messages; -errno to drop the connection.
 *
 * After a reply the guest's next access usually follows within tens of
 * microseconds (unlock, unlock, reload; a driver polling a register), so the
 * socket is polled for PROXY_SPIN_NS more before going back to poll(2):
 * that saves a sleep and a cross-CPU wake-up per access (bench_proxy).  Only
 * with more than one CPU, and at most PROXY_BATCH messages per call, so
 * signals, QMP and other devices are never starved by a busy guest.
 */
int conn_readable(struct qemu_fe *fe, struct proxy_conn *c)
{
	uint64_t spin_until = 0;
	int served = 0;

	for (;;) {
		size_t want = c->have < MPQEMU_HDR_SIZE ? MPQEMU_HDR_SIZE - c->have
							: MPQEMU_HDR_SIZE + c->size - c->have;
		ssize_t n;
		int rc;

		if (c->have >= MPQEMU_HDR_SIZE && want == 0) {
			rc = conn_message(fe, c);
			conn_close_fds(c);
			c->have = 0;
			if (rc)
				return rc;
			if (++served == PROXY_BATCH)
				return 0;
			spin_until = fe->spin_ns ? mono_ns() + fe->spin_ns : 0;
			continue;
		}
		if (c->have < MPQEMU_HDR_SIZE)
			n = conn_recv_header(c);
		else if ((n = recv(c->sock, c->buf + c->have, want, MSG_DONTWAIT)) < 0)
			n = -errno;
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (c->have == 0 && spin_until && mono_ns() < spin_until)
				continue;
			return 0;
		}
		if (n <= 0)
			return n ? (int)n : -EPIPE;
		c->have += (size_t)n;
		if (c->have == MPQEMU_HDR_SIZE && (rc = conn_parse_header(c)))
			return rc;
	}
}

int conns_create(struct qemu_fe *fe)
{
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		for (int f = 0; f < PCI_MAX_FUNCS; f++) {
			struct pci_vdev *dev = pci_get_vdev(0, s, f);
			struct proxy_conn *c;
			int sv[2];

			if (!dev)
				continue;
			if (s == 0) {
				/* QEMU's own host bridge sits at 0:0.0. */
				if (f != 0 || strcmp(dev->dev_ops->class_name, "hostbridge"))
					pr_warn("%s: slot 0 is QEMU's; not exposed\n", dev->name);
				continue;
			}
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
				return -errno;
			c = &fe->conns[fe->nconns++];
			c->dev = dev;
			c->sock = sv[0];
			c->peer = sv[1];
			if (fcntl(c->sock, F_SETFL, O_NONBLOCK))
				return -errno;
		}
	}
	return 0;
}

int proxy_conns_init(struct qemu_fe *fe)
{
	fe->spin_ns = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? PROXY_SPIN_NS : 0;
	for (int i = 0; i < PROXY_MAX_DEVS; i++) {
		struct proxy_conn *c = &fe->conns[i];
		int rc;

		c->sock = c->peer = -1;
		c->irqfd[0] = c->irqfd[1] = -1;
		rc = pthread_mutex_init(&c->irq_lock, NULL);
		if (rc)
			return -rc;
	}
	return 0;
}

void proxy_conns_fini(struct qemu_fe *fe)
{
	for (int i = 0; i < PROXY_MAX_DEVS; i++) {
		conn_close(&fe->conns[i]);
		pthread_mutex_destroy(&fe->conns[i].irq_lock);
	}
}
