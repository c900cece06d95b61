/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unix-socket character devices as QEMU spells them (wdt-dm's --qtest and
 * --qmp): "unix:PATH" connects to a peer that listens (QEMU's -qtest
 * unix:PATH, -chardev socket,path=PATH), "unix:PATH,server=on" listens.  A
 * listener replaces only a stale socket (one nobody accepts on) and never any
 * other file, and removes its own socket when it closes.
 */
#ifndef _CHARDEV_H_
#define _CHARDEV_H_

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

struct chardev {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool server;
	bool wait;     /* server: wait for the first client before running */
	int lfd;       /* listening socket, -1 */
	dev_t dev;     /* the socket file we bound, for the unlink check */
	ino_t ino;
};

/* "unix:[path=]PATH[,server=on|off][,wait=on|off]" (also ",server", ",nowait").
 * 0 or -EINVAL. */
int chardev_parse(const char *spec, struct chardev *c);
/* Connects (client mode); the connected fd (close-on-exec) or -errno. */
int chardev_connect(const struct chardev *c);
/* Server mode: binds and listens (c->lfd).  0, -EADDRINUSE (a live socket),
 * -EEXIST (PATH is not a socket) or -errno. */
int chardev_listen(struct chardev *c);
/* Accepts one client on c->lfd: the fd or -errno (-EINTR when interrupted). */
int chardev_accept(const struct chardev *c);
/* Closes the listener and removes its socket file if it is still ours. */
void chardev_close(struct chardev *c);
/* Connects or accepts the one peer as the spec says (blocking; a signal ends
 * the wait with -EINTR).  fd or -errno. */
int chardev_open_peer(struct chardev *c);

#endif /* _CHARDEV_H_ */
