/* SPDX-License-Identifier: MIT */
/*
 * The study's findings judged against runs: a made-up findings file
 * (tests/data/study/findings.json) against the made-up runs of
 * tests/data/recommend, each verdict known in advance; the checks of a
 * findings document; and the built-in file (data/study-findings.json)
 * parses and is judged without a fault.
 */
#include "core/json.h"
#include "core/util.h"
#include "report/report.h"
#include "report/study.h"
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static json_t *load(const char *path)
{
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	if (!doc)
		printf("# %s: %s\n", path, e.text);
	return doc;
}

static json_t *docs[4];

static void load_runs(void)
{
	static const char *const names[] = { "compare", "ops", "isolation", "features" };
	for (size_t i = 0; i < 4; i++) {
		_cleanup_free_ char *p = xasprintf("%s/recommend/%s.json", VB_TEST_DATA, names[i]);
		docs[i] = load(p);
	}
}

static void free_runs(void)
{
	for (size_t i = 0; i < 4; i++)
		json_decref(docs[i]);
}

static json_t *parse_file(const char *path, struct vb_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (vb_read_file(path, 1 << 20, &text, &len))
		return NULL;
	json_t *out = NULL;
	vb_study_parse(text, len, &out, err);
	return out;
}

static enum vb_study_verdict verdict(const struct vb_study_judgement *j, const char *id)
{
	for (size_t i = 0; i < j->n; i++)
		if (!strcmp(json_string_value(json_object_get(j->f[i].f, "id")), id))
			return j->f[i].verdict;
	return (enum vb_study_verdict) - 1;
}

static void test_judge(void)
{
	struct vb_error *err = NULL;
	_cleanup_free_ char *path = xasprintf("%s/study/findings.json", VB_TEST_DATA);
	_cleanup_json_ json_t *f = parse_file(path, &err);
	CHECK_MSG(f, "%s", err ? err->msg : "unreadable");
	vb_error_free(&err);
	if (!f)
		return;
	load_runs();
	struct vb_study_judgement j;
	vb_study_judge(f, docs, 4, &j);
	CHECK(j.n == 9);
	/* Against the host, by the stored verdict: 0.86 [0.83, 0.89] is slower, not faster. */
	CHECK(verdict(&j, "fig-t.1") == VB_STUDY_DIFFERS);
	CHECK(verdict(&j, "fig-t.2") == VB_STUDY_AGREES);
	CHECK(verdict(&j, "fig-t.3") == VB_STUDY_PARTLY);
	/* Xen was in no compare run: not measured, never guessed. */
	CHECK(verdict(&j, "fig-t.4") == VB_STUDY_NOT_MEASURED);
	/* Platform against platform: intervals apart (ops means, isolation slowdowns). */
	CHECK(verdict(&j, "table-t.5") == VB_STUDY_AGREES);
	CHECK(verdict(&j, "fig-t.6") == VB_STUDY_AGREES);
	/* Features: live migration "no" here against the study's "yes"; kernels agree. */
	CHECK(verdict(&j, "table-t.7") == VB_STUDY_PARTLY);
	CHECK(verdict(&j, "fig-t.8") == VB_STUDY_UNMAPPED);
	/* 1.0 and 1.05, each ±3 %: the intervals overlap, nothing decided. */
	CHECK(verdict(&j, "ch7-1") == VB_STUDY_INCONCLUSIVE);
	CHECK(j.counts[VB_STUDY_AGREES] == 3 && j.counts[VB_STUDY_PARTLY] == 2);
	/* The evidence names the run and the figure. */
	CHECK(j.f[0].ncells == 1 && strstr(j.f[0].cells[0].evidence, "run 11") &&
	      strstr(j.f[0].cells[0].evidence, "0.86") &&
	      strstr(j.f[0].cells[0].evidence, "slower"));
	/* The study's printed number with this host's mean beside it (kvm boots in 2 s). */
	CHECK(j.f[4].nvalues == 1 && j.f[4].values[0].here && j.f[4].values[0].mean == 2.0 &&
	      j.f[4].values[0].run == 12);
	/* Without the runs everything mapped is not measured. */
	struct vb_study_judgement none;
	vb_study_judge(f, docs, 0, &none);
	CHECK(none.counts[VB_STUDY_NOT_MEASURED] == 8 && none.counts[VB_STUDY_UNMAPPED] == 1);
	vb_study_judgement_release(&none);
	vb_study_judgement_release(&j);
	free_runs();
}

