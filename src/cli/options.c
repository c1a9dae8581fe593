/* SPDX-License-Identifier: MIT */
/*
 * The verbs and their options as tables, and the one getopt loop, number
 * parser and set of error wordings every verb uses.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/util.h"
#include "experiment/experiment.h"

const struct vb_cli_verb vb_cli_verbs[VB_VERB_COUNT] = {
	[VB_VERB_COMPARE] = {
		.name = "compare",
		.summary = "the overhead experiment: suites on every platform here",
		.synopsis = "virtbench compare [--suite SUITES] [-p PLATFORMS] [options]",
		.intro = "The overhead experiment: every workload of the chosen suites on every\n"
			 "chosen platform, interleaved, each compared with the host; prints the\n"
			 "overhead table and the study's views and stores the run.",
	},
	[VB_VERB_ISOLATION] = {
		.name = "isolation",
		.summary = "noisy neighbours, and what entitlement policies win back",
		.synopsis = "virtbench isolation [-p PLATFORM] [-w VICTIMS] [--policy LIST] [options]",
		.intro = "Two guests of one platform share the host: the victim runs each workload\n"
			 "alone, then while the aggressor runs the matching stressor (cpu, vm, io,\n"
			 "net), then under each entitlement policy; prints the victim's slowdown\n"
			 "with its 95% interval and the aggressor's work rate, and stores the run.",
		.outro = "policies (--policy), each a second pass:\n"
			 "  pin[:V/A]      disjoint cpusets (default: first half of the CPUs to the\n"
			 "                 victim, the rest to the aggressor)\n"
			 "  shares[:V/A]   CPU weights 1-10000 (default 1000/10)\n"
			 "  quota[:PCT]    the aggressor gets PCT% of one CPU (default 50)\n"
			 "  memory[:SIZE]  the aggressor's memory limit (default 256MiB)\n"
			 "  io[:RATE]      the aggressor's disk bandwidth, bytes/s on its scratch\n"
			 "                 disk (default 10MiB); cgroup v1 does not throttle\n"
			 "                 buffered writeback\n"
			 "  net[:RATE]     what the aggressor sends, bytes/s (default 10MiB;\n"
			 "                 containers: tbf on its eth0)\n"
			 "  numa[:V/A]     NUMA nodes (only with more than one node)",
	},
	[VB_VERB_OPS] = {
		.name = "ops",
		.summary = "time provision, boot, reboot, clone, destroy per platform",
		.synopsis = "virtbench ops [-p PLATFORMS] [options]",
		.intro = "Time each step of a guest's life on each platform (the study's tables\n"
			 "5.1-5.3): provision from the cached image, boot to agent-ready, reboot,\n"
			 "stop, clone, destroy; the memory an idle guest costs; and the start rate\n"
			 "(guests provisioned and booted per second, one after another).",
	},
	[VB_VERB_SCALE] = {
		.name = "scale",
		.summary = "the overhead experiment over vCPU counts and memory sizes",
		.synopsis = "virtbench scale [-p PLATFORMS] [-w WORKLOADS] [--vcpus LIST]\n"
			    "                       [--memory LIST] [options]",
		.intro = "The overhead experiment over guest sizes (the study's figs. 4.1-4.7):\n"
			 "each platform with guests runs once per vCPU count and memory size,\n"
			 "stored as e.g. container[vcpus=2], all compared with the host.",
	},
	[VB_VERB_CALIBRATE] = {
		.name = "calibrate",
		.summary = "one platform against itself: this host's false verdicts",
		.synopsis = "virtbench calibrate [-p PLATFORM] [-w WORKLOADS] [options]",
		.intro = "This host's noise floor: one platform against itself, two instances\n"
			 "(NAME#1, the baseline, and NAME#2) interleaved as any two platforms are.\n"
			 "Every faster or slower verdict is a false one; the resolution line says\n"
			 "how narrow the intervals got within the budget given.",
	},
	[VB_VERB_RUN] = {
		.name = "run",
		.summary = "run workloads on platforms and compare them with the host",
		.synopsis = "virtbench run [-p PLATFORMS] [-w WORKLOADS] [options]",
		.intro = "Run each workload on each platform, interleaved, until every 95% confidence\n"
			 "interval is narrow enough; print the overhead table and store the run.",
	},
	[VB_VERB_LIST] = {
		.name = "list",
		.summary = "list platforms (with availability here) or workloads",
		.synopsis = "virtbench list platforms [--kernel IMAGE [--kernel-modules DIR]]\n"
			    "       virtbench list workloads [-v]",
		.intro = "platforms: every platform virtbench knows, probed: available here, or why not\n"
			 "           (with --kernel, KVM is probed by booting that guest kernel).\n"
			 "workloads: every workload with its group, options (quick / full defaults,\n"
			 "           bounds) and metrics; -v adds each option's help.",
		.operands = "platforms workloads",
	},
	[VB_VERB_RUNS] = {
		.name = "runs",
		.summary = "list the runs in the results database",
		.synopsis = "virtbench runs [--db PATH]",
		.intro = "List the stored runs, newest first: number, tag, status, start, samples, "
			 "command.",
	},
	[VB_VERB_SHOW] = {
		.name = "show",
		.summary = "show one stored run: its table, or export it",
		.synopsis = "virtbench show RUN [--db PATH] [--host] [--json FILE] [--csv FILE]",
		.intro = "RUN is a run number, a tag (vb-1a2b3c4d) or 'last'. Prints the run's overhead\n"
			 "table (a features run: its features table) as stored; --host prints the host\n"
			 "fingerprint (JSON); --json and --csv export the run with every raw sample.",
		.operands = "last",
	},
	[VB_VERB_REPORT] = {
		.name = "report",
		.summary = "write an HTML report with charts of stored runs",
		.synopsis = "virtbench report RUN... -o FILE.html [--db PATH] [--study]",
		.intro = "Write one self-contained HTML report of the stored runs: run and host details,\n"
			 "the overhead table and SVG charts with 95% intervals (no script, no network).\n"
			 "RUN is a run number, a tag (vb-1a2b3c4d) or 'last'. See docs/report.md.",
		.operands = "last",
	},
	[VB_VERB_DIFF] = {
		.name = "diff",
		.summary = "compare two runs or results files, cell by cell",
		.synopsis = "virtbench diff A B [--db PATH] [--tolerance PCT] [--json FILE]",
		.intro = "Compare B against A, cell by cell (platform x workload x metric present in\n"
			 "both), from the raw samples: mean A, mean B, the change, a 95% interval\n"
			 "interval of B/A and a verdict (better, worse, equivalent, inconclusive). Also\n"
			 "lists what differs in the host fingerprints and the setup, and what only\n"
			 "one side has. See docs/diff.md.\n\n"
			 "A and B are each a stored run (a number, a tag such as vb-1a2b3c4d, or\n"
			 "'last') or a results file ('show RUN --json FILE', 'run --json FILE'): an\n"
			 "argument that contains '/' or ends in .json is a file.",
		.outro = "exit codes: 0 no regression, 1 regressions beyond the tolerance,\n"
			 "            2 bad usage or input (unknown run, not a results file)",
		.operands = "last",
	},
	[VB_VERB_RECOMMEND] = {
		.name = "recommend",
		.summary = "rank the platforms for a workload profile from stored runs",
		.synopsis = "virtbench recommend [RUN|FILE...] [--for COMPONENTS] [--require FEATURES]\n"
			    "                           [--weights FILE] [--json FILE] [--db PATH] [--study]",
		.intro = "The study's conclusion (ch. 7) computed: the platforms ranked for a workload\n"
			 "profile from what stored runs measured, by overhead (ratios to the host),\n"
			 "operations (provision, boot, reboot, clone), isolation (a victim's slowdown\n"
			 "with no policy and with the best one) and footprint, with the probed features\n"
			 "as hard constraints. Every reason cites its run, workload, metric and\n"
			 "interval; what was not measured is unknown, never guessed; the answer says\n"
			 "whether the first's lead holds at both ends of the intervals (robust) or not\n"
			 "(close). See docs/recommend.md.\n\n"
			 "Without RUN: the latest compare, ops, isolation and features runs. A RUN is a\n"
			 "number, a tag or 'last'; an argument that contains '/' or ends in .json is a\n"
			 "results file.",
		.operands = "last",
	},
	[VB_VERB_STUDY] = {
		.name = "study",
		.summary = "run the study's chapters 4-6 as one stored study",
		.synopsis = "virtbench study [--profile quick|full] [-p PLATFORMS] [--parts LIST]\n"
			    "                       [-o FILE.html] [--db PATH] [-q]\n"
			    "       virtbench study --resume [STUDY] [-o FILE.html] [--db PATH] [-q]",
		.intro = "The study's chapters one after another, each part a run of its own labelled\n"
			 "with the study's tag (st-1a2b3c4d): overhead (ch. 4: compare w1-w4 and the\n"
			 "system benchmarks), apps and middleware (ch. 4.7-4.8), ops and features\n"
			 "(ch. 5), isolation with the pin, shares and quota policies (ch. 6). Progress\n"
			 "names the part and the time left (an estimate); at the end, the\n"
			 "recommendation over the study's runs, and with -o its report (report --study).\n"
			 "An interrupted study keeps what it measured; --resume runs the parts that have\n"
			 "no complete run yet (the latest study without a tag). In the quick profile\n"
			 "apps and middleware run on platforms that are not emulated. See docs/study.md.",
	},
	[VB_VERB_FEATURES] = {
		.name = "features",
		.summary = "probe this host's operational features per platform",
		.synopsis = "virtbench features [-p PLATFORMS] [--db PATH] [--json FILE] [--no-store]",
		.intro = "The study's tables 5.4-5.5 (operational features and constraints per platform)\n"
			 "filled by probing this host: checkpoint/restore, live migration, memory and CPU\n"
			 "over-commit, hardware extensions needed, isolated kernel updates, mainline Linux\n"
			 "support. Each cell says whether it was probed here, follows by design, or is\n"
			 "documented only, and what was tried (docs/features.md). Probes start short-lived\n"
			 "QEMU machines and a CRIU checkpoint; run as root.",
	},
	[VB_VERB_CONTAINER] = {
		.name = "container",
		.summary = "run one command in a virtbench container",
		.synopsis = "virtbench container run [--memory SIZE] [--disk SIZE] [--cpus N] "
			    "[--image IMAGE] [--no-seccomp]\n"
			    "                              [--userns [MAP]] [--container-disk D]\n"
			    "                              -- CMD [ARG...]\n"
			    "       virtbench container image [--plan] IMAGE",
		.intro = "Run one command in a fresh virtbench container (the minimal image: busybox and\n"
			 "the agent) with this stdin/stdout/stderr, wait for it, remove everything, and\n"
			 "exit with its status. A terminal is never passed in: with stdin and stdout on\n"
			 "one, the command gets a terminal of its own (^C still ends the run); else\n"
			 "each of them that is a terminal is relayed through a pipe. CMD without a '/'\n"
			 "is looked up in /sbin:/bin:/usr/sbin:/usr/bin inside; a CMD that is empty,\n"
			 "not there or not executable inside exits 2, as bad usage. The container is\n"
			 "the one 'run -p container' uses: namespaces, cgroup, overlay root, masked\n"
			 "/proc, dropped capabilities, no_new_privs and the seccomp allow-list. Needs\n"
			 "root.",
		.outro = "'container image' builds IMAGE unless it is cached and prints its directory;\n"
			 "with --plan it builds nothing and prints what a Debian image is made of\n"
			 "(suite, mirror), where it goes and whether it is cached.",
		.operands = "run image",
		.posix = true,
	},
	[VB_VERB_AGENT] = {
		.name = "agent",
		.summary = "serve the agent protocol on stdin/stdout (internal)",
		.synopsis = "virtbench agent [--fd N] [--sync]\n"
			    "       virtbench agent --peer ADDR:PORT\n"
			    "       virtbench agent --relay PORT CONSOLE [LABEL]",
		.intro = "Serve the agent protocol on stdin and stdout: what virtbench-agent does\n"
			 "inside a guest (docs/protocol.md): read jobs as JSON lines, run them,\n"
			 "stream events back. Not for use by hand. The static virtbench-agent takes\n"
			 "the same options.",
	},
};

const char vb_cli_exit_codes[] = "exit codes: 0 ok, 1 a measurement failed, 2 bad usage or input,\n"
				 "            3 platform unavailable, 130 interrupted (SIGINT, "
				 "SIGTERM, SIGHUP)";

/* This host's online CPUs: the most container run --cpus takes. */
static uint64_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (uint64_t)n : 1;
}

