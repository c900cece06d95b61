/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The few QEMU utility functions libqtest and libqmp call that live in files
 * with far larger dependencies (error-report.c, osdep.c, qemu-sockets.c), and
 * the QType name table QEMU's QAPI generator would write: small equivalents
 * written for wdt-dm's build of QEMU's test clients.
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/sockets.h"

static const char *const qtype_names[QTYPE__MAX] = {
	[QTYPE_NONE] = "none",
	[QTYPE_QNULL] = "qnull",
	[QTYPE_QNUM] = "qnum",
	[QTYPE_QSTRING] = "qstring",
	[QTYPE_QDICT] = "qdict",
	[QTYPE_QLIST] = "qlist",
	[QTYPE_QBOOL] = "qbool",
};

const QEnumLookup QType_lookup = {.array = qtype_names, .size = QTYPE__MAX};

static void vreport(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int error_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}

void error_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void warn_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

ssize_t qemu_send_full(int s, const void *buf, size_t count)
{
	size_t done = 0;

	while (done < count) {
		ssize_t n = send(s, (const char *)buf + done, count - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

void qemu_set_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	if (f >= 0)
		fcntl(fd, F_SETFD, f | FD_CLOEXEC);
}

int socket_init(void)
{
	return 0;
}