/* The compare run with qemu-tcg renamed: name, and emulated or not. */
static json_t *renamed(const char *name, bool emu)
{
	_cleanup_free_ char *p = xasprintf("%s/recommend/compare.json", VB_TEST_DATA);
	json_t *d = load(p);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(d, "platforms"), i, x)
	{
		if (!strcmp(json_string_value(json_object_get(x, "name")), "qemu-tcg")) {
			json_object_set_new(x, "name", json_string(name));
			json_object_set_new(x, "emulated", json_integer(emu ? 2 : 0));
		}
	}
	json_array_foreach(json_object_get(d, "summaries"), i, x)
	{
		if (!strcmp(json_string_value(json_object_get(x, "platform")), "qemu-tcg"))
			json_object_set_new(x, "platform", json_string(name));
	}
	return d;
}

static void test_emulated_xen(void)
{
	struct vb_error *err = NULL;
	_cleanup_free_ char *path = xasprintf("%s/study/findings.json", VB_TEST_DATA);
	_cleanup_json_ json_t *f = parse_file(path, &err);
	vb_error_free(&err);
	if (!f)
		return;
	/* xen nested in QEMU/TCG (emulated): never the study's Xen. */
	json_t *nested = renamed("xen", true);
	struct vb_study_judgement j;
	vb_study_judge(f, &nested, 1, &j);
	CHECK(verdict(&j, "fig-t.4") == VB_STUDY_NOT_MEASURED);
	CHECK(j.f[3].ncells == 1 && strstr(j.f[3].cells[0].evidence, "emulated"));
	vb_study_judgement_release(&j);
	json_decref(nested);
	/* xen-local, a real dom0: the study's Xen (12x slower: the claim agrees). */
	json_t *dom0 = renamed("xen-local", false);
	vb_study_judge(f, &dom0, 1, &j);
	CHECK(verdict(&j, "fig-t.4") == VB_STUDY_AGREES);
	vb_study_judgement_release(&j);
	json_decref(dom0);
}

static void test_refused(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"format\":\"other\",\"format_version\":1,\"findings\":[]}",
		"{\"format\":\"virtbench-study-findings\",\"format_version\":2,\"findings\":[]}",
		"{\"format\":\"virtbench-study-findings\",\"format_version\":1,\"findings\":[]}",
		/* an id with a space */
		"{\"format\":\"virtbench-study-findings\",\"format_version\":1,\"findings\":[{"
		"\"id\":"
		"\"a "
		"b\",\"ref\":\"r\",\"section\":\"s\",\"title\":\"t\",\"quote\":\"q\",\"cells\":[]}]"
		"}",
		/* an unknown workload */
		"{\"format\":\"virtbench-study-findings\",\"format_version\":1,\"findings\":[{"
		"\"id\":"
		"\"a\",\"ref\":\"r\",\"section\":\"s\",\"title\":\"t\",\"quote\":\"q\",\"cells\":[{"
		"\"platform\":\"kvm\",\"workload\":\"cpu.nope\",\"metric\":\"x\",\"claim\":"
		"\"faster\"}"
		"]}]}",
		/* an unknown claim */
		"{\"format\":\"virtbench-study-findings\",\"format_version\":1,\"findings\":[{"
		"\"id\":"
		"\"a\",\"ref\":\"r\",\"section\":\"s\",\"title\":\"t\",\"quote\":\"q\",\"cells\":[{"
		"\"platform\":\"kvm\",\"workload\":\"cpu.primes\",\"metric\":\"elapsed\",\"claim\":"
		"\"better\"}]}]}",
		/* a control character in the quote */
		"{\"format\":\"virtbench-study-findings\",\"format_version\":1,\"findings\":[{"
		"\"id\":"
		"\"a\",\"ref\":\"r\",\"section\":\"s\",\"title\":\"t\",\"quote\":\"q\\u0007\","
		"\"cells\":[]}]}",
		/* the same id twice */
		"{\"format\":\"virtbench-study-findings\",\"format_version\":1,\"findings\":[{"
		"\"id\":"
		"\"a\",\"ref\":\"r\",\"section\":\"s\",\"title\":\"t\",\"quote\":\"q\",\"cells\":[]"
		"},"
		"{\"id\":\"a\",\"ref\":\"r\",\"section\":\"s\",\"title\":\"t\",\"quote\":\"q\","
		"\"cells\":[]}]}",
	};
	for (size_t i = 0; i < VB_ARRAY_SIZE(bad); i++) {
		struct vb_error *err = NULL;
		json_t *out = NULL;
		CHECK_MSG(vb_study_parse(bad[i], strlen(bad[i]), &out, &err) == -EINVAL && !out,
			  "%zu", i);
		CHECK(err && err->exit_code == 2);
		vb_error_free(&err);
	}
}

