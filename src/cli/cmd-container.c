/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <sys/wait.h>

#include "agent/client.h"
#include "cli/cli.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "runtime/idmap.h"
#include "guest/apt.h"
#include "guest/image.h"
#include "virtbench/platform.h"

static void usage(FILE *f)
{
	fputs("usage: virtbench container run [--memory SIZE] [--disk SIZE] [--cpus N] "
	      "[--image IMAGE] [--no-seccomp]\n"
	      "                              [--userns [MAP]] [--container-disk D]\n"
	      "                              -- CMD [ARG...]\n"
	      "       virtbench container image [--plan] IMAGE\n\n"
	      "Run one command in a fresh virtbench container (the minimal image: busybox and\n"
	      "the agent) with this stdin/stdout/stderr, wait for it, remove everything, and\n"
	      "exit with its status. A terminal is never passed in: with stdin and stdout on\n"
	      "one, the command gets a terminal of its own (^C still ends the run); else\n"
	      "each of them that is a terminal is relayed through a pipe. CMD without a '/'\n"
	      "is looked up in /sbin:/bin:/usr/sbin:/usr/bin inside; a CMD that is empty,\n"
	      "not there or not executable inside exits 2, as bad usage. The container is\n"
	      "the one 'run -p container' uses: namespaces, cgroup, overlay root, masked\n"
	      "/proc, dropped capabilities, no_new_privs and the seccomp allow-list. Needs\n"
	      "root.\n\n"
	      "  --memory SIZE   memory + swap limit (e.g. 256M; default half the host's RAM)\n"
	      "  --disk SIZE     bound on what the container writes (default 4G): no file\n"
	      "                  grows past it, and the container is killed when its\n"
	      "                  layer and volume pass it\n"
	      "  --container-disk D  where /scratch is: volume (the default: a directory of\n"
	      "                  its own, bound there nosuid and nodev) or overlay (in its\n"
	      "                  overlay layer, as the rest of its root)\n"
	      "  --cpus N        cpuset 0..N-1\n"
	      "  --no-seccomp    leave the seccomp filter off (for debugging the filter)\n"
	      "  --image IMAGE   the read-only lower layer: minimal (the default),\n"
	      "                  debian[:PKG,...] (debootstrap --variant=minbase of this\n"
	      "                  host's release from its apt mirror, with the extra\n"
	      "                  packages; built once, then cached), or an absolute DIR\n"
	      "                  (checked like any image: a root whose /proc or /dev is\n"
	      "                  a symlink is refused)\n"
	      "  --userns [MAP]  in a user namespace too, root inside being an unprivileged\n"
	      "                  host id. MAP: comma-separated INSIDE:OUTSIDE:COUNT extents\n"
	      "                  (uids and gids; u: or g: before one: uids or gids only), at\n"
	      "                  most 5 of each, and setgroups=deny to make setgroups(2)\n"
	      "                  unusable inside (default: allowed, the supervisor's groups\n"
	      "                  dropped). Default MAP 0:1879048192:65536. Inside 0 must be\n"
	      "                  mapped, host id 0 must not; see docs/container.md\n\n"
	      "'container image' builds IMAGE unless it is cached and prints its directory;\n"
	      "with --plan it builds nothing and prints what a Debian image is made of\n"
	      "(suite, mirror), where it goes and whether it is cached.\n",
	      f);
}

/* container image [--plan] IMAGE */
static int image_verb(int argc, char **argv)
{
	bool plan = argc >= 2 && !strcmp(argv[1], "--plan");
	if (argc != 2 + plan)
		return vb_cli_usage_error("container", "'image' wants [--plan] IMAGE");
	const char *text = argv[1 + plan];
	if (vb_cli_check_image("container", text))
		return VB_EXIT_USAGE;
	struct vb_error *err = NULL;
	_cleanup_free_ char *agent = NULL;
	_cleanup_free_ char *dir = NULL;
	if (vb_cli_agent_path(&agent, &err))
		return vb_cli_fail(&err);
	if (!plan) {
		if (vb_cli_image(text, agent, &dir, &err))
			return vb_cli_fail(&err);
		printf("%s\n", dir);
		return 0;
	}
	struct vb_image_spec s;
	if (vb_image_spec_parse(text, &s, &err))
		return vb_cli_fail(&err);
	int r = 0;
	if (s.kind == VB_IMAGE_DEBIAN) {
		char suite[VB_APT_SUITE_MAX + 1], mirror[VB_APT_URI_MAX + 1];
		bool cached;
		r = vb_image_debian_plan((const char *const *)s.packages, s.npackages, agent, suite,
					 sizeof(suite), mirror, sizeof(mirror), &dir, &cached,
					 &err);
		if (!r)
			printf("suite %s\nmirror %s\ndir %s\ncached %s\n", suite, mirror, dir,
			       cached ? "yes" : "no");
	} else {
		printf("kind %s\n", s.kind == VB_IMAGE_DIR ? "dir" : "minimal");
	}
	vb_image_spec_release(&s);
	return r ? vb_cli_fail(&err) : 0;
}

