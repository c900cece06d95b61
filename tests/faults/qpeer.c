/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * A misbehaving qtest peer for tests/faults/run.sh: connects to wdt-dm's
 * --qtest unix:PATH socket (waiting up to 10 s for it to appear), sends
 * stdin, then either reads every reply to stdout (default) or, with
 * --no-read, sends only what the socket takes without blocking and closes
 * without reading anything: the peer that vanishes with replies still owed.
 * Usage: qpeer PATH [--no-read]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int connect_retry(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timespec ms10 = {0, 10 * 1000 * 1000};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int i = 0; i < 1000; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		nanosleep(&ms10, NULL);
	}
	return -1;
}

static int copy(int from, int to)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			done += w;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: qpeer PATH [--no-read]\n");
		return 2;
	}
	fd = connect_retry(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "qpeer: cannot connect to %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (argc > 2 && strcmp(argv[2], "--no-read") == 0) {
		/* EAGAIN ends the copy: never block on a DM that waits for us to read. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		copy(STDIN_FILENO, fd);
		close(fd);
		return 0;
	}
	if (copy(STDIN_FILENO, fd) != 0)
		fprintf(stderr, "qpeer: send: %s\n", strerror(errno));
	shutdown(fd, SHUT_WR);
	copy(fd, STDOUT_FILENO);
	close(fd);
	return 0;
}