#define V(v) VB_VERB_BIT(v)
#define ALL_VERBS ((1u << VB_VERB_COUNT) - 1)
#define MEASURING (VB_VERBS_RUN | V(OPS) | V(ISOLATION))
#define REQ VB_ARG_REQUIRED

const struct vb_cli_option vb_cli_options[] = {
	/* What runs where. */
	{ VB_CLI_PLATFORM, "platform", 'p', REQ, "LIST", .verbs = V(RUN),
	  .help = "comma-separated platforms, or 'available'\n"
		  "(default host); see 'virtbench list platforms'" },
	{ VB_CLI_PLATFORM, "platform", 'p', REQ, "LIST", .verbs = V(COMPARE) | V(SCALE),
	  .help = "comma-separated platforms, or 'available' (the\n"
		  "default: every platform that works here)" },
	{ VB_CLI_PLATFORM, "platform", 'p', REQ, "NAME", .verbs = V(CALIBRATE),
	  .help = "one platform (default host)" },
	{ VB_CLI_PLATFORM, "platform", 'p', REQ, "LIST", .verbs = V(OPS),
	  .help = "comma-separated platforms with guests, or\n"
		  "'available' (the default)" },
	{ VB_CLI_PLATFORM, "platform", 'p', REQ, "P", .verbs = V(ISOLATION),
	  .help = "container (default), qemu-tcg, kvm, or host (two\n"
		  "plain processes: the bare-metal reference, no\n"
		  "policies)" },
	{ VB_CLI_PLATFORM, "platform", 'p', REQ, "LIST", .verbs = V(STUDY),
	  .help = "comma-separated platforms, or 'available' (the\n"
		  "default); each part takes those it can use" },
	{ VB_CLI_PARTS, "parts", 0, REQ, "LIST", .verbs = V(STUDY),
	  .help = "the parts to run (default all): overhead, apps,\n"
		  "middleware, ops, features, isolation" },
	{ VB_CLI_RESUME, "resume", 0, VB_ARG_OPTIONAL, "STUDY", .verbs = V(STUDY),
	  .help = "run the parts of STUDY (default: the latest) that\n"
		  "have no complete run yet" },
	{ VB_CLI_PLATFORM, "platform", 'p', REQ, "LIST", .verbs = V(FEATURES),
	  .help = "comma-separated, from host, container, kvm, qemu-tcg,\n"
		  "xen (default: all of them)" },
	{ VB_CLI_WORKLOAD, "workload", 'w', REQ, "LIST", .verbs = V(RUN) | V(SCALE),
	  .help = "comma-separated workloads, or 'all'\n"
		  "(default cpu.primes,mem.memcpy)" },
	{ VB_CLI_WORKLOAD, "workload", 'w', REQ, "LIST", .verbs = V(COMPARE),
	  .help = "workloads to add to the suites" },
	{ VB_CLI_WORKLOAD, "workload", 'w', REQ, "LIST", .verbs = V(CALIBRATE),
	  .help = "workloads (default: the suites w1 and w2)" },
	{ VB_CLI_WORKLOAD, "workload", 'w', REQ, "LIST", .verbs = V(ISOLATION),
	  .help = "victims (default " VB_CLI_DEFAULT_VICTIMS ";\n"
		  "cpu.primes single-threaded unless --set threads=N)" },
	{ VB_CLI_SUITE, "suite", 0, REQ, "LIST", .verbs = V(RUN) | V(SCALE),
	  .help = "add the workloads of suites: w1 w2 w3 w4 system all" },
	{ VB_CLI_SUITE, "suite", 0, REQ, "LIST", .verbs = V(COMPARE),
	  .help = "w1 (CPU), w2 (memory), w3 (network), w4 (disk),\n"
		  "system, or all (default w1,w2,w3,w4)" },
	{ VB_CLI_SUITE, "suite", 0, REQ, "LIST", .verbs = V(CALIBRATE),
	  .help = "the suites instead (w1 w2 w3 w4 system all)" },
	{ VB_CLI_SUITE, "suite", 0, REQ, "LIST", .verbs = V(ISOLATION),
	  .help = "victims by suite: w1 w2 w3 w4 system all" },
	{ VB_CLI_SET, "set", 0, REQ, "[W.]NAME=VALUE", .verbs = VB_VERBS_RUN | V(ISOLATION),
	  .help = "set a workload option (repeatable); without W.\n"
		  "it applies to every chosen workload that has NAME;\n"
		  "NAME=V1,V2,... runs one instance per value (a sweep)" },
	{ VB_CLI_AGGRESSOR, "aggressor", 0, REQ, "S", .verbs = V(ISOLATION),
	  .help = "one stressor for every victim: stress.cpu,\n"
		  "stress.vm, stress.io or stress.net (default: the\n"
		  "one matching each victim's resource)" },
	{ VB_CLI_POLICY, "policy", 0, REQ, "LIST", .verbs = V(ISOLATION),
	  .help = "entitlement policies, each a second pass (below)" },
	{ VB_CLI_PROFILE, "profile", 0, REQ, "P", VB_VAL_CHOICE, .choices = "quick|full",
	  .verbs = VB_VERBS_RUN | V(ISOLATION) | V(STUDY),
	  .help = "quick (seconds) or full (the study's parameters)" },

	/* The guests. */
	{ VB_CLI_VCPUS, "vcpus", 0, REQ, "LIST", .verbs = V(SCALE),
	  .help = "vCPU counts (default 1,2,4,8 as far as the host\n"
		  "has CPUs; more than it has is refused)" },
	{ VB_CLI_VCPUS, "vcpus", 0, REQ, "N", VB_VAL_COUNT, 1, 1024, .verbs = V(OPS),
	  .help = "guest vCPUs (default: the platform's)" },
	{ VB_CLI_CPUS, "cpus", 0, REQ, "N", VB_VAL_COUNT, 1, .max_now = online_cpus,
	  .verbs = V(CONTAINER), .help = "cpuset 0..N-1 (N at most this host's CPUs)" },
	{ VB_CLI_MEMORY, "memory", 0, REQ, "LIST", .verbs = V(SCALE),
	  .help = "guest memory sizes: 512MiB, 2G, or a percentage\n"
		  "of host memory such as 50%,100%,150% (default:\n"
		  "the platform's); refused where the platform does\n"
		  "not over-commit or the host cannot spare it" },
	{ VB_CLI_MEMORY, "memory", 0, REQ, "SIZE", VB_VAL_SIZE, 4 << 20, UINT64_MAX,
	  .verbs = V(RUN) | V(COMPARE) | V(CALIBRATE),
	  .help = "guest memory, e.g. 512M: a container's memory +\n"
		  "swap limit (default: half the host's RAM), a VM's\n"
		  "RAM (default 512M)" },
	{ VB_CLI_MEMORY, "memory", 0, REQ, "SIZE", VB_VAL_SIZE, 64 << 20, UINT64_C(1) << 42,
	  .verbs = V(OPS), .help = "guest memory, e.g. 512MiB (default: the platform's)" },
	{ VB_CLI_MEMORY, "memory", 0, REQ, "SIZE", VB_VAL_SIZE, 4 << 20, UINT64_MAX,
	  .verbs = V(CONTAINER),
	  .help = "memory + swap limit (e.g. 256M; default half the\n"
		  "host's RAM)" },
	{ VB_CLI_DISK, "disk", 0, REQ, "SIZE", VB_VAL_SIZE, 1 << 20, UINT64_MAX,
	  .verbs = VB_VERBS_RUN,
	  .help = "guest disk, e.g. 8G (default 4G): a VM's disk image,\n"
		  "the bound on what a container writes (a job going\n"
		  "past it fails)" },
	{ VB_CLI_DISK, "disk", 0, REQ, "SIZE", VB_VAL_SIZE, 1 << 20, UINT64_MAX,
	  .verbs = V(CONTAINER),
	  .help = "bound on what the container writes (default 4G):\n"
		  "no file grows past it, and the container is killed\n"
		  "when its layer and volume pass it" },
	{ VB_CLI_CONTAINER_DISK, "container-disk", 0, REQ, "D", VB_VAL_CHOICE,
	  .choices = "volume|overlay", .verbs = MEASURING,
	  .help = "the container's /scratch: volume (the default: a\n"
		  "directory of its own bound there, beside the host's\n"
		  "scratch) or overlay (in its overlay layer; stored\n"
		  "as container[disk=overlay])" },
	{ VB_CLI_CONTAINER_DISK, "container-disk", 0, REQ, "D", VB_VAL_CHOICE,
	  .choices = "volume|overlay", .verbs = V(CONTAINER),
	  .help = "where /scratch is: volume (the default: a directory\n"
		  "of its own, bound there nosuid and nodev) or overlay\n"
		  "(in its overlay layer, as the rest of its root)" },
	{ VB_CLI_NET, "net", 0, REQ, "MODE", VB_VAL_CHOICE, .choices = "none|bridged|nat",
	  .verbs = VB_VERBS_RUN,
	  .help = "guest network: none, bridged (the run's bridge; the\n"
		  "default with w3) or nat (QEMU: user-mode; container:\n"
		  "the bridge behind a masquerade, the peer outside)" },
	{ VB_CLI_USERNS, "userns", 0, VB_ARG_OPTIONAL, "MAP", .verbs = MEASURING,
	  .help = "containers in a user namespace with MAP:\n"
		  "[u:|g:]INSIDE:OUTSIDE:COUNT[,...][,setgroups=deny]\n"
		  "(default 0:1879048192:65536; docs/container.md)" },
	{ VB_CLI_USERNS, "userns", 0, VB_ARG_OPTIONAL, "MAP", .verbs = V(CONTAINER),
	  .help = "in a user namespace too, root inside being an\n"
		  "unprivileged host id. MAP: comma-separated\n"
		  "INSIDE:OUTSIDE:COUNT extents (uids and gids; u: or g:\n"
		  "before one: uids or gids only), at most 5 of each,\n"
		  "and setgroups=deny to make setgroups(2) unusable\n"
		  "inside (default: allowed, the supervisor's groups\n"
		  "dropped). Default MAP 0:1879048192:65536. Inside 0\n"
		  "must be mapped, host id 0 must not; see\n"
		  "docs/container.md" },
	{ VB_CLI_KERNEL, "kernel", 0, REQ, "IMAGE", .verbs = MEASURING | V(LIST),
	  .help = "the guest kernel of the VM platforms (default:\n"
		  "Debian's)" },
	{ VB_CLI_KERNEL_MODULES, "kernel-modules", 0, REQ, "DIR", .verbs = MEASURING | V(LIST),
	  .help = "the modules of that kernel (needs --kernel)" },
	{ VB_CLI_IMAGE, "image", 0, REQ, "IMAGE", .verbs = MEASURING,
	  .help = "the guests' root on every platform: minimal (the\n"
		  "default: busybox and the agent), debian[:PKG,...]\n"
		  "(debootstrap of this host's release with the\n"
		  "packages and the workloads' own, built once and\n"
		  "cached: a container's tree, a VM's ext4 root disk)\n"
		  "or a DIR (containers only); workloads that need\n"
		  "packages get debian by themselves (docs/images.md)" },
	{ VB_CLI_CONTAINER_IMAGE, "container-image", 0, REQ, "IMAGE", .verbs = MEASURING,
	  .help = "the same as --image (its older name)" },
	{ VB_CLI_IMAGE, "image", 0, REQ, "IMAGE", .verbs = V(CONTAINER),
	  .help = "the read-only lower layer: minimal (the default),\n"
		  "debian[:PKG,...] (debootstrap --variant=minbase of\n"
		  "this host's release from its apt mirror, with the\n"
		  "extra packages; built once, then cached), or an\n"
		  "absolute DIR (checked like any image: a root whose\n"
		  "/proc or /dev is a symlink is refused)" },
	{ VB_CLI_NO_SECCOMP, "no-seccomp", 0, VB_ARG_NONE, .verbs = V(CONTAINER),
	  .help = "leave the seccomp filter off (for debugging the\n"
		  "filter)" },
	{ VB_CLI_PLAN, "plan", 0, VB_ARG_NONE, .verbs = V(CONTAINER),
	  .help = "container image: build nothing, print what IMAGE\n"
		  "is made of and whether it is cached" },

	/* How long and how much. */
	{ VB_CLI_RUNS, "runs", 0, REQ, "N", VB_VAL_COUNT, 1, 100000, .verbs = VB_VERBS_RUN,
	  .help = "at most N measured repetitions per cell (default 10)" },
	{ VB_CLI_MIN_RUNS, "min-runs", 0, REQ, "N", VB_VAL_COUNT, 1, 100000, .verbs = VB_VERBS_RUN,
	  .help = "at least N before the CI rule may stop (default 3)" },
	{ VB_CLI_ROUNDS, "rounds", 0, REQ, "N", VB_VAL_COUNT, 1, 10000, .verbs = V(OPS),
	  .help = "measured lifecycles per platform (default 5)" },
	{ VB_CLI_ROUNDS, "rounds", 0, REQ, "N", VB_VAL_COUNT, 1, 10000, .verbs = V(ISOLATION),
	  .help = "measured rounds (default 5)" },
	{ VB_CLI_WARMUP, "warmup", 0, REQ, "N", VB_VAL_COUNT, 0, 1000, .verbs = VB_VERBS_RUN,
	  .help = "discarded warm-up rounds (default 1; per instance)" },
	{ VB_CLI_WARMUP, "warmup", 0, REQ, "N", VB_VAL_COUNT, 0, 100, .verbs = V(OPS),
	  .help = "discarded first rounds (default 1; fills caches)" },
	{ VB_CLI_WARMUP, "warmup", 0, REQ, "N", VB_VAL_COUNT, 0, 100, .verbs = V(ISOLATION),
	  .help = "discarded rounds (default 1)" },
	{ VB_CLI_RATE_GUESTS, "rate-guests", 0, REQ, "N", VB_VAL_COUNT, 0, 100, .verbs = V(OPS),
	  .help = "guests per start-rate measurement (default 4;\n"
		  "0 = none)" },
	{ VB_CLI_INSTANCES, "instances", 0, REQ, "K", VB_VAL_COUNT, 1, VB_MAX_INSTANCES,
	  .verbs = VB_VERBS_RUN,
	  .help = "fresh guests per platform, the rounds split over them;\n"
		  "intervals across instances (default: quick 1, full 3;\n"
		  "at most 20)" },
	{ VB_CLI_CI_TARGET, "ci-target", 0, REQ, "PCT", VB_VAL_PCT, .rmin = 0, .rmax = 100,
	  .verbs = VB_VERBS_RUN,
	  .help = "stop a platform's cell when its ratio to the baseline\n"
		  "has a 95% half-width within PCT% (alone: its mean's\n"
		  "CI), or is decisively far from 1 (default 2; 0 = run\n"
		  "--runs unless decisive)" },
	{ VB_CLI_TIME_BUDGET, "time-budget", 0, REQ, "S", VB_VAL_REAL, .rmin = 0, .rmax = 7 * 86400,
	  .verbs = VB_VERBS_RUN,
	  .help = "stop starting new rounds after S seconds (default\n"
		  "none; compare --profile quick: 240, with --runs 20)" },
	{ VB_CLI_TIMEOUT, "timeout", 0, REQ, "S", VB_VAL_REAL, .rmin = 0.1, .rmax = 7 * 86400,
	  .verbs = VB_VERBS_RUN, .help = "a single job's limit in seconds (default 600)" },
	{ VB_CLI_EQUIVALENCE, "equivalence", 0, REQ, "PCT", VB_VAL_PCT, .rmin = 0, .rmax = 50,
	  .verbs = VB_VERBS_RUN,
	  .help = "verdict 'equivalent' when the ratio's whole 95%\n"
		  "interval lies within 1 +- PCT% (default 5; 0: never)" },

	/* Where results go. */
	{ VB_CLI_DB, "db", 0, REQ, "PATH",
	  .verbs = MEASURING | V(RUNS) | V(SHOW) | V(REPORT) | V(DIFF) | V(FEATURES) |
		   V(RECOMMEND) | V(STUDY),
	  .help = "results database (default $VIRTBENCH_DB or\n"
		  "$XDG_DATA_HOME/virtbench/results.db)" },
	{ VB_CLI_NO_STORE, "no-store", 0, VB_ARG_NONE, .verbs = V(FEATURES),
	  .help = "keep the run in memory only: nothing is written to\n"
		  "the database (--json still works)" },
	{ VB_CLI_HOST, "host", 0, VB_ARG_NONE, .verbs = V(SHOW),
	  .help = "print the run's host fingerprint (JSON) instead" },
	{ VB_CLI_JSON, "json", 0, REQ, "FILE", .verbs = MEASURING | V(SHOW),
	  .help = "also export the run as JSON with every raw sample" },
	{ VB_CLI_JSON, "json", 0, REQ, "FILE", .verbs = V(FEATURES),
	  .help = "also export the run as JSON (with a \"features\"\n"
		  "array)" },
	{ VB_CLI_JSON, "json", 0, REQ, "FILE", .verbs = V(DIFF),
	  .help = "also write the comparison as JSON" },
	{ VB_CLI_JSON, "json", 0, REQ, "FILE", .verbs = V(RECOMMEND),
	  .help = "also write the recommendation as JSON" },
	{ VB_CLI_FOR, "for", 0, REQ, "COMPONENTS", .verbs = V(RECOMMEND),
	  .help = "the workload profile: web, database, broker,\n"
		  "docstore, triplestore, worker, middleware, cpu,\n"
		  "memory, network, disk, system (default: every\n"
		  "measured workload)" },
	{ VB_CLI_REQUIRE, "require", 0, REQ, "FEATURES", .verbs = V(RECOMMEND),
	  .help = "features a platform must have ('yes' in a features\n"
		  "run): checkpoint-restore, live-migration,\n"
		  "memory-overcommit, cpu-overcommit,\n"
		  "isolated-kernel-updates (custom-kernel), ..." },
	{ VB_CLI_WEIGHTS, "weights", 0, REQ, "FILE", .verbs = V(RECOMMEND),
	  .help = "criterion weights, lines 'NAME = NUMBER' (overhead 4,\n"
		  "operations 2, isolation 3, footprint 1 by default)" },
	{ VB_CLI_CSV, "csv", 0, REQ, "FILE", .verbs = VB_VERBS_RUN | V(SHOW),
	  .help = "also export the samples as CSV" },
	{ VB_CLI_REPORT, "report", 'o', REQ, "FILE", .verbs = MEASURING | V(STUDY),
	  .help = "also write the HTML report (see 'virtbench report')" },
	{ VB_CLI_OUTPUT, "output", 'o', REQ, "FILE", .verbs = V(REPORT),
	  .help = "the HTML file to write (its directory must exist)" },
	{ VB_CLI_STUDY, "study", 0, VB_ARG_NONE, .verbs = V(REPORT),
	  .help = "open with the study's section: the recommendation,\n"
		  "the study's conclusion and findings judged against\n"
		  "these runs (docs/study.md)" },
	{ VB_CLI_STUDY, "study", 0, VB_ARG_NONE, .verbs = V(RECOMMEND),
	  .help = "also judge the study's findings against the runs\n"
		  "(docs/study.md)" },
	{ VB_CLI_BASELINE, "baseline", 0, REQ, "FILE", .verbs = VB_VERBS_RUN,
	  .help = "compare the run with a results file (a --json\n"
		  "export): exit 1 on a regression (see 'virtbench diff')" },
	{ VB_CLI_TOLERANCE, "tolerance", 0, REQ, "PCT", VB_VAL_PCT, .rmin = 0, .rmax = 1000,
	  .verbs = VB_VERBS_RUN,
	  .help = "a regression is significantly worse by more than\n"
		  "PCT% (default 10)" },
	{ VB_CLI_TOLERANCE, "tolerance", 0, REQ, "PCT", VB_VAL_PCT, .rmin = 0, .rmax = INFINITY,
	  .verbs = V(DIFF),
	  .help = "a cell is a regression when B is significantly worse\n"
		  "and worse by more than PCT% (0: any significant\n"
		  "worsening); without it nothing is a regression" },

	/* The terminal. */
	{ VB_CLI_QUIET, "quiet", 'q', VB_ARG_NONE, .verbs = MEASURING | V(STUDY),
	  .help = "no progress line" },
	{ VB_CLI_VERBOSE, "verbose", 'v', VB_ARG_NONE, .verbs = VB_VERBS_RUN | V(ISOLATION),
	  .help = "log what the agents say" },
	{ VB_CLI_VERBOSE, "verbose", 'v', VB_ARG_NONE, .verbs = V(LIST),
	  .help = "workloads: each option's help too" },

	/* The agent (internal). */
	{ VB_CLI_FD, "fd", 0, REQ, "N", VB_VAL_COUNT, 0, 65535, .verbs = V(AGENT),
	  .help = "use the inherited descriptor N (a socket or a\n"
		  "serial port), not stdin and stdout" },
	{ VB_CLI_SYNC, "sync", 0, VB_ARG_NONE, .verbs = V(AGENT),
	  .help = "say hello only when the first sync message\n"
		  "arrives (a serial port loses what is written\n"
		  "before the host listens)" },
	{ VB_CLI_PEER, "peer", 0, REQ, "ADDR:PORT", .verbs = V(AGENT),
	  .help = "be the w3 peer: listen on ADDR:PORT (port 0: any),\n"
		  "print 'listening ADDR:PORT', serve until stdin\n"
		  "closes" },
	{ VB_CLI_RELAY, "relay", 0, REQ, "PORT", .verbs = V(AGENT),
	  .help = "relay the host's port PORT and a guest's console\n"
		  "CONSOLE until it hangs up; the boot log before the\n"
		  "agent's ready marker goes to stdout as 'LABEL| line'\n"
		  "(Xen's dom0, docs/xen.md)" },
	{ VB_CLI_HELP, "help", 'h', VB_ARG_NONE, .verbs = ALL_VERBS, .help = "this text" },
	{ 0 },
};

