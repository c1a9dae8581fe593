/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/runtime/nat.c: the ruleset a NAT run loads and the
 * parsing of `nft list tables` (tests/data/nft-list-tables.txt, captured
 * from nft 1.0.6 in a namespace holding tables of other families and names
 * close to ours) by which the sweep finds the tables of dead runs, and the
 * input filter of a run's bridge.
 */
#include "core/util.h"
#include "runtime/nat.h"
#include "test.h"

static void test_ruleset(void)
{
	_cleanup_free_ char *r = vb_nat_ruleset("vb-1a2b3c4d", "10.233.7.0/24");
	/* Replaced in one transaction: declared, deleted, made again. */
	static const char head[] = "table ip vb-1a2b3c4d\ndelete table ip vb-1a2b3c4d\n"
				   "table ip vb-1a2b3c4d {\n";
	CHECK(!strncmp(r, head, strlen(head)));
	CHECK(strstr(r, "ip saddr 10.233.7.0/24 oifname != \"vb-1a2b3c4d\" counter masquerade\n"));
	CHECK(strstr(r, "type nat hook postrouting priority srcnat; policy accept;"));
	CHECK(strstr(r, "type filter hook forward priority filter; policy accept;"));
	CHECK(strstr(r, "iifname \"vb-1a2b3c4d\" ip saddr != 10.233.7.0/24 counter drop\n"));
	/* Not into another run's bridge or outside namespace: only its own. */
	CHECK(strstr(r, "iifname \"vb-1a2b3c4d\" oifname \"vb-*\" oifname != "
			"\"vb-1a2b3c4d-out\" counter drop\n"));
	CHECK(strstr(r, "oifname \"vb-1a2b3c4d\" iifname != \"vb-1a2b3c4d\" ct state != { "
			"established, related } counter drop\n"));
	/* Only our table: no other table, no accept that could widen what passes. */
	CHECK(!strstr(r, "accept\n"));
	size_t tables = 0;
	for (const char *p = r; (p = strstr(p, "table ")); p++)
		tables++;
	CHECK_MSG(tables == 3, "%zu", tables);
}

static void test_parse_tables(void)
{
	_cleanup_free_ char *text = NULL;
	CHECK(vb_read_file(VB_TEST_DATA "/nft-list-tables.txt", 1 << 16, &text, NULL) == 0);
	if (!text)
		return;
	char tags[8][12];
	size_t n = vb_nat_parse_tables(text, tags, 8);
	CHECK_MSG(n == 3, "%zu", n);
	CHECK(n > 0 && !strcmp(tags[0], "vb-1a2b3c4d"));
	CHECK(n > 1 && !strcmp(tags[1], "vb-00c0ffee"));
	CHECK(n > 2 && !strcmp(tags[2], "vb-0123abcd"));
	/* max is respected; no trailing newline is needed. */
	CHECK(vb_nat_parse_tables(text, tags, 1) == 1);
	CHECK(vb_nat_parse_tables("table ip vb-00000001", tags, 8) == 1);
	CHECK(vb_nat_parse_tables("", tags, 8) == 0);
	CHECK(vb_nat_parse_tables("table ip vb-0000000", tags, 8) == 0);
	CHECK(vb_nat_parse_tables(" table ip vb-00000001\n", tags, 8) == 0);
}

/* The bridge's input filter (issue 13, item 7): only the peers' ports and replies pass. */
static void test_fw_ruleset(void)
{
	_cleanup_free_ char *r = vb_fw_ruleset("vb-1a2b3c4d");
	static const char head[] = "table inet vb-1a2b3c4d\ndelete table inet vb-1a2b3c4d\n"
				   "table inet vb-1a2b3c4d {\n";
	CHECK(!strncmp(r, head, strlen(head)));
	CHECK(strstr(r, "set peers {\n\t\ttype ipv4_addr . inet_service;\n"));
	CHECK(strstr(r, "type filter hook input priority filter; policy accept;"));
	/* In this order: replies, the peers' ports, then everything else from the bridge dropped.
	 */
	const char *est =
	    strstr(r, "iifname \"vb-1a2b3c4d\" ct state { established, related } accept\n");
	const char *peers =
	    strstr(r, "iifname \"vb-1a2b3c4d\" ip daddr . tcp dport @peers accept\n");
	const char *drop = strstr(r, "iifname \"vb-1a2b3c4d\" counter drop\n");
	CHECK(est && peers && drop && est < peers && peers < drop);
	/* Nothing but the bridge's traffic is touched. */
	size_t rules = 0;
	for (const char *p = r; (p = strstr(p, "iifname ")); p++)
		rules++;
	CHECK_MSG(rules == 3, "%zu", rules);
	CHECK(!strstr(r, "oifname"));
}

/* Input tables are found by the sweep too, a run with both tables once. */
static void test_parse_inet(void)
{
	char tags[8][12];
	size_t n = vb_nat_parse_tables("table inet vb-1a2b3c4d\ntable ip vb-1a2b3c4d\n"
				       "table inet vb-00c0ffee\ntable inet vb-00c0ffe\n",
				       tags, 8);
	CHECK_MSG(n == 2, "%zu", n);
	CHECK(n > 0 && !strcmp(tags[0], "vb-1a2b3c4d"));
	CHECK(n > 1 && !strcmp(tags[1], "vb-00c0ffee"));
}

TEST_MAIN({ "ruleset", test_ruleset }, { "parse tables", test_parse_tables },
	  { "input filter ruleset", test_fw_ruleset }, { "parse inet tables", test_parse_inet })
