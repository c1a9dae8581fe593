/* SPDX-License-Identifier: MIT */
/*
 * The observation stream every middleware workload uses: deterministic from
 * (seed, i), so every platform stores and moves the same bytes. The fields
 * follow the Intelligent River's MoteStack observations (study ch. 3):
 * sensor, deployment, location, time, observed property, value and unit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "workload/mw/mw.h"

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static const struct {
	const char *property, *unit;
	double lo, hi;
} properties[] = {
	{ "water_temperature", "Cel", 4, 32 },
	{ "dissolved_oxygen", "mg/L", 2, 14 },
	{ "ph", "pH", 5.5, 9 },
	{ "conductivity", "uS/cm", 20, 900 },
	{ "turbidity", "NTU", 0, 400 },
	{ "water_level", "m", 0.2, 6 },
};

void vb_obs_key(uint64_t seed, uint64_t i, char buf[48])
{
	snprintf(buf, 48, "obs-%llu-%llu", (unsigned long long)seed, (unsigned long long)i);
}

void vb_obs_make(uint64_t seed, uint64_t i, struct vb_obs *o)
{
	uint64_t h = mix(seed ^ mix(i));
	unsigned sensor = (unsigned)(h % 96), deployment = sensor / 8;
	size_t np = sizeof(properties) / sizeof(properties[0]);
	size_t p = (size_t)((h >> 8) % np);
	double frac = (double)((h >> 16) % 1000000) / 1e6;
	o->value = properties[p].lo + frac * (properties[p].hi - properties[p].lo);
	o->property = properties[p].property;
	o->unit = properties[p].unit;
	/* Deployments along a river in South Carolina; sensors a few hundred metres apart. */
	o->lat = 33.0 + deployment * 0.071 + (sensor % 8) * 0.0021;
	o->lon = -82.0 - deployment * 0.053 - (sensor % 8) * 0.0017;
	time_t t = (time_t)(1356998400 + i * 15); /* 2013-01-01, a reading every 15 s */
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(o->time, sizeof(o->time), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vb_obs_key(seed, i, o->key);
	snprintf(o->sensor, sizeof(o->sensor), "mote-%03u", sensor);
	snprintf(o->deployment, sizeof(o->deployment), "river-%02u", deployment);
}

size_t vb_obs_json(uint64_t seed, uint64_t i, char *buf)
{
	struct vb_obs o;
	vb_obs_make(seed, i, &o);
	json_t *j =
	    json_pack("{s:s, s:s, s:s, s:{s:f, s:f}, s:s, s:s, s:f, s:s}", "key", o.key, "sensor",
		      o.sensor, "deployment", o.deployment, "location", "lat", o.lat, "lon", o.lon,
		      "time", o.time, "property", o.property, "value", o.value, "unit", o.unit);
	if (!j)
		abort();
	size_t n = json_dumpb(j, buf, VB_OBS_MAX, JSON_COMPACT | JSON_REAL_PRECISION(7));
	json_decref(j);
	if (n == 0 || n >= VB_OBS_MAX)
		abort();
	buf[n] = '\0';
	return n;
}

/* An xsd:decimal in its canonical form: no trailing zeros, no trailing point. */
static void decimal(char *buf, size_t n, double v, int digits)
{
	snprintf(buf, n, "%.*f", digits, v);
	char *end = buf + strlen(buf);
	while (end > buf && end[-1] == '0')
		*--end = '\0';
	if (end > buf && end[-1] == '.')
		*--end = '\0';
	if (!strcmp(buf, "-0"))
		strcpy(buf, "0");
}

#define IR "http://intelligentriver.org/"
#define SOSA "http://www.w3.org/ns/sosa/"
#define XSD "http://www.w3.org/2001/XMLSchema#"
#define GEO "http://www.w3.org/2003/01/geo/wgs84_pos#"
#define RDF_TYPE "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
#define RDFS_LABEL "<http://www.w3.org/2000/01/rdf-schema#label>"

size_t vb_obs_ntriples(const struct vb_obs *o, char *buf, size_t n)
{
	char value[32], lat[32], lon[32];
	decimal(value, sizeof(value), o->value, 6);
	decimal(lat, sizeof(lat), o->lat, 4);
	decimal(lon, sizeof(lon), o->lon, 4);
	int len =
	    snprintf(buf, n,
		     "<" IR "observation/%s> " RDF_TYPE " <" SOSA "Observation> .\n"
		     "<" IR "observation/%s> <" IR "key> \"%s\" .\n"
		     "<" IR "observation/%s> <" SOSA "madeBySensor> <" IR "sensor/%s> .\n"
		     "<" IR "observation/%s> <" SOSA "observedProperty> <" IR "property/%s> .\n"
		     "<" IR "observation/%s> <" SOSA "hasSimpleResult> \"%s\"^^<" XSD "decimal> .\n"
		     "<" IR "observation/%s> <" SOSA "resultTime> \"%s\"^^<" XSD "dateTime> .\n"
		     "<" IR "observation/%s> <" IR "unit> \"%s\" .\n"
		     "<" IR "observation/%s> <" GEO "lat> \"%s\"^^<" XSD "decimal> .\n"
		     "<" IR "observation/%s> <" GEO "long> \"%s\"^^<" XSD "decimal> .\n"
		     "<" IR "sensor/%s> " RDF_TYPE " <" SOSA "Sensor> .\n"
		     "<" IR "sensor/%s> <" IR "deployment> <" IR "deployment/%s> .\n"
		     "<" IR "property/%s> " RDF_TYPE " <" SOSA "ObservableProperty> .\n"
		     "<" IR "property/%s> " RDFS_LABEL " \"%s\" .\n",
		     o->key, o->key, o->key, o->key, o->sensor, o->key, o->property, o->key, value,
		     o->key, o->time, o->key, o->unit, o->key, lat, o->key, lon, o->sensor,
		     o->sensor, o->deployment, o->property, o->property, o->property);
	if (len < 0 || (size_t)len >= n)
		abort();
	return (size_t)len;
}

uint64_t vb_obs_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

double vb_mw_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int vb_mw_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

uint64_t vb_mw_num(const char *name, const char *text, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long v = text && *text >= '0' && *text <= '9' ? strtoull(text, &end, 10) : 0;
	if (!text || *text < '0' || *text > '9' || errno || *end || v < lo || v > hi) {
		fprintf(stderr, "error: %s: %s is not a number from %llu to %llu\n", name,
			text ? text : "(none)", (unsigned long long)lo, (unsigned long long)hi);
		exit(2);
	}
	return v;
}