/* 4194304 as "4M": the largest binary unit that divides it. */
static void format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;
	while (v && u < 5 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}

static uint64_t max_of(const struct vb_cli_option *o)
{
	return o->max_now ? o->max_now() : o->max;
}

int vb_cli_bad_value(enum vb_verb verb, const struct vb_cli_option *o, const char *text)
{
	uint64_t min = o->min, max = max_of(o);
	const char *cmd = vb_cli_verbs[verb].name;
	const char *name = o->name;
	char lo[32], hi[32];
	switch (o->type) {
	case VB_VAL_COUNT:
		return vb_cli_usage_error(cmd,
					  "--%s wants a whole number from %llu to %llu, not "
					  "'%.64s'",
					  name, (unsigned long long)min, (unsigned long long)max,
					  text);
	case VB_VAL_SIZE:
		format_size(min, lo, sizeof(lo));
		format_size(max, hi, sizeof(hi));
		if (max == UINT64_MAX)
			return vb_cli_usage_error(
			    cmd, "--%s wants a size of at least %s, not '%.64s'", name, lo, text);
		return vb_cli_usage_error(cmd, "--%s wants a size from %s to %s, not '%.64s'", name,
					  lo, hi, text);
	case VB_VAL_REAL:
	case VB_VAL_PCT: {
		const char *what = o->type == VB_VAL_PCT ? "a percentage" : "a number";
		if (isinf(o->rmax))
			return vb_cli_usage_error(cmd, "--%s wants %s of at least %g, not '%.64s'",
						  name, what, o->rmin, text);
		return vb_cli_usage_error(cmd, "--%s wants %s from %g to %g, not '%.64s'", name,
					  what, o->rmin, o->rmax, text);
	}
	case VB_VAL_CHOICE: {
		/* "a|b|c" as "a, b or c" */
		char list[128] = "";
		size_t n = strlen(o->choices), at = 0;
		for (size_t i = 0; i < n && at + 4 < sizeof(list); i++) {
			if (o->choices[i] != '|') {
				list[at++] = o->choices[i];
				continue;
			}
			const char *sep = strchr(o->choices + i + 1, '|') ? ", " : " or ";
			at += (size_t)snprintf(list + at, sizeof(list) - at, "%s", sep);
		}
		list[at < sizeof(list) ? at : sizeof(list) - 1] = '\0';
		return vb_cli_usage_error(cmd, "--%s is %s, not '%.64s'", name, list, text);
	}
	case VB_VAL_TEXT:
		break;
	}
	return vb_cli_usage_error(cmd, "--%s: bad value '%.64s'", name, text);
}

