/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proc.h"
#include "core/run.h"
#include "core/util.h"
#include "runtime/nat.h"

/* nft's answer as one line: its first "Error:" line, else its first line. */
static char *nft_reason(const char *out, int status)
{
	const char *line = strstr(out, "Error:");
	if (line)
		while (line > out && line[-1] != '\n')
			line--;
	else
		line = out + strspn(out, "\n");
	size_t len = strcspn(line, "\n");
	if (!len)
		return WIFEXITED(status) ? xasprintf("exit status %d", WEXITSTATUS(status))
					 : xasprintf("killed by signal %d", WTERMSIG(status));
	return xstrndup(line, len);
}

/* Run `nft -f -` with input on its stdin, or `nft list tables` when input is NULL. */
static int nft(const char *input, char **output, const char *what, struct vb_error **err)
{
	_cleanup_free_ char *path = vb_proc_which("nft");
	if (!path)
		return vb_error_set(err, VB_SKIP,
				    "nft: %s: not installed (Debian package nftables)", what);
	char *argv[] = { path, input ? "-f" : "list", input ? "-" : "tables", NULL };
	_cleanup_free_ char *out = NULL;
	int status;
	int r = input ? vb_proc_run_input(argv, input, 10000, 1 << 16, &out, &status, err)
		      : vb_proc_run(argv, 10000, 1 << 16, &out, &status, err);
	if (r)
		return vb_error_wrap(err, "nft: %s", what);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		_cleanup_free_ char *why = nft_reason(out, status);
		return vb_error_set(err, -EIO, "nft: %s: %s", what, why);
	}
	if (output)
		*output = steal_ptr(&out);
	return 0;
}

char *vb_nat_ruleset(const char *tag, const char *subnet)
{
	/*
	 * Declaring the table before deleting it makes the delete succeed
	 * whether or not it existed; the whole input is one transaction.
	 */
	return xasprintf(
	    "table ip %1$s\n"
	    "delete table ip %1$s\n"
	    "table ip %1$s {\n"
	    "\tchain postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\tip saddr %2$s oifname != \"%1$s\" counter masquerade\n"
	    "\t}\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy accept;\n"
	    "\t\tiifname \"%1$s\" ip saddr != %2$s counter drop\n"
	    "\t\tiifname \"%1$s\" oifname \"vb-*\" oifname != \"%1$s-out\" counter drop\n"
	    "\t\toifname \"%1$s\" iifname != \"%1$s\" ct state != { established, related } "
	    "counter drop\n"
	    "\t}\n"
	    "}\n",
	    tag, subnet);
}

/* "vb-" + 8 lowercase hex digits, the whole name. */
static bool run_tag(const char *s, size_t len)
{
	return len == 11 && !strncmp(s, "vb-", 3) && strspn(s + 3, "0123456789abcdef") == 8;
}

size_t vb_nat_parse_tables(const char *text, char (*tags)[12], size_t max)
{
	size_t n = 0;
	for (const char *line = text; *line && n < max;) {
		size_t len = strcspn(line, "\n");
		static const char *const prefixes[] = { "table ip ", "table inet " };
		for (size_t p = 0; p < VB_ARRAY_SIZE(prefixes); p++) {
			size_t plen = strlen(prefixes[p]);
			if (len <= plen || strncmp(line, prefixes[p], plen) ||
			    !run_tag(line + plen, len - plen))
				continue;
			/* A run with both tables is one tag. */
			bool seen = false;
			for (size_t i = 0; i < n && !seen; i++)
				seen = !strncmp(tags[i], line + plen, 11);
			if (!seen) {
				memcpy(tags[n], line + plen, 11);
				tags[n++][11] = '\0';
			}
		}
		line += len + (line[len] == '\n');
	}
	return n;
}

/* Delete the run's table of family ("ip": NAT, "inet": the bridge's input filter). */
static int table_delete(const char *family, const char *tag, struct vb_error **err)
{
	_cleanup_free_ char *in =
	    xasprintf("table %1$s %2$s\ndelete table %1$s %2$s\n", family, tag);
	_cleanup_free_ char *what = xasprintf("deleting table %s %s", family, tag);
	return nft(in, NULL, what, err);
}

/*
 * A table a run could not delete at its end: "<state>/<tag>.nat-left". Its
 * work directory goes with the run, after which nothing else would tell the
 * sweep that the table is this virtbench's own.
 */
static char *leftover_marker(const char *tag)
{
	return xasprintf("%s/%s.nat-left", vb_state_dir(), tag);
}

/*
 * "vb-1a2b3c4d.nat-left", as leftover_marker names them. The tag's digits
 * are not checked here: the sweep acts only on tables nft lists, whose
 * names vb_nat_parse_tables checked.
 */
static bool is_marker(const char *name)
{
	return strlen(name) == 11 + 9 && !strncmp(name, "vb-", 3) &&
	       !strcmp(name + 11, ".nat-left");
}

