/* SPDX-License-Identifier: MIT */
/* The smallest pieces of the HTML report: escaping, numbers, marks and cells. */
#include <math.h>

#include "core/json.h"
#include "core/util.h"
#include "report/markup.h"

void vb_html_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c == '\'')
			fputs("&#39;", f);
		else if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			fputs("&#xFFFD;", f);
		else
			fputc(c, f);
	}
}

void vb_html_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("null", f);
}

const char *vb_html_short(double v, char *buf, size_t len)
{
	static const char *const prefix[] = { "p", "n", "µ", "m", "", "k", "M", "G", "T", "P" };
	double a = fabs(v);
	if (!isfinite(v)) {
		snprintf(buf, len, "–");
	} else if (a == 0 || (a >= 1e-3 && a < 9999.5)) {
		snprintf(buf, len, "%.4g", v);
	} else {
		int e = (int)floor(log10(a) / 3);
		e = e < -4 ? -4 : e > 5 ? 5 : e;
		snprintf(buf, len, "%.4g%s", v / pow(1000, e), prefix[e + 4]);
	}
	return buf;
}

static void attr(FILE *f, const char *name, const char *value)
{
	if (!value)
		return;
	fprintf(f, " %s=\"", name);
	vb_html_escape(f, value);
	fputc('"', f);
}

void vb_html_mark_attrs(FILE *f, long long run, const struct vb_mark *m)
{
	fprintf(f, " data-run=\"%lld\"", run);
	attr(f, "data-platform", m->platform);
	attr(f, "data-workload", m->workload);
	attr(f, "data-metric", m->metric);
	attr(f, "data-kind", m->kind);
	fputs(" data-value=\"", f);
	vb_html_number(f, m->value);
	fputc('"', f);
	if (!isfinite(m->low) && !isfinite(m->high))
		return;
	fputs(" data-low=\"", f);
	vb_html_number(f, m->low);
	fputs("\" data-high=\"", f);
	vb_html_number(f, m->high);
	fputc('"', f);
}

void vb_html_cell(FILE *f, long long run, const struct vb_mark *m, enum vb_html_style style)
{
	char v[32], lo[32], hi[32];
	bool interval = isfinite(m->low) && isfinite(m->high);
	fputs("<td class=\"num\"", f);
	vb_html_mark_attrs(f, run, m);
	if (interval)
		fprintf(f, " title=\"95%% CI %s – %s\"", vb_html_short(m->low, lo, sizeof(lo)),
			vb_html_short(m->high, hi, sizeof(hi)));
	fputc('>', f);
	if (!isfinite(m->value))
		fputs("–", f);
	else if (style == VB_HTML_PERCENT)
		fprintf(f, "%+.1f%%", m->value);
	else
		fputs(vb_html_short(m->value, v, sizeof(v)), f);
	if (isfinite(m->value) && interval && style == VB_HTML_PM)
		fprintf(f, " ± %s", vb_html_short((m->high - m->low) / 2, v, sizeof(v)));
	else if (isfinite(m->value) && interval && style == VB_HTML_PERCENT)
		fprintf(f, " [%+.1f, %+.1f]", m->low, m->high);
	else if (isfinite(m->value) && interval)
		fprintf(f, " [%s, %s]", lo, hi);
	fputs("</td>", f);
}

void vb_html_json_text(FILE *f, const json_t *v)
{
	if (json_is_string(v)) {
		vb_html_escape(f, json_string_value(v));
	} else if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "yes" : "no", f);
	} else if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		fprintf(f, "%.6g", json_real_value(v));
	} else if (!v || json_is_null(v)) {
		fputs("–", f);
	} else {
		_cleanup_free_ char *text = vb_json_line(v);
		vb_html_escape(f, text);
	}
}
