/* SPDX-License-Identifier: MIT */
#ifndef VB_CLI_OPTIONS_H
#define VB_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The command line as one table (fio's struct fio_option): every option of
 * every verb, with its argument, its check and its help. The same table gives
 * getopt_long its options, each verb its usage, and the man page and the
 * shell completions (docgen.c) their text; docs/architecture.md says how to
 * add an option.
 */

/* The verbs, in the order `virtbench --help` lists them. */
enum vb_verb {
	VB_VERB_COMPARE,
	VB_VERB_ISOLATION,
	VB_VERB_OPS,
	VB_VERB_SCALE,
	VB_VERB_CALIBRATE,
	VB_VERB_RUN,
	VB_VERB_LIST,
	VB_VERB_RUNS,
	VB_VERB_SHOW,
	VB_VERB_REPORT,
	VB_VERB_DIFF,
	VB_VERB_RECOMMEND,
	VB_VERB_STUDY,
	VB_VERB_FEATURES,
	VB_VERB_CONTAINER,
	VB_VERB_AGENT,
	VB_VERB_COUNT,
};

struct vb_cli_verb {
	const char *name;
	const char *summary;  /* one line for `virtbench --help` and the man page */
	const char *synopsis; /* after "usage: ", lines joined by '\n' */
	const char *intro;    /* what the verb does, before its options (NULL: none) */
	const char *outro;    /* after its options (NULL: none) */
	const char *operands; /* words the completions offer as operands (NULL: none) */
	bool posix;	      /* options end at the first operand (container run -- CMD) */
};
extern const struct vb_cli_verb vb_cli_verbs[VB_VERB_COUNT];

/* isolation's victims when neither -w nor --suite is given. */
#define VB_CLI_DEFAULT_VICTIMS "cpu.primes,mem.memcpy,disk.fileio,net.tcp"

/* The exit codes, as `virtbench --help` and the man page give them. */
extern const char vb_cli_exit_codes[];

/* What a verb's switch sees; one id may have several table entries (per verb). */
enum vb_cli_opt {
	VB_CLI_END = 0,
	VB_CLI_HELP,
	VB_CLI_PLATFORM,
	VB_CLI_WORKLOAD,
	VB_CLI_SUITE,
	VB_CLI_VCPUS,
	VB_CLI_MEMORY,
	VB_CLI_DISK,
	VB_CLI_CPUS,
	VB_CLI_PROFILE,
	VB_CLI_SET,
	VB_CLI_AGGRESSOR,
	VB_CLI_POLICY,
	VB_CLI_RUNS,
	VB_CLI_MIN_RUNS,
	VB_CLI_ROUNDS,
	VB_CLI_WARMUP,
	VB_CLI_RATE_GUESTS,
	VB_CLI_INSTANCES,
	VB_CLI_CI_TARGET,
	VB_CLI_TIME_BUDGET,
	VB_CLI_TIMEOUT,
	VB_CLI_EQUIVALENCE,
	VB_CLI_DB,
	VB_CLI_NO_STORE,
	VB_CLI_HOST,
	VB_CLI_JSON,
	VB_CLI_CSV,
	VB_CLI_REPORT,
	VB_CLI_OUTPUT,
	VB_CLI_NET,
	VB_CLI_USERNS,
	VB_CLI_KERNEL,
	VB_CLI_KERNEL_MODULES,
	VB_CLI_IMAGE,
	VB_CLI_CONTAINER_IMAGE,
	VB_CLI_CONTAINER_DISK,
	VB_CLI_NO_SECCOMP,
	VB_CLI_PLAN,
	VB_CLI_BASELINE,
	VB_CLI_TOLERANCE,
	VB_CLI_QUIET,
	VB_CLI_VERBOSE,
	VB_CLI_FD,
	VB_CLI_SYNC,
	VB_CLI_PEER,
	VB_CLI_RELAY,
	VB_CLI_FOR,
	VB_CLI_REQUIRE,
	VB_CLI_WEIGHTS,
	VB_CLI_STUDY,
	VB_CLI_PARTS,
	VB_CLI_RESUME,
};