static void test_builtin(void)
{
	struct vb_error *err = NULL;
	_cleanup_json_ json_t *f = NULL;
	CHECK_MSG(vb_study_parse(vb_study_findings_json, vb_study_findings_json_len, &f, &err) == 0,
		  "%s", err ? err->msg : "");
	vb_error_free(&err);
	if (!f)
		return;
	/* Every figure the study numbers is there, and the conclusion's statements. */
	static const char *const ids[] = { "fig-4.1", "fig-4.19", "fig-4.26", "fig-6.2", "ch7-1" };
	const json_t *fs = json_object_get(f, "findings");
	for (size_t k = 0; k < VB_ARRAY_SIZE(ids); k++) {
		bool found = false;
		size_t i;
		const json_t *x;
		json_array_foreach(fs, i, x) found |=
		    !strcmp(json_string_value(json_object_get(x, "id")), ids[k]);
		CHECK_MSG(found, "%s", ids[k]);
	}
	load_runs();
	struct vb_study_judgement j;
	vb_study_judge(f, docs, 4, &j);
	CHECK(j.n == json_array_size(fs));
	vb_study_judgement_release(&j);
	free_runs();
}

/* The study report's first section over the made-up runs. */
static void test_report(void)
{
	load_runs();
	char dir[] = "/tmp/vb-test-study.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	_cleanup_free_ char *path = xasprintf("%s/s.html", dir);
	struct vb_error *err = NULL;
	CHECK(vb_report_html_study(docs, 4, "virtbench report --study", path, &err) == 0);
	vb_error_free(&err);
	_cleanup_free_ char *h = NULL;
	size_t len = 0;
	CHECK(vb_read_file(path, 16 << 20, &h, &len) == 0);
	unlink(path);
	rmdir(dir);
	free_runs();
	if (!h)
		return;
	/* First the study's section, then the runs; the answer and each component's. */
	const char *study = strstr(h, "id=\"study\""), *run = strstr(h, "id=\"run-11\"");
	CHECK(study && run && study < run);
	CHECK(strstr(h, "data-first=\"container\" data-robust=\"true\""));
	const char *broker = strstr(h, "data-component=\"broker\"");
	const char *docstore = strstr(h, "data-component=\"docstore\"");
	const char *web = strstr(h, "data-component=\"web\"");
	CHECK(broker && strstr(broker, "container, close") < strstr(broker, "</tr>"));
	CHECK(docstore && strstr(docstore, "container, robust") < strstr(docstore, "</tr>"));
	CHECK(web && strstr(web, "not measured") < strstr(web, "</tr>"));
	/* Table 5.1's kvm: the study's 532 s, and the stored mean beside it with its marks. */
	CHECK(strstr(h, "the study: kvm provision_s = 532 s; here: <span class=\"here\" "
			"data-run=\"12\" data-platform=\"kvm\" data-workload=\"ops.lifecycle\" "
			"data-metric=\"provision_s\" data-kind=\"mean\" data-value=\"0.4"));
	/* xen was measured by ops here (not emulated in the fixture); qemu-tcg is no study
	 * platform. */
	CHECK(strstr(h, "the study: xen provision_s = 718.5 s; here: <span class=\"here\""));
	/* Every built-in finding has its verdict cell. */
	_cleanup_json_ json_t *f = NULL;
	CHECK(vb_study_parse(vb_study_findings_json, vb_study_findings_json_len, &f, &err) == 0);
	vb_error_free(&err);
	size_t n = 0;
	for (const char *p = h; (p = strstr(p, "data-finding=")); p++)
		n++;
	CHECK_MSG(n == json_array_size(json_object_get(f, "findings")), "%zu cells", n);
}

TEST_MAIN(T(test_judge), T(test_report), T(test_emulated_xen), T(test_refused), T(test_builtin))
