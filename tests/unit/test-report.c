/* SPDX-License-Identifier: MIT */
/* The HTML report, rendered from hand-written export documents in tests/data/report. */
#include <math.h>
#include <sys/stat.h>

#include "core/json.h"
#include "core/util.h"
#include "report/markup.h"
#include "report/report.h"
#include "test.h"

static json_t *load(const char *name)
{
	_cleanup_free_ char *path = xasprintf("%s/report/%s", VB_TEST_DATA, name);
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	if (!doc)
		printf("# %s: %s\n", path, e.text);
	return doc;
}

/* Render the named fixtures into one report and return its text (NULL on failure). */
static char *render(const char *const *names, size_t n)
{
	char dir[] = "/tmp/vb-test-report.XXXXXX";
	if (!mkdtemp(dir))
		return NULL;
	_cleanup_free_ char *path = xasprintf("%s/r.html", dir);
	json_t *docs[4] = { NULL };
	struct vb_error *err = NULL;
	char *text = NULL;
	size_t len;
	bool loaded = true;
	for (size_t i = 0; i < n; i++)
		loaded &= (docs[i] = load(names[i])) != NULL;
	if (loaded && vb_report_html(docs, n, "virtbench report 7 -o 'r <1>.html'", path, &err))
		printf("# %s\n", err->msg);
	else if (loaded && vb_read_file(path, 16 << 20, &text, &len))
		text = NULL;
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	vb_error_free(&err);
	unlink(path);
	rmdir(dir);
	return text;
}