bool vb_nat_leftovers(void)
{
	DIR *d = opendir(vb_state_dir());
	struct dirent *e;
	bool any = false;
	while (d && !any && (e = readdir(d)))
		any = is_marker(e->d_name);
	if (d)
		closedir(d);
	return any;
}

int vb_nat_sweep(bool (*is_alive)(const char *tag, void *data), void *data, int *n,
		 struct vb_error **err)
{
	*n = 0;
	_cleanup_free_ char *path = vb_proc_which("nft");
	if (!path)
		return 0;
	_cleanup_free_ char *out = NULL;
	int r = nft(NULL, &out, "listing tables", err);
	if (r)
		return r;
	char tags[64][12];
	size_t k = vb_nat_parse_tables(out, tags, VB_ARRAY_SIZE(tags));
	for (size_t i = 0; i < k; i++) {
		_cleanup_free_ char *marker = leftover_marker(tags[i]);
		bool left = access(marker, F_OK) == 0;
		if ((left || !is_alive(tags[i], data)) && table_delete("ip", tags[i], NULL) == 0 &&
		    table_delete("inet", tags[i], NULL) == 0) {
			(*n)++;
			unlink(marker);
		}
	}
	/* Markers of tables that are gone already (deleted by hand, a reboot). */
	DIR *d = opendir(vb_state_dir());
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!is_marker(e->d_name))
			continue;
		bool listed = false;
		for (size_t i = 0; i < k && !listed; i++)
			listed = !strncmp(tags[i], e->d_name, 11);
		if (!listed)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	return 0;
}

int vb_nat_probe(struct vb_error **err)
{
	_cleanup_free_ char *path = vb_proc_which("nft");
	if (!path)
		return vb_error_set(err, VB_SKIP,
				    "--net nat needs the nft program (Debian package nftables)");
	return 0;
}

int vb_nat_table_create(const char *tag, const char *subnet, struct vb_error **err)
{
	_cleanup_free_ char *rules = vb_nat_ruleset(tag, subnet);
	return nft(rules, NULL, "creating the NAT table", err);
}

void vb_nat_table_delete(const char *tag)
{
	struct vb_error *e = NULL;
	/* Once more on failure (nft timing out on a loaded host), then leave word for the sweep. */
	if (table_delete("ip", tag, NULL) && table_delete("ip", tag, &e)) {
		_cleanup_free_ char *marker = leftover_marker(tag);
		vb_write_file_replace(marker, "", 0);
		vb_warn("%s; the next virtbench start deletes table ip %s", e->msg, tag);
	}
	vb_error_free(&e);
}

char *vb_fw_ruleset(const char *tag)
{
	/*
	 * inet: IPv4 and IPv6 (a guest could reach a host service bound to
	 * [::] through the bridge's link-local address). Replaced in one
	 * transaction, as the NAT table is.
	 */
	return xasprintf("table inet %1$s\n"
			 "delete table inet %1$s\n"
			 "table inet %1$s {\n"
			 "\tset peers {\n"
			 "\t\ttype ipv4_addr . inet_service;\n"
			 "\t}\n"
			 "\tchain input {\n"
			 "\t\ttype filter hook input priority filter; policy accept;\n"
			 "\t\tiifname \"%1$s\" ct state { established, related } accept\n"
			 "\t\tiifname \"%1$s\" ip daddr . tcp dport @peers accept\n"
			 "\t\tiifname \"%1$s\" counter drop\n"
			 "\t}\n"
			 "}\n",
			 tag);
}

static char fw_tag[16];

int vb_fw_run_create(const char *tag, struct vb_error **err)
{
	_cleanup_free_ char *path = vb_proc_which("nft");
	if (!path)
		return vb_error_set(err, VB_SKIP,
				    "a guest network needs the nft program to keep guests off the "
				    "host's services (Debian package nftables)");
	_cleanup_free_ char *rules = vb_fw_ruleset(tag);
	int r = nft(rules, NULL, "creating the bridge's input filter", err);
	if (!r)
		snprintf(fw_tag, sizeof(fw_tag), "%s", tag);
	return r;
}

int vb_fw_run_admit(const char *addr, unsigned port, struct vb_error **err)
{
	if (!fw_tag[0])
		return 0;
	struct in_addr a;
	if (inet_pton(AF_INET, addr, &a) != 1)
		return vb_error_set(err, -EINVAL, "the w3 peer's address %s is no IPv4 address",
				    addr);
	_cleanup_free_ char *in =
	    xasprintf("add element inet %s peers { %s . %u }\n", fw_tag, addr, port);
	return nft(in, NULL, "admitting the w3 peer's port", err);
}

void vb_fw_run_delete(void)
{
	if (!fw_tag[0])
		return;
	struct vb_error *e = NULL;
	if (table_delete("inet", fw_tag, NULL) && table_delete("inet", fw_tag, &e)) {
		_cleanup_free_ char *marker = leftover_marker(fw_tag);
		vb_write_file_replace(marker, "", 0);
		vb_warn("%s; the next virtbench start deletes table inet %s", e->msg, fw_tag);
	}
	vb_error_free(&e);
	fw_tag[0] = '\0';
}
