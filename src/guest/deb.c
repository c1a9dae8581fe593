/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>

#include "core/proc.h"
#include "core/util.h"
#include "guest/deb.h"

int vb_deb_tool(char *const argv[], const char *dir, char *out, size_t len, struct vb_error **err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vb_error_errno(err, errno, "pipe");
	pid_t p = fork();
	if (p < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return vb_error_errno(err, e, "fork");
	}
	if (p == 0) {
		vb_proc_child_signals();
		if (chdir(dir) < 0)
			_exit(126);
		dup2(pfd[1], STDOUT_FILENO);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0 && !out)
			dup2(null, STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t n = 0;
	char buf[4096];
	for (;;) {
		ssize_t r = read(pfd[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; out && i < r && n + 1 < len; i++)
			out[n++] = buf[i];
	}
	close(pfd[0]);
	if (out)
		out[n] = '\0';
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return vb_error_set(err, -EIO, "%s failed (exit %d)", argv[0],
				    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

char *vb_deb_find(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && strstr(e->d_name, ".deb")) {
			free(found);
			found = xasprintf("%s/%s", dir, e->d_name);
		}
	if (d)
		closedir(d);
	return found;
}

int vb_deb_download(const char *const pkgs[], size_t n, const char *dir, struct vb_error **err)
{
	char **argv = xcalloc(n + 3, sizeof(char *));
	argv[0] = "apt-get";
	argv[1] = "download";
	for (size_t i = 0; i < n; i++)
		argv[i + 2] = (char *)pkgs[i];
	int r = vb_deb_tool(argv, dir, NULL, 0, err);
	free(argv);
	return r;
}

int vb_deb_unpack(const char *deb, const char *root, struct vb_error **err)
{
	char *argv[] = { "dpkg-deb", "-x", (char *)deb, (char *)root, NULL };
	return vb_deb_tool(argv, "/", NULL, 0, err);
}

int vb_deb_field(const char *deb, const char *field, char *out, size_t len, struct vb_error **err)
{
	char *argv[] = { "dpkg-deb", "-f", (char *)deb, (char *)field, NULL };
	int r = vb_deb_tool(argv, "/", out, len, err);
	if (r)
		return r;
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return 0;
}