int vb_cli_unexpected(enum vb_verb verb, const char *arg)
{
	return vb_cli_usage_error(vb_cli_verbs[verb].name, "unexpected argument '%.64s'", arg);
}

void vb_cli_parser_init(struct vb_cli_parser *p, enum vb_verb verb, int argc, char **argv)
{
	size_t n = 0, k = 0;
	for (const struct vb_cli_option *o = vb_cli_options; o->name; o++)
		n++;
	*p = (struct vb_cli_parser){ .verb = verb, .argc = argc, .argv = argv };
	p->longopts = xcalloc(n + 1, sizeof(*p->longopts));
	/* "+" stops at the first operand; ":" reports a missing value apart. */
	p->optstring = xcalloc(2 * n + 3, 1);
	char *s = p->optstring;
	if (vb_cli_verbs[verb].posix)
		*s++ = '+';
	*s++ = ':';
	for (size_t i = 0; i < n; i++) {
		const struct vb_cli_option *o = &vb_cli_options[i];
		if (!(o->verbs & (1u << verb)))
			continue;
		p->longopts[k++] = (struct option){ o->name,
						    o->arg == VB_ARG_NONE	? no_argument
						    : o->arg == VB_ARG_REQUIRED ? required_argument
										: optional_argument,
						    NULL, 256 + (int)i };
		if (o->letter) {
			*s++ = o->letter;
			if (o->arg == VB_ARG_REQUIRED)
				*s++ = ':';
		}
	}
	/* A fresh scan, whatever an earlier one (with another optstring) left. */
	optind = 0;
	opterr = 0;
}

