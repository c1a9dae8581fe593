/* SPDX-License-Identifier: MIT */
/*
 * A small static program the container tests copy into an image, to make
 * the system calls busybox cannot: ctr-probe socket FAMILY TYPE,
 * ctr-probe tiocsti TEXT, ctr-probe tioclinux, ctr-probe pty, ctr-probe
 * sid. Each prints one line per attempt: "NAME ok" or "NAME ERRNO-NAME".
 * ctr-probe mmap-hold DIR N MB: N files of MB MiB in DIR, each written,
 * mapped, closed and deleted (held by its mapping alone), then a pause of
 * 5 s and "survived".
 */
#define _GNU_SOURCE /* posix_openpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case ENOSYS:
		return "ENOSYS";
	case ENOTTY:
		return "ENOTTY";
	case ENXIO:
		return "ENXIO";
	case EIO:
		return "EIO";
	case EINVAL:
		return "EINVAL";
	case EPROTONOSUPPORT:
		return "EPROTONOSUPPORT";
	case ESOCKTNOSUPPORT:
		return "ESOCKTNOSUPPORT";
	default:
		return "E?";
	}
}

static void report(const char *what, int r)
{
	printf("%s %s\n", what, r < 0 ? ename(errno) : "ok");
}

/* Push text into the input queue of fd's terminal, character by character. */
static int sti(int fd, const char *text)
{
	for (const char *p = text; *p; p++)
		if (ioctl(fd, TIOCSTI, p) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "socket")) {
		int fd = socket(atoi(argv[2]), atoi(argv[3]), 0);
		report("socket", fd);
		return fd < 0;
	}
	if (argc == 3 && !strcmp(argv[1], "tiocsti")) {
		char name[16];
		for (int fd = 0; fd < 3; fd++) {
			snprintf(name, sizeof(name), "fd%d", fd);
			report(name, sti(fd, argv[2]));
		}
		int t = open("/dev/tty", O_RDWR | O_NOCTTY);
		report("/dev/tty-open", t);
		if (t >= 0)
			report("/dev/tty", sti(t, argv[2]));
		fflush(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "tioclinux")) {
		/* TIOCL_GETSHIFTSTATE (6): harmless, but refused all the same. */
		char sub = 6;
		for (int fd = 0; fd < 3; fd++) {
			char name[16];
			snprintf(name, sizeof(name), "fd%d", fd);
			report(name, ioctl(fd, TIOCLINUX, &sub));
		}
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "pty")) {
		/* A pty from the container's own devpts: ptmx (5:2) and a slave (136:N). */
		int m = posix_openpt(O_RDWR | O_NOCTTY);
		if (m >= 0 && (grantpt(m) < 0 || unlockpt(m) < 0))
			m = -1;
		report("ptmx", m);
		if (m >= 0)
			report("slave", open(ptsname(m), O_RDWR | O_NOCTTY));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "sid")) {
		const char *tty = isatty(0) ? ttyname(0) : "-";
		printf("sid %d pid %d tty %s\n", (int)getsid(0), (int)getpid(), tty ? tty : "?");
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "mmap-hold")) {
		static char buf[1 << 20];
		int n = atoi(argv[3]), mb = atoi(argv[4]);
		memset(buf, 'x', sizeof(buf));
		for (int i = 0; i < n; i++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/held%d", argv[2], i);
			int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
			if (fd < 0)
				return 1;
			for (int k = 0; k < mb; k++)
				if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
					return 1;
			if (mmap(NULL, (size_t)mb << 20, PROT_READ, MAP_SHARED, fd, 0) ==
			    MAP_FAILED)
				return 1;
			close(fd);
			unlink(path);
		}
		sleep(5);
		puts("survived");
		return 0;
	}
	fprintf(stderr, "usage: ctr-probe socket FAMILY TYPE | tiocsti TEXT | tioclinux | pty | sid"
			" | mmap-hold DIR N MB\n");
	return 2;
}
