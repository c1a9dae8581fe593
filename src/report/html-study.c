/* SPDX-License-Identifier: MIT */
/*
 * The study report's first section (docs/study.md): the recommendation,
 * the study's conclusion (ch. 7) judged, then every finding of the study
 * beside what these runs measured.
 */
#include <math.h>

#include "core/json.h"
#include "core/util.h"
#include "report/doc.h"
#include "report/html-views.h"
#include "report/markup.h"
#include "report/recommend.h"
#include "report/study.h"

static void esc(FILE *f, const char *s)
{
	vb_html_escape(f, s ? s : "");
}

static void verdict_td(FILE *f, const char *id, enum vb_study_verdict v)
{
	const char *name = vb_study_verdict_name(v);
	fputs("<td class=\"study-", f);
	for (const char *c = name; *c; c++)
		fputc(*c == ' ' ? '-' : *c, f);
	fputs("\" data-finding=\"", f);
	esc(f, id);
	fprintf(f, "\" data-verdict=\"%s\">%s</td>", name, name);
}

/* "[0.893, 1.120]", or "[no interval]"; a static buffer per call site is enough here. */
static const char *ends(double lo, double hi)
{
	static char buf[2][64];
	static int k;
	k ^= 1;
	if (isfinite(lo) && isfinite(hi))
		snprintf(buf[k], sizeof(buf[k]), "[%.3f, %.3f]", lo, hi);
	else
		snprintf(buf[k], sizeof(buf[k]), "[no interval]");
	return buf[k];
}

