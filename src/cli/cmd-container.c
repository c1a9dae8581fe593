/* SPDX-License-Identifier: MIT */
#include <sys/wait.h>

#include "agent/client.h"
#include "cli/cli.h"
#include "core/util.h"
#include "experiment/experiment.h"
#include "runtime/idmap.h"
#include "guest/apt.h"
#include "guest/image.h"
#include "virtbench/platform.h"

/* container image [--plan] IMAGE */
static int image_verb(int argc, char **argv)
{
	bool plan = false;
	struct vb_cli_parser p;
	int c, r = 0;
	vb_cli_parser_init(&p, VB_VERB_CONTAINER, argc, argv);
	while (!r && (c = vb_cli_next(&p)) > 0) {
		if (c == VB_CLI_PLAN)
			plan = true;
		else
			r = vb_cli_usage_error("container",
					       "--%s is an option of container run, not of "
					       "container image",
					       p.opt->name);
	}
	vb_cli_parser_release(&p);
	if (r)
		return r;
	if (c < 0)
		return p.exit;
	if (p.optind >= argc)
		return vb_cli_usage_error("container", "'image' wants [--plan] IMAGE");
	if (p.optind + 1 < argc)
		return vb_cli_unexpected(VB_VERB_CONTAINER, argv[p.optind + 1]);
	const char *text = argv[p.optind];
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
	r = 0;
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
	struct vb_guest_spec spec = { 0 };
	struct vb_userns userns;
	const char *image = NULL;
	_cleanup_free_ char *image_dir = NULL;
	bool seccomp = true;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		vb_cli_usage(VB_VERB_CONTAINER, stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "image"))
		return image_verb(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "run"))
		return vb_cli_usage_error("container", "the verbs are 'run' and 'image'");
	argc--;
	argv++;
	struct vb_cli_parser p;
	int c = 0, r = 0;
	vb_cli_parser_init(&p, VB_VERB_CONTAINER, argc, argv);
	while (!r && (c = vb_cli_next(&p)) > 0) {
		switch (c) {
		case VB_CLI_MEMORY:
			spec.memory_bytes = p.u;
			break;
		case VB_CLI_DISK:
			spec.disk_bytes = p.u;
			break;
		case VB_CLI_CPUS:
			spec.vcpus = (unsigned)p.u;
			break;
		case VB_CLI_NO_SECCOMP:
			seccomp = false;
			break;
		case VB_CLI_IMAGE:
			r = vb_cli_check_image("container", p.arg);
			image = p.arg;
			break;
		case VB_CLI_USERNS:
			r = vb_cli_userns("container", p.arg, &userns);
			spec.userns = &userns;
			break;
		case VB_CLI_CONTAINER_DISK:
			spec.container_disk =
			    p.u ? VB_CONTAINER_DISK_OVERLAY : VB_CONTAINER_DISK_VOLUME;
			break;
		case VB_CLI_PLAN:
			r = vb_cli_usage_error("container", "--plan is an option of container "
							    "image, not of container run");
			break;
		default:
			VB_BUG("container: option %d from the table not handled", c);
		}
	}
	vb_cli_parser_release(&p);
	if (r)
		return r;
	if (c < 0)
		return p.exit;
	int first = p.optind;
	if (first >= argc)
		return vb_cli_usage_error("container", "name a command to run");
	if (!argv[first][0])
		return vb_cli_usage_error("container", "the command to run is an empty name");
	struct vb_error *err = NULL;
	_cleanup_free_ char *agent = NULL;
	_cleanup_free_ char *work_dir = NULL;
	char tag[16];
	r = vb_platform_probe(vb_platform_find("container"), NULL, &err);
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
	r = vb_container_run_command(&ctx, &spec, argv + first, seccomp, &status, &err);
	vb_rm_rf(work_dir);
	if (r)
		return vb_cli_fail(&err);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
