/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the command line (src/cli/options.c): the input is
 * a verb (its first byte) and NUL-separated arguments. Every option the
 * parser returns belongs to that verb and holds a value its table entry
 * allows; bad input ends the verb with exit 2, --help with exit 0; nothing
 * else happens (no crash, no VB_BUG, no value out of range).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT 4096
#define MAX_ARGS 32

static void check(const struct vb_cli_parser *p, int id)
{
	const struct vb_cli_option *o = p->opt;
	if (!o || (int)o->id != id || !(o->verbs & (1u << p->verb)))
		abort();
	uint64_t max = o->max_now ? o->max_now() : o->max;
	switch (o->type) {
	case VB_VAL_COUNT:
	case VB_VAL_SIZE:
		if (p->u < o->min || p->u > max)
			abort();
		break;
	case VB_VAL_REAL:
	case VB_VAL_PCT:
		if (!isfinite(p->d) || p->d < o->rmin || p->d > o->rmax)
			abort();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		/* --help prints its usage on stdout; libFuzzer reports on stderr. */
		if (!freopen("/dev/null", "w", stdout))
			abort();
		quiet = true;
	}
	if (size < 1 || size > MAX_INPUT)
		return 0;
	enum vb_verb verb = (enum vb_verb)(data[0] % VB_VERB_COUNT);
	char *text = xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)vb_cli_verbs[verb].name;
	for (char *s = text; argc < MAX_ARGS && s < text + size - 1; s += strlen(s) + 1)
		argv[argc++] = s;
	argv[argc] = NULL;
	struct vb_cli_parser p;
	vb_cli_parser_init(&p, verb, argc, argv);
	int id;
	while ((id = vb_cli_next(&p)) > 0)
		check(&p, id);
	if (id < 0 && p.exit != 0 && p.exit != 2)
		abort();
	if (id == 0 && (p.optind < 1 || p.optind > argc))
		abort();
	vb_cli_parser_release(&p);
	free(text);
	return 0;
}