void vb_cli_parser_release(struct vb_cli_parser *p)
{
	free(p->longopts);
	free(p->optstring);
	p->longopts = NULL;
	p->optstring = NULL;
}

/* The table entry of verb for a short option letter. */
static const struct vb_cli_option *by_letter(enum vb_verb verb, int c)
{
	for (const struct vb_cli_option *o = vb_cli_options; o->name; o++)
		if (o->letter == c && (o->verbs & (1u << verb)))
			return o;
	return NULL;
}

/* An option of other verbs than this one: say whose. */
static int elsewhere(enum vb_verb verb, const char *text)
{
	size_t len = strcspn(text + 2, "=");
	unsigned verbs = 0;
	for (const struct vb_cli_option *o = vb_cli_options; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, text + 2, len))
			verbs |= o->verbs;
	if (!verbs || (verbs & (1u << verb)))
		return 0;
	char list[256] = "";
	size_t at = 0;
	unsigned left = (unsigned)__builtin_popcount(verbs);
	for (int v = 0; v < VB_VERB_COUNT; v++) {
		if (!(verbs & (1u << v)))
			continue;
		left--;
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", vb_cli_verbs[v].name,
				       left > 1	   ? ", "
				       : left == 1 ? " and "
						   : "");
		if (at >= sizeof(list))
			break;
	}
	return vb_cli_usage_error(vb_cli_verbs[verb].name, "--%.*s is an option of %s, not of %s",
				  (int)len, text + 2, list, vb_cli_verbs[verb].name);
}