static char *render1(const char *name)
{
	const char *names[] = { name };
	return render(names, 1);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The attributes of one mark, as the report writes them. */
static char *mark(const char *platform, const char *workload, const char *metric, const char *kind,
		  double value)
{
	return xasprintf("data-platform=\"%s\" data-workload=\"%s\" data-metric=\"%s\" "
			 "data-kind=\"%s\" data-value=\"%.17g\"",
			 platform, workload, metric, kind, value);
}

static void test_structure(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	CHECK(!strncmp(h, "<!DOCTYPE html>\n<html", 21));
	CHECK(strstr(h, "</body></html>\n") &&
	      !strcmp(strstr(h, "</body></html>\n"), "</body></html>\n"));
	CHECK(count(h, "<svg") == count(h, "</svg>"));
	CHECK(count(h, "<svg") >= 10);
	CHECK(count(h, "<table") == count(h, "</table>"));
	CHECK(count(h, "<tr") == count(h, "</tr>"));
	CHECK(count(h, "<td") == count(h, "</td>"));
	CHECK(count(h, "<g") == count(h, "</g>"));
	CHECK(count(h, "<section") == 1);
	/* Self-contained: no script, no outside resource. */
	CHECK(!strstr(h, "<script"));
	CHECK(!strstr(h, "src="));
	CHECK(!strstr(h, "<link"));
	CHECK(count(h, "http") == count(h, "xmlns=\"http://www.w3.org/2000/svg\""));
	/* Header, fingerprint, the report command in the footer. */
	CHECK(strstr(h, "vb-00000007"));
	CHECK(strstr(h, "Example CPU @ 3.00GHz"));
	CHECK(strstr(h, "6.1.0-13-amd64"));
	CHECK(strstr(h, "QEMU emulator version 7.2.22"));
	CHECK(strstr(h, "<details><summary>"));
	CHECK(strstr(h, "&quot;hostname&quot;: &quot;bench-1&quot;"));
	CHECK(strstr(h, "<footer>") &&
	      strstr(strstr(h, "<footer>"), "virtbench report 7 -o &#39;r &lt;1&gt;.html&#39;"));
	CHECK(strstr(h, "class=\"overhead\""));
}

static void test_incomplete(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	_cleanup_free_ char *ok = render1("ops.json");
	CHECK(h && ok);
	if (!h || !ok)
		return;
	CHECK(strstr(h, "<p class=\"banner\" data-status=\"incomplete\">incomplete run"));
	CHECK(strstr(h, "(incomplete)</span></h2>"));
	CHECK(!strstr(ok, "class=\"banner\""));
}

static void test_escaping(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	CHECK(!strstr(h, "<script>"));
	CHECK(!strstr(h, "\"&<"));
	/* In text, in attributes, in the command and in a sample's error. */
	CHECK(count(h, "&lt;script&gt;&quot;&amp;") >= 6);
	CHECK(strstr(h, "data-workload=\"&lt;script&gt;&quot;&amp;\""));
	CHECK(strstr(h, "<h4>&lt;script&gt;&quot;&amp;</h4>"));
	CHECK(strstr(h, "agent said &lt;script&gt;&quot;&amp;"));
	CHECK(strstr(h, "-w &#39;&lt;script&gt;&quot;&amp;&#39;"));
	CHECK(strstr(h, "title=\"migrate to file &amp; back &lt;ok&gt;\""));
}

static void test_values(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	_cleanup_free_ char *mean = mark("container", "cpu.primes", "elapsed", "mean", 0.11);
	_cleanup_free_ char *ratio = mark("qemu-tcg", "cpu.primes", "rate", "ratio", 0.04);
	_cleanup_free_ char *n = mark("host", "cpu.primes", "elapsed", "n", 10);
	/* In the table and in the chart. */
	CHECK(count(h, mean) == 2);
	_cleanup_free_ char *ci =
	    xasprintf("%s data-low=\"%.17g\" data-high=\"%.17g\"", mean, 0.104, 0.116);
	CHECK(count(h, ci) == 2);
	CHECK(count(h, ratio) == 3); /* the table, the ratio chart, the overview */
	CHECK(count(h, n) == 1);
	/* The baseline has no ratio: the table says so, the ratio chart leaves it out. */
	_cleanup_free_ char *base = xasprintf(
	    "%s\">baseline</td>", "data-platform=\"host\" data-workload=\"cpu.primes\" "
				  "data-metric=\"elapsed\" data-kind=\"ratio\" data-value=\"null");
	CHECK(strstr(h, base));
	CHECK(strstr(h, "cpu.primes: elapsed, ratio to host"));
	/* A ratio's axis stops at 0: no tick below it (the rates' chart reaches 0.035). */
	const char *rates = strstr(h, "<title>cpu.primes: rate, ratio to host");
	const char *rates_end = rates ? strstr(rates, "</svg>") : NULL;
	const char *neg = rates ? strstr(rates, "text-anchor=\"end\">-") : NULL;
	CHECK(rates_end && (!neg || neg > rates_end));
	CHECK(strstr(h, "class=\"ref\""));
	/* The verdict with the resolution its interval reached. */
	CHECK(strstr(h, "class=\"verdict-slower\">slower <span class=\"small\">±"));
}

/* The mark of a platform's ratio in the overview, up to its end; NULL if missing. */
static char *forest_mark(const char *h, const char *platform, const char *workload,
			 const char *metric)
{
	const char *forest = strstr(h, "data-chart=\"forest\"");
	_cleanup_free_ char *attrs = xasprintf("data-platform=\"%s\" data-workload=\"%s\" "
					       "data-metric=\"%s\" data-kind=\"ratio\"",
					       platform, workload, metric);
	const char *m = forest ? strstr(forest, attrs) : NULL;
	const char *end = m ? strstr(m, "</g>") : NULL;
	return end ? xstrndup(m, (size_t)(end - m)) : NULL;
}

static double attr(const char *s, const char *name)
{
	_cleanup_free_ char *key = xasprintf(" %s=\"", name);
	const char *p = s ? strstr(s, key) : NULL;
	return p ? strtod(p + strlen(key), NULL) : NAN;
}

static void test_overview(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	/* First, before the table: one row per metric and platform that is not the baseline. */
	const char *forest = strstr(h, "data-chart=\"forest\"");
	CHECK(forest && forest < strstr(h, "<table class=\"overhead\""));
	CHECK(count(h, "data-chart=\"forest\"") == 1);
	CHECK_MSG(count(h, "data-verdict=") == 10, "%zu rows", count(h, "data-verdict="));
	CHECK(strstr(h, "Overview: every metric&#39;s ratio to host"));
	CHECK(strstr(h, "ratio to host (log scale)"));
	/* The verdicts as stored; emulated platforms hollow. */
	_cleanup_free_ char *slow = forest_mark(h, "qemu-tcg", "cpu.primes", "elapsed");
	_cleanup_free_ char *fast = forest_mark(h, "qemu-tcg", "cpu.primes", "rate");
	_cleanup_free_ char *near = forest_mark(h, "container", "cpu.primes", "rate");
	CHECK(slow && strstr(slow, "data-verdict=\"slower\"") && strstr(slow, "fill=\"#fff\""));
	CHECK(near && strstr(near, "data-verdict=\"indistinguishable\"") &&
	      !strstr(near, "fill=\"#fff\""));
	/* A log axis: 25 and 1/25 lie as far from 1 on either side. */
	const char *ref = forest ? strstr(forest, "<line class=\"ref\"") : NULL;
	double one = attr(ref, "x1"), a = attr(slow, "cx"), b = attr(fast, "cx");
	CHECK_MSG(isfinite(one) && a > one && b < one && fabs((a - one) - (one - b)) < 0.2,
		  "1 at %g, 25 at %g, 0.04 at %g", one, a, b);
	/* The equivalence margin shaded; a missing ratio shown as missing. */
	CHECK(strstr(h, "<title>equivalence margin: 1 ± 5%</title>"));
	_cleanup_free_ char *none =
	    forest_mark(h, "qemu-tcg", "&lt;script&gt;&quot;&amp;", "elapsed");
	CHECK(none && strstr(none, "class=\"missing\"") && !strstr(none, "<circle"));
	/* No ratio anywhere (one platform): no overview. */
	_cleanup_free_ char *ops = render1("ops.json");
	CHECK(ops && !strstr(ops, "data-chart=\"forest\""));
}

static void test_missing(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	const char *attrs =
	    "data-platform=\"qemu-tcg\" data-workload=\"&lt;script&gt;&quot;&amp;\" "
	    "data-metric=\"elapsed\" data-kind=\"mean\" data-value=\"null\"";
	_cleanup_free_ char *cell = xasprintf("%s>–</td>", attrs);
	CHECK(strstr(h, cell));
	/* The chart mark exists, shows "–" and draws no bar. */
	const char *g = strstr(h, "<g class=\"mark\" data-run=\"7\" data-platform=\"qemu-tcg\" "
				  "data-workload=\"&lt;script&gt;&quot;&amp;\" "
				  "data-metric=\"elapsed\" data-kind=\"mean\"");
	CHECK(g);
	if (g) {
		const char *end = strstr(g, "</g>");
		CHECK(strstr(g, "class=\"missing\"") && strstr(g, "class=\"missing\"") < end);
		CHECK(!strstr(g, "<rect") || strstr(g, "<rect") > end);
	}
	/* The stack of a platform with a missing part has no total. */
	CHECK(strstr(h, "text-anchor=\"middle\">–</text>"));
	CHECK(!strstr(h, "data-value=\"nan\"") && !strstr(h, "data-value=\"0\" data-low"));
}

static void test_emulated(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	/* Table rows, chart legends, x labels, the platforms table: never the bare name. */
	CHECK(count(h, "qemu-tcg (emulated)") >= 10);
	CHECK(strstr(h, "<td class=\"emulated\">qemu-tcg (emulated)</td>"));
	CHECK(strstr(h, ">qemu-tcg (emulated)</text>"));
	CHECK(!strstr(h, ">qemu-tcg<"));
	CHECK(!strstr(h, ">qemu-tcg:"));
	CHECK(!strstr(h, "container (emulated)"));
}

static void test_stacked(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	CHECK(count(h, "data-chart=\"stack\"") == 1);
	/* Three platforms × two w1 workloads with "elapsed". */
	CHECK(count(h, "data-kind=\"stack\"") == 6);
	_cleanup_free_ char *part = mark("qemu-tcg", "cpu.primes", "elapsed", "stack", 2.5);
	CHECK(strstr(h, part));
}

static void test_sweep(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	CHECK(h);
	if (!h)
		return;
	const char *svg = strstr(h, "data-chart=\"lines\"");
	CHECK(svg && count(h, "data-chart=\"lines\"") == 1);
	if (!svg)
		return;
	/* Sizes in size order although the run had 4MiB first. */
	const char *one = strstr(svg, "</title>1MiB</text>"),
		   *four = strstr(svg, "</title>4MiB</text>");
	CHECK(one && four && one < four);
	CHECK(strstr(svg, "mem.memcpy: bandwidth by size"));
	_cleanup_free_ char *pt =
	    mark("container", "mem.memcpy[size=1MiB]", "bandwidth", "mean", 11800);
	CHECK(strstr(svg, pt) && strstr(svg, pt) < strstr(svg, "</svg>"));
}

static void test_isolation(void)
{
	_cleanup_free_ char *h = render1("isolation.json");
	CHECK(h);
	if (!h)
		return;
	CHECK(strstr(h, "Isolation: slowdown under interference"));
	CHECK(strstr(h, "container: slowdown against container:alone"));
	_cleanup_free_ char *noisy = xasprintf(
	    "data-platform=\"container:noisy\" data-workload=\"cpu.primes\" "
	    "data-metric=\"elapsed\" "
	    "data-kind=\"slowdown\" data-value=\"25\" data-low=\"%.17g\" data-high=\"%.17g\"",
	    (1.1 - 1) * 100, (1.4 - 1) * 100);
	CHECK(count(h, noisy) == 2); /* chart and table */
	_cleanup_free_ char *bw =
	    xasprintf("data-platform=\"container:noisy\" data-workload=\"mem.memcpy\" "
		      "data-metric=\"bandwidth\" data-kind=\"slowdown\" data-value=\"%.17g\"",
		      (1 / 0.6666666666666666 - 1) * 100);
	CHECK(count(h, bw) == 2);
	CHECK(strstr(h, ">+25.0% [+10.0, +40.0]</td>"));
	CHECK(strstr(h, ">+50.0% [+35.1, +66.7]</td>"));
	/* No ratio stored: "–", not 0. */
	CHECK(strstr(
	    h, "data-platform=\"container:noisy+pin\" data-workload=\"mem.memcpy\" "
	       "data-metric=\"bandwidth\" data-kind=\"slowdown\" data-value=\"null\">–</td>"));
	/* The baseline is no condition of its own. */
	CHECK(!strstr(h, "data-platform=\"container:alone\" data-workload=\"cpu.primes\" "
			 "data-metric=\"elapsed\" data-kind=\"slowdown\""));
	CHECK(strstr(h, "class=\"isolation\""));
	CHECK(strstr(h, "cpu.primes: elapsed, ratio to :alone"));
}

static void test_ops(void)
{
	_cleanup_free_ char *h = render1("ops.json");
	CHECK(h);
	if (!h)
		return;
	const char *t = strstr(h, "<table class=\"ops\">");
	CHECK(t);
	if (!t)
		return;
	CHECK(strstr(t, "<th>provision_s (s)</th>"));
	CHECK(strstr(t, "<th>rss_bytes (bytes)</th>"));
	CHECK(strstr(t, "<td>qemu-tcg (emulated)</td>"));
	_cleanup_free_ char *boot = mark("qemu-tcg", "ops.lifecycle", "boot_s", "mean", 6.0);
	CHECK(strstr(t, boot));
	/* One chart per unit: seconds, bytes. */
	CHECK(strstr(h, "<title>ops.lifecycle: metrics in s</title>"));
	CHECK(strstr(h, "<title>ops.lifecycle: metrics in bytes</title>"));
	CHECK(!strstr(h, "Isolation:") && !strstr(h, "data-chart=\"stack\""));
	/* No ratio stored anywhere: no platform is called the baseline, no ratio chart. */
	CHECK(!strstr(h, ">baseline<") && !strstr(h, ", ratio to "));
}

static void test_middleware(void)
{
	_cleanup_free_ char *h = render1("middleware.json");
	CHECK(h);
	if (!h)
		return;
	const char *sec = strstr(h, "<h3>The middleware (the study's figures 4.19-4.26)</h3>");
	CHECK(sec);
	if (!sec)
		return;
	/* The study's order: document store, broker, triplestore (the run had no worker). */
	const char *d = strstr(sec, "<h4>mw.docstore: the document store");
	const char *b = strstr(sec, "<h4>mw.broker: the message broker");
	const char *t = strstr(sec, "<h4>mw.triplestore: the triplestore");
	CHECK(d && b && t && d < b && b < t);
	CHECK(!strstr(sec, "<h4>mw.worker"));
	CHECK(strstr(d, "(figures 4.19-4.21)") && strstr(b, "(figures 4.22-4.23)"));
	/* One chart per unit: the rates, then the times. */
	CHECK(strstr(sec, "<title>mw.broker: metrics in msg/s</title>"));
	CHECK(strstr(sec, "<title>mw.broker: metrics in s</title>"));
	CHECK(strstr(sec, "<title>mw.triplestore: metrics in obs/s</title>"));
	_cleanup_free_ char *pub = mark("host", "mw.broker", "publish_rate", "mean", 50265.9485);
	CHECK_MSG(strstr(b, pub), "%s", pub);
	/* A run without middleware has no such section. */
	_cleanup_free_ char *none = render1("overhead.json");
	CHECK(none && !strstr(none, "The middleware"));
}

static void test_features(void)
{
	_cleanup_free_ char *h = render1("overhead.json");
	_cleanup_free_ char *none = render1("ops.json");
	CHECK(h && none);
	if (!h || !none)
		return;
	const char *t = strstr(h, "<table class=\"features\">");
	CHECK(t);
	CHECK(!strstr(none, "class=\"features\""));
	if (!t)
		return;
	CHECK(strstr(t, "<th>live migration</th>"));
	CHECK(strstr(t, "data-platform=\"qemu-tcg\" data-feature=\"live migration\" "
			"data-kind=\"feature\" data-value=\"true\""));
	CHECK(strstr(t, ">yes<div class=\"how\">tested</div></td>"));
	CHECK(strstr(t, ">no<div class=\"how\">documented</div></td>"));
	/* host has no live-migration entry, qemu-tcg's nested value is null. */
	CHECK(strstr(t, "<th>live migration</th><td>–</td>"));
	CHECK(strstr(t, "data-value=\"null\" title=\"unknown\">–<div class=\"how\">probed</div>"));
}

static void test_several_runs(void)
{
	const char *names[] = { "overhead.json", "isolation.json", "ops.json" };
	_cleanup_free_ char *h = render(names, 3);
	CHECK(h);
	if (!h)
		return;
	CHECK(count(h, "<section") == 3);
	CHECK(strstr(h, "<a href=\"#run-7\">") && strstr(h, "id=\"run-8\"") &&
	      strstr(h, "id=\"run-9\""));
	CHECK(strstr(h, "<title>virtbench report: runs 7, 8, 9</title>"));
	CHECK(
	    strstr(h, "data-run=\"9\" data-platform=\"qemu-tcg\" data-workload=\"ops.lifecycle\""));
}

static void test_refused(void)
{
	char dir[] = "/tmp/vb-test-report.XXXXXX";
	CHECK(mkdtemp(dir));
	_cleanup_free_ char *path = xasprintf("%s/r.html", dir);
	_cleanup_free_ char *nodir = xasprintf("%s/missing/r.html", dir);
	json_t *bad = json_pack("{s:s, s:i}", "format", "something-else", "format_version", 1);
	json_t *good = load("ops.json");
	struct vb_error *err = NULL;
	struct stat st;
	CHECK(vb_report_html(&bad, 1, "x", path, &err) == -EINVAL);
	CHECK(err && strstr(err->msg, "not a virtbench-results export"));
	CHECK(stat(path, &st) < 0);
	vb_error_free(&err);
	CHECK(vb_report_html(&good, 1, "x", nodir, &err) == -ENOENT);
	CHECK(err && err->exit_code == 2 && strstr(err->msg, "cannot write"));
	vb_error_free(&err);
	json_decref(bad);
	json_decref(good);
	rmdir(dir);
}

static void test_helpers(void)
{
	char buf[32];
	CHECK(!strcmp(vb_html_short(11160, buf, sizeof(buf)), "11.16k"));
	CHECK(!strcmp(vb_html_short(0.0001234, buf, sizeof(buf)), "123.4µ"));
	CHECK(!strcmp(vb_html_short(0.25, buf, sizeof(buf)), "0.25"));
	CHECK(!strcmp(vb_html_short(-2.5e9, buf, sizeof(buf)), "-2.5G"));
	CHECK(!strcmp(vb_html_short(0, buf, sizeof(buf)), "0"));
	CHECK(!strcmp(vb_html_short(NAN, buf, sizeof(buf)), "–"));
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	vb_html_escape(f, "a<b>&\"'\x01\x7f\tz");
	fputc('|', f);
	vb_html_number(f, 0.1);
	fputc('|', f);
	vb_html_number(f, INFINITY);
	fclose(f);
	CHECK_MSG(
	    !strcmp(out, "a&lt;b&gt;&amp;&quot;&#39;&#xFFFD;&#xFFFD;\tz|0.10000000000000001|null"),
	    "%s", out);
	free(out);
}

TEST_MAIN(T(test_structure), T(test_overview), T(test_middleware), T(test_incomplete),
	  T(test_escaping), T(test_values), T(test_missing), T(test_emulated), T(test_stacked),
	  T(test_sweep), T(test_isolation), T(test_ops), T(test_features), T(test_several_runs),
	  T(test_refused), T(test_helpers))