int vb_cmd_container(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "disk", required_argument, NULL, 'd' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "no-seccomp", no_argument, NULL, 'S' },
		{ "image", required_argument, NULL, 'i' },
		{ "userns", optional_argument, NULL, 'U' },
		{ "container-disk", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vb_guest_spec spec = { 0 };
	struct vb_userns userns;
	const char *image = NULL;
	_cleanup_free_ char *image_dir = NULL;
	bool seccomp = true;
	int c;
	optind = 1;
	opterr = 0;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "image"))
		return image_verb(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "run"))
		return vb_cli_usage_error("container", "the verbs are 'run' and 'image'");
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		uint64_t v;
		switch (c) {
		case 'm':
			if (vb_parse_size(optarg, &v) || v < (4u << 20))
				return vb_cli_usage_error(
				    "container",
				    "--memory wants a size of at least 4M, not '%.64s'", optarg);
			spec.memory_bytes = v;
			break;
		case 'd':
			if (vb_parse_size(optarg, &v) || v < (1u << 20))
				return vb_cli_usage_error(
				    "container", "--disk wants a size of at least 1M, not '%.64s'",
				    optarg);
			spec.disk_bytes = v;
			break;
		case 'c':
			if (vb_parse_u64(optarg, &v) || v < 1 ||
			    v > (uint64_t)sysconf(_SC_NPROCESSORS_ONLN))
				return vb_cli_usage_error("container",
							  "--cpus wants 1 to %ld, not '%.64s'",
							  sysconf(_SC_NPROCESSORS_ONLN), optarg);
			spec.vcpus = (unsigned)v;
			break;
		case 'S':
			seccomp = false;
			break;
		case 'i':
			if (vb_cli_check_image("container", optarg))
				return VB_EXIT_USAGE;
			image = optarg;
			break;
		case 'U':
			if (vb_cli_userns("container", argc, argv, &userns))
				return VB_EXIT_USAGE;
			spec.userns = &userns;
			break;
		case 'D':
			if (vb_cli_container_disk("container", optarg, &spec.container_disk))
				return VB_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return vb_cli_usage_error("container", "bad option '%.64s'",
						  argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return vb_cli_usage_error("container", "name a command to run");
	if (!argv[optind][0])
		return vb_cli_usage_error("container", "the command to run is an empty name");
	struct vb_error *err = NULL;
	_cleanup_free_ char *agent = NULL;
	_cleanup_free_ char *work_dir = NULL;
	char tag[16];
	int r = vb_platform_probe(vb_platform_find("container"), &err);
	if (r) {
		vb_error_wrap(&err, "the container platform is unavailable here");
		err->exit_code = VB_EXIT_UNAVAILABLE;
		return vb_cli_fail(&err);
	}
	if (vb_cli_agent_path(&agent, &err) || vb_cli_sweep(&err) ||
	    (image && vb_cli_image(image, agent, &image_dir, &err)) ||
	    vb_run_claim(tag, &work_dir, &err))
		return vb_cli_fail(&err);
	spec.image = image_dir;
	struct vb_platform_ctx ctx = { .run_id = tag, .agent_path = agent, .work_dir = work_dir };
	vb_cli_install_signals();
	int status = 0;
	r = vb_container_run_command(&ctx, &spec, argv + optind, seccomp, &status, &err);
	vb_rm_rf(work_dir);
	if (r)
		return vb_cli_fail(&err);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