static int stop(struct vb_cli_parser *p, int code)
{
	p->exit = code;
	p->optind = optind;
	return -1;
}

int vb_cli_next(struct vb_cli_parser *p)
{
	const char *cmd = vb_cli_verbs[p->verb].name;
	p->opt = NULL;
	p->arg = NULL;
	p->u = 0;
	p->d = 0;
	int c = getopt_long(p->argc, p->argv, p->optstring, p->longopts, NULL);
	if (c == -1) {
		p->optind = optind;
		return VB_CLI_END;
	}
	if (c == ':') {
		if (optopt >= 256)
			return stop(p, vb_cli_usage_error(cmd, "--%s needs a value",
							  vb_cli_options[optopt - 256].name));
		return stop(p, vb_cli_usage_error(cmd, "-%c needs a value", optopt));
	}
	if (c == '?') {
		const char *text = p->argv[optind - 1];
		if (optopt > 0 && optopt < 256)
			return stop(p, vb_cli_usage_error(cmd, "unknown option '-%c'", optopt));
		/* getopt names the option that was given a value it does not take. */
		if (optopt >= 256)
			return stop(p, vb_cli_usage_error(cmd, "--%s takes no value",
							  vb_cli_options[optopt - 256].name));
		if (!strncmp(text, "--", 2) && text[2]) {
			int r = elsewhere(p->verb, text);
			if (r)
				return stop(p, r);
		}
		return stop(p, vb_cli_usage_error(cmd, "unknown option '%.64s'", text));
	}
	const struct vb_cli_option *o = c >= 256 ? &vb_cli_options[c - 256] : by_letter(p->verb, c);
	if (!o)
		VB_BUG("getopt returned an option the table does not have");
	p->opt = o;
	p->arg = optarg;
	/* getopt gives an optional value only as --name=V; the next argument that is no option is
	 * one too. */
	if (o->arg == VB_ARG_OPTIONAL && !p->arg && optind < p->argc && p->argv[optind][0] != '-')
		p->arg = p->argv[optind++];
	if (o->id == VB_CLI_HELP) {
		vb_cli_usage(p->verb, stdout);
		return stop(p, 0);
	}
	const char *t = p->arg;
	bool bad = false;
	switch (t ? o->type : VB_VAL_TEXT) {
	case VB_VAL_TEXT:
		break;
	case VB_VAL_COUNT:
		bad = vb_parse_u64(t, &p->u) || p->u < o->min || p->u > max_of(o);
		break;
	case VB_VAL_SIZE:
		bad = vb_parse_size(t, &p->u) || p->u < o->min || p->u > max_of(o);
		break;
	case VB_VAL_REAL:
	case VB_VAL_PCT: {
		_cleanup_free_ char *num = xstrdup(t);
		size_t n = strlen(num);
		if (o->type == VB_VAL_PCT && n && num[n - 1] == '%')
			num[n - 1] = '\0';
		bad = vb_parse_double(num, &p->d) || !(p->d >= o->rmin && p->d <= o->rmax);
		break;
	}
	case VB_VAL_CHOICE: {
		size_t len = strlen(t);
		bad = true;
		p->u = 0;
		for (const char *s = o->choices; s; s = strchr(s, '|'), p->u++) {
			if (*s == '|')
				s++;
			if (!strncmp(s, t, len) && (s[len] == '|' || !s[len])) {
				bad = false;
				break;
			}
		}
		break;
	}
	}
	if (bad)
		return stop(p, vb_cli_bad_value(p->verb, o, t));
	return (int)o->id;
}

