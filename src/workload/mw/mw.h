/* SPDX-License-Identifier: MIT */
#ifndef VB_MW_H
#define VB_MW_H

/*
 * virtbench-mw: the middleware workloads' clients (docs/middleware.md). A
 * program of its own, linked to the guest's shared libraries (rabbitmq-c,
 * libpq, jansson): libpq cannot be linked statically, so these clients
 * cannot ride inside the static agent. The agent runs it next to itself
 * (/sbin/virtbench-mw in a Debian root, beside virtbench-agent on the
 * host). It prints "NAME VALUE" lines for the agent to read, or one line
 * "error: WHAT" on stderr and exits 1.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One observation: a MoteStack-like sensor reading. */
struct vb_obs {
	char key[48];	      /* "obs-<seed>-<i>" */
	char sensor[16];      /* "mote-046" */
	char deployment[16];  /* "river-05" */
	double lat, lon;      /* degrees */
	char time[32];	      /* ISO 8601, UTC */
	const char *property; /* "water_temperature" */
	double value;
	const char *unit; /* "Cel" */
};

/* Observation i of the stream seeded with seed: the same on every platform. */
void vb_obs_make(uint64_t seed, uint64_t i, struct vb_obs *o);

/*
 * Observation i as compact JSON (~190 bytes), the same bytes on every
 * platform. Returns its length; buf holds at least VB_OBS_MAX bytes.
 */
#define VB_OBS_MAX 512
size_t vb_obs_json(uint64_t seed, uint64_t i, char *buf);

/*
 * The observation annotated as RDF (SOSA): 13 triples in N-Triples, one a
 * line, decimals in their canonical form. Returns the length; n must be at
 * least VB_OBS_NT_MAX.
 */
#define VB_OBS_NT_MAX 4096
size_t vb_obs_ntriples(const struct vb_obs *o, char *buf, size_t n);

/* Observation i's key: "obs-<seed>-<i>". */
void vb_obs_key(uint64_t seed, uint64_t i, char buf[48]);

/* FNV-1a (64 bit) of data: summed over messages, an order-free checksum. */
uint64_t vb_obs_hash(const void *data, size_t len);

/* Monotonic seconds. */
double vb_mw_now(void);

/* Print "error: ..." on stderr; returns -1. */
int vb_mw_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a decimal in [lo, hi] for option name; exits 2 with a message if not. */
uint64_t vb_mw_num(const char *name, const char *text, uint64_t lo, uint64_t hi);

/* The commands: argv after the command's name. Return the exit code. */
int vb_mw_broker(int argc, char **argv);
int vb_mw_docstore(int argc, char **argv);
int vb_mw_triplestore(int argc, char **argv);
int vb_mw_worker(int argc, char **argv);

#endif
