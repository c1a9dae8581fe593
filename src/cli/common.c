/* SPDX-License-Identifier: MIT */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>

#include "agent/client.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
#include "experiment/experiment.h"

int vb_cli_fail(struct vb_error **err)
{
	int code = VB_EXIT_MEASUREMENT;
	if (err && *err) {
		fprintf(stderr, "virtbench: %s\n", (*err)->msg);
		code = (*err)->exit_code;
		vb_error_free(err);
	}
	return code;
}

int vb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "virtbench %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see 'virtbench %s --help')\n", cmd);
	va_end(ap);
	return VB_EXIT_USAGE;
}

/* Sweep what dead runs left and say so; db may be NULL. */
static int sweep(struct vb_store *db, struct vb_error **err)
{
	int dirs = 0, cgroups = 0, runs = 0;
	int r = vb_sweep_stale(db, &dirs, &cgroups, &runs, err);
	if (r)
		return r;
	if (dirs || cgroups || runs)
		fprintf(stderr,
			"virtbench: swept what dead runs left: %d work director%s, %d cgroup%s or "
			"network link%s removed, %d run%s marked incomplete\n",
			dirs, dirs == 1 ? "y" : "ies", cgroups, cgroups == 1 ? "" : "s",
			cgroups == 1 ? "" : "s", runs, runs == 1 ? "" : "s");
	return 0;
}

int vb_cli_sweep(struct vb_error **err)
{
	return sweep(NULL, err);
}

int vb_cli_open_store(const char *path, struct vb_store **out, struct vb_error **err)
{
	_cleanup_free_ char *def = path ? NULL : vb_store_default_path();
	int r = vb_store_open(path ? path : def, out, err);
	if (r)
		return r;
	r = sweep(*out, err);
	if (r) {
		vb_store_close(*out);
		*out = NULL;
	}
	return r;
}

int vb_cli_agent_path(char **out, struct vb_error **err)
{
	const char *env = getenv("VIRTBENCH_AGENT");
	char *cand[3] = { NULL, NULL, NULL };
	if (env && *env) {
		cand[0] = xstrdup(env);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			cand[0] = xasprintf("%s/virtbench-agent", dirname(self));
		}
		cand[1] = xstrdup(VB_LIBEXECDIR "/virtbench-agent");
	}
	int r = -ENOENT;
	for (int i = 0; i < 3 && cand[i]; i++) {
		if (r && cand[i][0] == '/' && access(cand[i], X_OK) == 0) {
			*out = cand[i];
			cand[i] = NULL;
			r = 0;
		}
		free(cand[i]);
	}
	if (r)
		return vb_error_exit(err, -ENOENT, VB_EXIT_USAGE,
				     "cannot find the agent binary virtbench-agent%s",
				     env ? " at $VIRTBENCH_AGENT (must be an absolute path)" : "");
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	vb_interrupted = 1;
}

void vb_cli_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

char *vb_cli_command_line(int argc, char **argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	fputs("virtbench", f);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-_./=,:%+@") == strlen(a);
		fputc(' ', f);
		if (plain) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", f);
			else
				fputc(*a, f);
		}
		fputc('\'', f);
	}
	fclose(f);
	return buf;
}