/* Help lines after the first, under the help column. */
#define HELP_COLUMN 25

static void print_help(FILE *f, const char *left, const char *help)
{
	int len = (int)strlen(left);
	if (len <= HELP_COLUMN - 2)
		fprintf(f, "%-*s", HELP_COLUMN, left);
	else
		fprintf(f, "%s  ", left);
	for (const char *s = help; *s;) {
		size_t n = strcspn(s, "\n");
		fprintf(f, "%.*s\n", (int)n, s);
		s += n;
		if (*s == '\n' && *++s)
			fprintf(f, "%*s", HELP_COLUMN, "");
	}
}

void vb_cli_usage(enum vb_verb verb, FILE *f)
{
	const struct vb_cli_verb *v = &vb_cli_verbs[verb];
	fprintf(f, "usage: %s\n", v->synopsis);
	if (v->intro)
		fprintf(f, "\n%s\n", v->intro);
	bool first = true;
	for (const struct vb_cli_option *o = vb_cli_options; o->name; o++) {
		if (!(o->verbs & (1u << verb)))
			continue;
		if (first)
			fputc('\n', f);
		first = false;
		char left[64];
		snprintf(left, sizeof(left), "  %c%c%c --%s%s%s%s%s", o->letter ? '-' : ' ',
			 o->letter ? o->letter : ' ', o->letter ? ',' : ' ', o->name,
			 o->arg == VB_ARG_NONE ? "" : " ", o->arg == VB_ARG_OPTIONAL ? "[" : "",
			 o->arg == VB_ARG_NONE ? "" : o->metavar,
			 o->arg == VB_ARG_OPTIONAL ? "]" : "");
		print_help(f, left, o->help);
	}
	if (v->outro)
		fprintf(f, "\n%s\n", v->outro);
}