enum vb_cli_arg { VB_ARG_NONE, VB_ARG_REQUIRED, VB_ARG_OPTIONAL };

/* How the argument is checked before the verb sees it. */
enum vb_cli_type {
	VB_VAL_TEXT,   /* as given: the verb checks it */
	VB_VAL_COUNT,  /* a whole number in [min, max] into u */
	VB_VAL_REAL,   /* a number in [rmin, rmax] into d */
	VB_VAL_PCT,    /* VB_VAL_REAL that may end in '%' */
	VB_VAL_SIZE,   /* a byte size (64K, 2GiB) in [min, max] into u */
	VB_VAL_CHOICE, /* one of choices ("quick|full"): its index into u */
};

#define VB_VERB_BIT(v) (1u << VB_VERB_##v)
/* run and its three variants share their options. */
#define VB_VERBS_RUN                                                                               \
	(VB_VERB_BIT(RUN) | VB_VERB_BIT(COMPARE) | VB_VERB_BIT(SCALE) | VB_VERB_BIT(CALIBRATE))

struct vb_cli_option {
	enum vb_cli_opt id;
	const char *name; /* long name, without "--" */
	char letter;	  /* short option, 0: none */
	enum vb_cli_arg
	    arg; /* VB_ARG_OPTIONAL: --name=V, or the next argument unless it is an option */
	const char *metavar; /* the argument in usage text: N, PCT, LIST, FILE ... */
	enum vb_cli_type type;
	uint64_t min, max;	   /* VB_VAL_COUNT, VB_VAL_SIZE */
	uint64_t (*max_now)(void); /* a max known only at run time (NULL: max) */
	double rmin, rmax;	   /* VB_VAL_REAL, VB_VAL_PCT (rmax INFINITY: no bound) */
	const char *choices;	   /* VB_VAL_CHOICE: "a|b|c" */
	unsigned verbs;		   /* VB_VERB_BIT()s of the verbs that take it */
	const char *help;	   /* lines joined by '\n', each at most 55 columns */
};
/* Every option, in usage order; ends with an entry whose name is NULL. */
extern const struct vb_cli_option vb_cli_options[];

/* One verb's getopt_long loop over the table. */
struct vb_cli_parser {
	enum vb_verb verb;
	int argc;
	char **argv;
	const struct vb_cli_option *opt; /* the option just returned */
	const char *arg;		 /* its argument as given (NULL: none) */
	uint64_t u;			 /* VB_VAL_COUNT, VB_VAL_SIZE, VB_VAL_CHOICE */
	double d;			 /* VB_VAL_REAL, VB_VAL_PCT */
	int exit;			 /* after VB_CLI_END < 0: the exit code */
	int optind;			 /* after the end: the first operand */
	struct option *longopts;
	char *optstring;
};

/* Start parsing argv (argv[0] is the verb) with verb's options; release with vb_cli_parser_release.
 */
void vb_cli_parser_init(struct vb_cli_parser *p, enum vb_verb verb, int argc, char **argv);
void vb_cli_parser_release(struct vb_cli_parser *p);

/*
 * The next option, checked as its table entry says: its id (> 0) with
 * p->arg, p->u and p->d set; 0 when the options end (p->optind is the first
 * operand); -1 when the verb is done: --help printed its usage on stdout
 * (p->exit 0), or bad input printed one line on stderr (p->exit 2).
 */
int vb_cli_next(struct vb_cli_parser *p);

/* The usage of verb: synopsis, intro, its options in table order, outro. */
void vb_cli_usage(enum vb_verb verb, FILE *f);

/*
 * The uniform wordings of bad option input, printed as a usage error of
 * verb; each returns VB_EXIT_USAGE. vb_cli_bad_value words the range or the
 * choices of o for a value text it does not take.
 */
int vb_cli_bad_value(enum vb_verb verb, const struct vb_cli_option *o, const char *text);
int vb_cli_unexpected(enum vb_verb verb, const char *arg);

/* `virtbench --man`: the man page virtbench(1) in roff. */
void vb_cli_man(FILE *f);
/* `virtbench --completion bash|zsh`: the completion script; -1 for another shell. */
int vb_cli_completion(const char *shell, FILE *f);

#endif