/* Per middleware component (and the whole middleware): the first, robust or close. */
static void per_component(FILE *f, json_t *const *docs, size_t n)
{
	static const char *const comps[] = { "web",	    "database", "broker",    "docstore",
					     "triplestore", "worker",	"middleware" };
	fputs("<table class=\"components\"><tr><th>component</th><th>recommendation</th></tr>\n",
	      f);
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++) {
		const char *const one[] = { comps[i], NULL };
		struct vb_rec_request req = { .components = one };
		vb_rec_default_weights(req.weights);
		struct vb_recommendation r;
		struct vb_error *err = NULL;
		fprintf(f, "<tr data-component=\"%s\"><td>%s</td><td>", comps[i], comps[i]);
		if (vb_recommend(docs, n, &req, &r, &err)) {
			fputs("<span class=\"small\">not measured in these runs</span>", f);
			vb_error_free(&err);
		} else {
			_cleanup_free_ char *answer = vb_recommendation_answer(&r);
			esc(f, answer);
			vb_recommendation_release(&r);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void recommendation(FILE *f, json_t *const *docs, size_t n)
{
	struct vb_rec_request req = { 0 };
	vb_rec_default_weights(req.weights);
	struct vb_recommendation r;
	struct vb_error *err = NULL;
	fputs("<h3>Recommendation</h3>\n", f);
	if (vb_recommend(docs, n, &req, &r, &err)) {
		fputs("<p class=\"small\">No recommendation: ", f);
		esc(f, err ? err->msg : "");
		fputs("</p>\n", f);
		vb_error_free(&err);
		return;
	}
	_cleanup_free_ char *answer = vb_recommendation_answer(&r);
	fputs("<p class=\"answer\" data-first=\"", f);
	esc(f, r.nranked ? r.p[0].name : "");
	fprintf(f, "\" data-robust=\"%s\">", r.robust ? "true" : "false");
	esc(f, answer);
	fputs("</p>\n<p class=\"small\">For every measured workload, the default weights "
	      "(overhead 4, operations 2, isolation 3, footprint 1); <code>virtbench "
	      "recommend</code> takes a profile, weights and required features "
	      "(docs/recommend.md). Score: the weighted geometric mean of the criteria, the first "
	      "= 1, [at the ends of the intervals].</p>\n<table class=\"recommend\"><tr><th>#</th>"
	      "<th>platform</th><th>score</th>",
	      f);
	for (int c = 0; c < VB_REC_NCRIT; c++)
		if (r.used[c])
			fprintf(f, "<th>%s</th>", vb_rec_criterion_name((enum vb_rec_criterion)c));
	fputs("</tr>\n", f);
	for (size_t i = 0; i < r.np; i++) {
		const struct vb_rec_platform *p = &r.p[i];
		fputs("<tr><td>", f);
		if (!p->excluded)
			fprintf(f, "%zu", i + 1);
		fputs("</td><td>", f);
		esc(f, p->name);
		if (p->emulated)
			fputs(" (emulated)", f);
		if (p->excluded) {
			fputs("</td><td colspan=\"6\">not ranked: ", f);
			esc(f, p->excluded);
			fputs("</td></tr>\n", f);
			continue;
		}
		fprintf(f, "</td><td class=\"num\">%.3f %s%s</td>", p->score,
			ends(p->score_low, p->score_high), p->close_to_next ? " close" : "");
		for (int c = 0; c < VB_REC_NCRIT; c++)
			if (r.used[c])
				fprintf(f, "<td class=\"num\">%.3f %s</td>", p->factor[c],
					ends(p->low[c], p->high[c]));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<p class=\"small\">Per middleware component (its workloads' overhead, "
	      "with the platform's operations, isolation and footprint):</p>\n",
	      f);
	vb_recommendation_release(&r);
	per_component(f, docs, n);
}

static void finding_row(FILE *f, const struct vb_study_finding *sf)
{
	const char *id = vb_html_str(sf->f, "id");
	fputs("<tr><td>", f);
	esc(f, vb_html_str(sf->f, "ref"));
	fputs("<br/><span class=\"small\">", f);
	esc(f, vb_html_str(sf->f, "section"));
	fputs("</span></td><td><b>", f);
	esc(f, vb_html_str(sf->f, "title"));
	fputs("</b><br/><q>", f);
	esc(f, vb_html_str(sf->f, "quote"));
	fputs("</q>", f);
	size_t k;
	const json_t *v;
	for (k = 0; k < sf->nvalues; k++) {
		const struct vb_study_value *sv = &sf->values[k];
		char num[32], lo[32], hi[32];
		v = sv->v;
		fputs("<br/><span class=\"small\">the study: ", f);
		esc(f, vb_html_str(v, "platform"));
		fputc(' ', f);
		esc(f, vb_html_str(v, "metric"));
		fprintf(f, " = %s ", vb_html_short(vb_html_num(v, "value"), num, sizeof(num)));
		esc(f, vb_html_str(v, "unit"));
		fputs("; here: ", f);
		if (sv->here) {
			/* The stored mean, as the report's marks carry it. */
			struct vb_mark m = { vb_html_str(v, "platform"),
					     vb_html_str(v, "workload"),
					     vb_html_str(v, "metric"),
					     "mean",
					     sv->mean,
					     sv->low,
					     sv->high };
			fputs("<span class=\"here\"", f);
			vb_html_mark_attrs(f, sv->run, &m);
			fprintf(f, ">%s [%s, %s] (run %lld)</span>",
				vb_html_short(sv->mean, num, sizeof(num)),
				vb_html_short(sv->low, lo, sizeof(lo)),
				vb_html_short(sv->high, hi, sizeof(hi)), sv->run);
		} else {
			fputs(sv->emulated ? "emulated only" : "not measured", f);
		}
		fputs("</span>", f);
	}
	fputs("</td><td>", f);
	if (!sf->ncells) {
		fputs("<span class=\"small\">", f);
		esc(f, vb_html_str(sf->f, "unmapped") ? vb_html_str(sf->f, "unmapped")
						      : "nothing virtbench measures maps to it");
		fputs("</span>", f);
	}
	/* Many claims: folded, their counts on the fold. */
	bool fold = sf->ncells > 4;
	if (fold) {
		unsigned n[VB_STUDY_UNMAPPED + 1] = { 0 };
		for (size_t c = 0; c < sf->ncells; c++)
			n[sf->cells[c].verdict]++;
		fprintf(f, "<details><summary>%zu claims:", sf->ncells);
		for (int k2 = 0; k2 <= VB_STUDY_UNMAPPED; k2++)
			if (n[k2])
				fprintf(f, " %u %s", n[k2],
					vb_study_verdict_name((enum vb_study_verdict)k2));
		fputs("</summary>", f);
	}
	for (size_t c = 0; c < sf->ncells; c++) {
		const struct vb_study_mark *mk = &sf->cells[c].mark;
		fputs(c ? "<br/>" : "", f);
		if (mk->kind) {
			/* The stored cell it was judged on, for machines (docs/report.md). */
			struct vb_mark m = { mk->platform, mk->workload, mk->metric, mk->kind,
					     mk->value,	   mk->low,	 mk->high };
			fputs("<span class=\"claim\"", f);
			vb_html_mark_attrs(f, mk->run, &m);
			fputs(">", f);
		}
		esc(f, sf->cells[c].claim);
		fputs(": <b>", f);
		esc(f, vb_study_verdict_name(sf->cells[c].verdict));
		fputs("</b> <span class=\"small\">(", f);
		esc(f, sf->cells[c].evidence);
		fputs(")</span>", f);
		if (mk->kind)
			fputs("</span>", f);
	}
	if (fold)
		fputs("</details>", f);
	fputs("</td>", f);
	verdict_td(f, id, sf->verdict);
	fputs("</tr>\n", f);
}

static void findings_table(FILE *f, const struct vb_study_judgement *j, bool conclusion)
{
	fputs("<table class=\"study\"><tr><th>where</th><th>the study</th><th>here</th>"
	      "<th>verdict</th></tr>\n",
	      f);
	for (size_t i = 0; i < j->n; i++) {
		const char *id = vb_html_str(j->f[i].f, "id");
		if (conclusion == (id && !strncmp(id, "ch7", 3)))
			finding_row(f, &j->f[i]);
	}
	fputs("</table>\n", f);
}

void vb_html_study(FILE *f, json_t *const *docs, size_t n)
{
	fputs("<section class=\"study\" id=\"study\">\n<h2>The study beside these runs</h2>\n", f);
	recommendation(f, docs, n);
	_cleanup_json_ json_t *findings = NULL;
	struct vb_error *err = NULL;
	if (vb_study_parse(vb_study_findings_json, vb_study_findings_json_len, &findings, &err)) {
		fputs("<p class=\"banner\">The study's findings could not be read: ", f);
		esc(f, err ? err->msg : "");
		fputs("</p>\n</section>\n", f);
		vb_error_free(&err);
		return;
	}
	struct vb_study_judgement j;
	vb_study_judge(findings, docs, n, &j);
	fprintf(f,
		"<h3>The study's conclusion (ch. 7)</h3>\n<p class=\"small\">Each statement of the "
		"study's conclusion, with the claims it makes judged against these runs: a claim "
		"against bare metal by the run's stored verdict (which holds its stated error "
		"rate); one platform against another only when their 95%% intervals do not "
		"overlap. Over every finding: %u agree, %u differ, %u partly, %u inconclusive, "
		"%u not measured here, %u not mapped.</p>\n",
		j.counts[VB_STUDY_AGREES], j.counts[VB_STUDY_DIFFERS], j.counts[VB_STUDY_PARTLY],
		j.counts[VB_STUDY_INCONCLUSIVE], j.counts[VB_STUDY_NOT_MEASURED],
		j.counts[VB_STUDY_UNMAPPED]);
	findings_table(f, &j, true);
	fputs("<h3>The study's findings (figs. 4.1–4.26, tables 5.1–5.5, figs. 6.2–6.5)</h3>\n"
	      "<p class=\"small\">The study's text as data (data/study-findings.json), "
	      "numbered as the study is; a platform or a run these runs do not hold is <i>not "
	      "measured</i>, never guessed.</p>\n",
	      f);
	findings_table(f, &j, false);
	fputs("</section>\n", f);
	vb_study_judgement_release(&j);
}
