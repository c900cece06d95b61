/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unix-socket character devices with QEMU's option spelling (chardev.h), for
 * the qtest stream and the QMP monitor.  The listener checks what PATH is
 * before it binds: nothing, or a socket that refuses connections (left by a
 * run that died), may be replaced; a live socket or any other kind of file
 * is an error, so a mistyped path never destroys data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chardev.h"

static int parse_onoff(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_flag(const char *opt, size_t len, struct chardev *c)
{
	char buf[16];
	const char *eq;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, opt, len);
	buf[len] = '\0';
	if (!strcmp(buf, "server"))
		return c->server = true, 0;
	if (!strcmp(buf, "nowait"))
		return c->wait = false, 0;
	eq = strchr(buf, '=');
	if (eq && (size_t)(eq - buf) == 6 && !strncmp(buf, "server", 6))
		return parse_onoff(eq + 1, &c->server);
	if (eq && (size_t)(eq - buf) == 4 && !strncmp(buf, "wait", 4))
		return parse_onoff(eq + 1, &c->wait);
	return -EINVAL;
}

int chardev_parse(const char *spec, struct chardev *c)
{
	const char *p, *comma;
	size_t len;

	memset(c, 0, sizeof(*c));
	c->wait = true;
	c->lfd = -1;
	if (!spec || strncmp(spec, "unix:", 5))
		return -EINVAL;
	p = spec + 5;
	if (strncmp(p, "path=", 5) == 0) /* QEMU's implied key, spelt out */
		p += 5;
	comma = strchr(p, ',');
	len = comma ? (size_t)(comma - p) : strlen(p);
	if (len == 0 || len >= sizeof(c->path))
		return -EINVAL;
	memcpy(c->path, p, len);
	while (comma) {
		p = comma + 1;
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (parse_flag(p, len, c))
			return -EINVAL;
	}
	return 0;
}

static int unix_socket(const struct chardev *c, struct sockaddr_un *sa)
{
	int fd;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, c->path, sizeof(c->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

int chardev_connect(const struct chardev *c)
{
	struct sockaddr_un sa;
	int fd = unix_socket(c, &sa), rc;

	if (fd < 0)
		return fd;
	do {
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	} while (rc && errno == EINTR);
	if (rc) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* PATH may be bound: absent, or a socket nobody listens on (then removed). */
static int clear_stale(const struct chardev *c)
{
	struct stat st;
	int fd;

	if (lstat(c->path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = chardev_connect(c);
	if (fd >= 0) {
		close(fd);
		return -EADDRINUSE;
	}
	if (fd != -ECONNREFUSED)
		return fd;
	return unlink(c->path) && errno != ENOENT ? -errno : 0;
}

int chardev_listen(struct chardev *c)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc = clear_stale(c);

	if (rc)
		return rc;
	fd = unix_socket(c, &sa);
	if (fd < 0)
		return fd;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (lstat(c->path, &st) == 0) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
	}
	c->lfd = fd;
	return 0;
}

int chardev_accept(const struct chardev *c)
{
	int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void chardev_close(struct chardev *c)
{
	struct stat st;

	if (c->lfd < 0)
		return;
	close(c->lfd);
	c->lfd = -1;
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
}

int chardev_open_peer(struct chardev *c)
{
	int fd;

	if (!c->server)
		return chardev_connect(c);
	fd = chardev_listen(c);
	if (fd)
		return fd;
	do {
		fd = chardev_accept(c);
	} while (fd == -ECONNABORTED);
	chardev_close(c);
	return fd;
}
