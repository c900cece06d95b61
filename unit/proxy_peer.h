/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * QEMU's end of the x-pci-proxy-dev socket, as the tests play it: sending a
 * message (the 16-byte header, then a payload that may disagree with the size
 * the header declares) with fds attached as SCM_RIGHTS, and counting a
 * process's open fds to check that wdt-dm keeps none it was sent.  Wire format:
 * docs/design.rst section 9.  Header-only (static inline) because its
 * users are built three ways: the unit runner (unit/test_qemu.c), the fuzz
 * harness (unit/fuzz/fuzz_qemu_proxy.c) and the stand-alone fake QEMU of the
 * e2e test (tests/e2e/fake_qemu.c, compiled by tests/e2e/run.sh).
 */
#ifndef _PROXY_PEER_H_
#define _PROXY_PEER_H_

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#define PROXY_PEER_HDR_SIZE 16 /* int32 cmd, 4 bytes padding, uint64 payload size */
#define PROXY_PEER_HDR_LEN 8   /* offset of the payload size */
#define PROXY_PEER_MAX_PAYLOAD 256
#define PROXY_PEER_MAX_FDS 16

/*
 * Sends len bytes of buf on s with nfds of fds attached (SCM_RIGHTS), never
 * raising SIGPIPE.  What sendmsg() returns; -1 (EINVAL) for too many fds.
 */
static inline ssize_t proxy_peer_sendmsg(int s, const void *buf, size_t len, const int *fds,
					 int nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * PROXY_PEER_MAX_FDS)];
	} cb;
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds < 0 || nfds > PROXY_PEER_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds) {
		struct cmsghdr *cm;

		memset(&cb, 0, sizeof(cb)); /* CMSG_SPACE padding goes to the kernel too */
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL);
}

/*
 * Sends one message in one write: a header with cmd and size, then plen bytes
 * of payload (plen need not equal size: hostile messages lie), with nfds fds.
 * What sendmsg() returns (PROXY_PEER_HDR_SIZE + plen when all went out).
 */
static inline ssize_t proxy_peer_send(int s, int32_t cmd, uint64_t size, const void *payload,
				      size_t plen, const int *fds, int nfds)
{
	uint8_t buf[PROXY_PEER_HDR_SIZE + PROXY_PEER_MAX_PAYLOAD] = {0};

	if (plen > PROXY_PEER_MAX_PAYLOAD) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, &cmd, sizeof(cmd));
	memcpy(buf + PROXY_PEER_HDR_LEN, &size, sizeof(size));
	if (plen)
		memcpy(buf + PROXY_PEER_HDR_SIZE, payload, plen);
	return proxy_peer_sendmsg(s, buf, PROXY_PEER_HDR_SIZE + plen, fds, nfds);
}

/* Open fds of process pid (0: this process, not counting the one read here); -1 on error. */
static inline int proxy_peer_count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return pid ? n : n - 1; /* our own listing holds the directory's fd */
}

#endif /* _PROXY_PEER_H_ */
