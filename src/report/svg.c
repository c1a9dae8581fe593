/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "core/json.h"
#include "core/util.h"
#include "report/markup.h"
#include "report/svg.h"

/* Okabe–Ito (told apart with the common colour-vision deficiencies), then four of Tol's muted. */
static const char *const palette[] = { "#0072B2", "#E69F00", "#009E73", "#CC79A7",
				       "#56B4E9", "#D55E00", "#F0E442", "#555555",
				       "#882255", "#44AA99", "#999933", "#332288" };

#define FONT_W 6.2   /* average advance of an 11px sans-serif character */
#define TITLE_H 34.0 /* the title above the plot */
#define PLOT_H 170.0
#define RIGHT 16.0
#define LABEL_MAX 32 /* x labels are cut to this many characters */

/* Where everything goes: computed before anything is written. */
struct frame {
	double w, h;
	double left, top, pw, ph; /* the plot area */
	double lo, hi, step;	  /* the y scale and its tick step */
	double slot;		  /* width of one group */
	double x0;		  /* where the first group starts: the groups are centred */
	double labels_h;	  /* x labels and the x axis label */
	bool rotate;		  /* x labels slanted: they do not fit across */
	double legend_y;
};

static const char *colour(unsigned i)
{
	return palette[i % VB_ARRAY_SIZE(palette)];
}

static size_t nchars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static double text_w(const char *s)
{
	return (double)nchars(s) * FONT_W;
}

static double label_w(const char *s)
{
	size_t n = nchars(s);
	return (double)(n > LABEL_MAX ? LABEL_MAX : n) * FONT_W;
}

/* Write s escaped, cut to max characters with an ellipsis. */
static void escape_cut(FILE *f, const char *s, size_t max)
{
	if (nchars(s) <= max) {
		vb_html_escape(f, s);
		return;
	}
	size_t n = 0;
	const char *p = s;
	for (; *p; p++)
		if (((unsigned char)*p & 0xC0) != 0x80 && n++ == max - 1)
			break;
	_cleanup_free_ char *cut = xstrndup(s, (size_t)(p - s));
	vb_html_escape(f, cut);
	fputs("…", f);
}

static void extend(double *lo, double *hi, double v)
{
	if (!isfinite(v))
		return;
	*lo = fmin(*lo, v);
	*hi = fmax(*hi, v);
}

/* A y scale over [lo, hi] (base included by the caller) on 1-2-5 ticks. */
static void set_range(struct frame *fr, double lo, double hi, double base)
{
	bool positive = lo >= 0; /* no tick below 0 for data that never goes there (ratios) */
	if (!(hi > lo))
		hi = lo + (lo == 0 ? 1 : fabs(lo) * 0.1);
	double span = hi - lo;
	if (hi > base)
		hi += span * 0.05;
	if (lo < base)
		lo -= span * 0.05;
	double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw))), norm = raw / mag;
	fr->step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
	fr->lo = floor(lo / fr->step) * fr->step;
	fr->hi = ceil(hi / fr->step) * fr->step;
	if (positive && fr->lo < 0)
		fr->lo = 0;
}

static double y_of(const struct frame *fr, double v)
{
	return fr->top + fr->ph * (fr->hi - v) / (fr->hi - fr->lo);
}

static int nticks(const struct frame *fr)
{
	return (int)lround((fr->hi - fr->lo) / fr->step);
}

static double tick(const struct frame *fr, int k)
{
	double t = fr->lo + k * fr->step;
	return fabs(t) < fr->step * 1e-9 ? 0 : t;
}

/* Lay out the legend from y; writes it when f is not NULL. Returns its rows. */
static int legend(FILE *f, const struct vb_chart *c, double w, double y)
{
	double x = 8;
	int rows = c->nseries ? 1 : 0;
	for (size_t s = 0; s < c->nseries; s++) {
		double iw = 18 + text_w(c->series[s].label) + 12;
		if (x > 8 && x + iw > w - 8) {
			x = 8;
			rows++;
			y += 16;
		}
		if (f) {
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
				"fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">",
				x, y, colour(c->series[s].colour), x + 14, y + 9);
			vb_html_escape(f, c->series[s].label);
			fputs("</text>", f);
		}
		x += iw;
	}
	return rows;
}

/* Size the chart: tick labels set the left margin, x labels and the legend the bottom. */
static void layout(struct frame *fr, const struct vb_chart *c, double slot)
{
	char buf[32];
	double tickw = 0, maxl = 0;
	for (int k = 0; k <= nticks(fr); k++)
		tickw = fmax(tickw, text_w(vb_html_short(tick(fr, k), buf, sizeof(buf))));
	bool any = false;
	for (size_t g = 0; g < c->ngroups; g++) {
		any |= c->groups[g][0] != '\0';
		maxl = fmax(maxl, label_w(c->groups[g]));
	}
	fr->slot = slot;
	fr->rotate = maxl > slot - 6;
	fr->left = 30 + tickw;
	if (fr->rotate) /* slanted labels reach left of their group by cos 35° of their width */
		fr->left = fmax(fr->left, 0.82 * maxl - slot / 2 + 8);
	fr->top = TITLE_H;
	fr->ph = PLOT_H;
	fr->pw = fmax(160, slot * (double)c->ngroups);
	fr->x0 = fr->left + (fr->pw - slot * (double)c->ngroups) / 2;
	fr->labels_h = !any ? 6 : fr->rotate ? 16 + 0.58 * maxl : 20;
	if (c->xlabel)
		fr->labels_h += 16;
	fr->w = fmax(fr->left + fr->pw + RIGHT, 1.15 * text_w(c->title) + 16);
	fr->legend_y = fr->top + fr->ph + fr->labels_h + 6;
	fr->h = fr->legend_y + 16 * legend(NULL, c, fr->w, 0) + 4;
}

static void open_svg(FILE *f, const struct vb_chart *c, const struct frame *fr, const char *type)
{
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"%s\" "
		"data-run=\"%lld\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\"><title>",
		type, c->run, ceil(fr->w), ceil(fr->h), ceil(fr->w), ceil(fr->h));
	vb_html_escape(f, c->title);
	fputs("</title>\n<text class=\"title\" x=\"8\" y=\"18\">", f);
	vb_html_escape(f, c->title);
	fputs("</text>\n", f);
}

static void axis(FILE *f, const struct vb_chart *c, const struct frame *fr)
{
	char buf[32];
	fputs("<g class=\"axis\">", f);
	for (int k = 0; k <= nticks(fr); k++) {
		double y = y_of(fr, tick(fr, k));
		fprintf(
		    f,
		    "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
		    "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
		    fr->left, fr->left + fr->pw, y, y, fr->left - 4, y + 4,
		    vb_html_short(tick(fr, k), buf, sizeof(buf)));
	}
	fprintf(f, "<line class=\"axis-line\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
		fr->left, fr->left, fr->top, fr->top + fr->ph);
	fprintf(f,
		"<text class=\"unit\" text-anchor=\"middle\" "
		"transform=\"translate(12 %.1f) rotate(-90)\">",
		fr->top + fr->ph / 2);
	vb_html_escape(f, c->unit);
	fputs("</text></g>\n", f);
}

/* The line bars grow from: the axis, or a reference line (1.0 for ratios). */
static void base_line(FILE *f, const struct vb_chart *c, const struct frame *fr)
{
	double y = y_of(fr, c->base);
	fprintf(f, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n",
		c->ref ? "ref" : "axis-line", fr->left, fr->left + fr->pw, y, y);
}

static double group_x(const struct frame *fr, size_t g)
{
	return fr->x0 + ((double)g + 0.5) * fr->slot;
}

static void xlabels(FILE *f, const struct vb_chart *c, const struct frame *fr)
{
	double y = fr->top + fr->ph + 14;
	fputs("<g class=\"xlabels\">", f);
	for (size_t g = 0; g < c->ngroups; g++) {
		if (!c->groups[g][0])
			continue;
		double x = group_x(fr, g);
		if (fr->rotate)
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
				"transform=\"rotate(-35 %.1f %.1f)\"><title>",
				x, y, x, y);
		else
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\"><title>", x,
				y);
		vb_html_escape(f, c->groups[g]);
		fputs("</title>", f);
		escape_cut(f, c->groups[g], LABEL_MAX);
		fputs("</text>\n", f);
	}
	if (c->xlabel) {
		fprintf(f, "<text class=\"unit\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			fr->left + fr->pw / 2, fr->top + fr->ph + fr->labels_h - 4);
		vb_html_escape(f, c->xlabel);
		fputs("</text>", f);
	}
	fputs("</g>\n", f);
}

static void close_svg(FILE *f, const struct vb_chart *c, const struct frame *fr)
{
	xlabels(f, c, fr);
	fputs("<g class=\"legend\">", f);
	legend(f, c, fr->w, fr->legend_y);
	fputs("</g></svg>\n", f);
}

/* Open a mark's group: its data attributes and a tooltip with the numbers. */
static void open_mark(FILE *f, const struct vb_chart *c, const struct vb_mark *m, size_t g,
		      size_t s)
{
	char v[32], lo[32], hi[32];
	fputs("<g class=\"mark\"", f);
	vb_html_mark_attrs(f, c->run, m);
	fputs("><title>", f);
	vb_html_escape(f, c->series[s].label);
	if (c->groups[g][0]) {
		fputs(" · ", f);
		vb_html_escape(f, c->groups[g]);
	}
	fprintf(f, ": %s ", vb_html_short(m->value, v, sizeof(v)));
	vb_html_escape(f, c->unit);
	if (isfinite(m->low) && isfinite(m->high))
		fprintf(f, " (95%% CI %s – %s)", vb_html_short(m->low, lo, sizeof(lo)),
			vb_html_short(m->high, hi, sizeof(hi)));
	fputs("</title>", f);
}

static void error_bar(FILE *f, const struct frame *fr, double x, double low, double high)
{
	if (!isfinite(low) || !isfinite(high))
		return;
	double y1 = y_of(fr, low), y2 = y_of(fr, high);
	fprintf(f, "<path class=\"err\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\"/>", x,
		y1, y2, x - 4, y1, x + 4, x - 4, y2, x + 4);
}

static void missing(FILE *f, const struct frame *fr, double x, double at)
{
	fprintf(f, "<text class=\"missing\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">–</text>",
		x, y_of(fr, at) - 4);
}

/* A value label just beyond the end of the bar (or of its error bar). */
static void value_label(FILE *f, const struct frame *fr, double x, const struct vb_mark *m,
			double base)
{
	char buf[32];
	bool up = m->value >= base;
	double end = up ? fmax(m->value, isfinite(m->high) ? m->high : m->value)
			: fmin(m->value, isfinite(m->low) ? m->low : m->value);
	fprintf(f, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x,
		y_of(fr, end) + (up ? -4 : 11), vb_html_short(m->value, buf, sizeof(buf)));
}

static void bar(FILE *f, const struct vb_chart *c, const struct frame *fr, double x, double w,
		const struct vb_mark *m, size_t s)
{
	double y0 = y_of(fr, c->base), y1 = y_of(fr, m->value);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>", x,
		fmin(y0, y1), w, fmax(fabs(y1 - y0), 0.5), colour(c->series[s].colour));
	error_bar(f, fr, x + w / 2, m->low, m->high);
	value_label(f, fr, x + w / 2, m, c->base);
}

void vb_svg_bars(FILE *f, const struct vb_chart *c, const struct vb_mark *marks)
{
	char buf[32];
	double lo = c->base, hi = c->base, vw = 0;
	for (size_t i = 0; i < c->ngroups * c->nseries; i++) {
		if (!marks[i].kind)
			continue;
		extend(&lo, &hi, marks[i].value);
		extend(&lo, &hi, marks[i].low);
		extend(&lo, &hi, marks[i].high);
		vw = fmax(vw, text_w(vb_html_short(marks[i].value, buf, sizeof(buf))));
	}
	struct frame fr;
	set_range(&fr, lo, hi, c->base);
	double w = fmax(28, vw + 4); /* a bar is as wide as its value label */
	layout(&fr, c, (double)c->nseries * w + 16);
	open_svg(f, c, &fr, "bars");
	axis(f, c, &fr);
	fputs("<g class=\"marks\">", f);
	for (size_t g = 0; g < c->ngroups; g++) {
		for (size_t s = 0; s < c->nseries; s++) {
			const struct vb_mark *m = &marks[g * c->nseries + s];
			double x = fr.x0 + (double)g * fr.slot + 8 + (double)s * w;
			if (!m->kind)
				continue;
			open_mark(f, c, m, g, s);
			if (isfinite(m->value))
				bar(f, c, &fr, x + 2, w - 4, m, s);
			else
				missing(f, &fr, x + w / 2, c->base);
			fputs("</g>\n", f);
		}
	}
	fputs("</g>\n", f);
	base_line(f, c, &fr);
	close_svg(f, c, &fr);
}

/* The sum of a stack and the half-width of its interval; false when a part is missing. */
static bool stack_total(const struct vb_chart *c, const struct vb_mark *marks, size_t g,
			double *sum, double *half)
{
	double var = 0;
	bool whole = true;
	*sum = 0;
	for (size_t s = 0; s < c->nseries; s++) {
		const struct vb_mark *m = &marks[g * c->nseries + s];
		if (!m->kind)
			continue;
		if (!(isfinite(m->value) && m->value >= 0)) {
			whole = false;
			continue;
		}
		*sum += m->value;
		double h = (m->high - m->low) / 2;
		if (isfinite(h))
			var += h * h;
		else
			whole = false;
	}
	*half = sqrt(var);
	return whole;
}

static void stack_bar(FILE *f, const struct vb_chart *c, const struct frame *fr,
		      const struct vb_mark *marks, size_t g)
{
	char buf[32];
	double x = group_x(fr, g), sum, half, at = 0;
	for (size_t s = 0; s < c->nseries; s++) {
		const struct vb_mark *m = &marks[g * c->nseries + s];
		if (!m->kind)
			continue;
		open_mark(f, c, m, g, s);
		if (isfinite(m->value) && m->value >= 0) {
			double y1 = y_of(fr, at), y2 = y_of(fr, at + m->value);
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"40\" height=\"%.1f\" "
				"fill=\"%s\"/>",
				x - 20, y2, fmax(y1 - y2, 0.5), colour(c->series[s].colour));
			at += m->value;
		}
		fputs("</g>\n", f);
	}
	bool whole = stack_total(c, marks, g, &sum, &half);
	if (whole)
		error_bar(f, fr, x, sum - half, sum + half);
	fprintf(f, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
		x, y_of(fr, whole ? sum + half : at) - 4,
		whole ? vb_html_short(sum, buf, sizeof(buf)) : "–");
}

void vb_svg_stack(FILE *f, const struct vb_chart *c, const struct vb_mark *marks)
{
	double lo = 0, hi = 0, sum, half;
	for (size_t g = 0; g < c->ngroups; g++) {
		stack_total(c, marks, g, &sum, &half);
		extend(&lo, &hi, sum + half);
	}
	struct frame fr;
	set_range(&fr, lo, hi, 0);
	layout(&fr, c, 72);
	open_svg(f, c, &fr, "stack");
	axis(f, c, &fr);
	fputs("<g class=\"marks\">", f);
	for (size_t g = 0; g < c->ngroups; g++)
		stack_bar(f, c, &fr, marks, g);
	fputs("</g>\n", f);
	base_line(f, c, &fr);
	close_svg(f, c, &fr);
}

/* A series' polyline, broken where a point is missing. */
static void line_path(FILE *f, const struct vb_chart *c, const struct frame *fr,
		      const struct vb_mark *marks, size_t s, double dx)
{
	bool pen = false, any = false;
	for (size_t g = 0; g < c->ngroups; g++)
		any |= marks[g * c->nseries + s].kind && isfinite(marks[g * c->nseries + s].value);
	if (!any)
		return;
	fprintf(f, "<path class=\"line\" stroke=\"%s\" d=\"", colour(c->series[s].colour));
	for (size_t g = 0; g < c->ngroups; g++) {
		const struct vb_mark *m = &marks[g * c->nseries + s];
		bool ok = m->kind && isfinite(m->value);
		if (ok)
			fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M', group_x(fr, g) + dx,
				y_of(fr, m->value));
		pen = ok;
	}
	fputs("\"/>\n", f);
}

void vb_svg_lines(FILE *f, const struct vb_chart *c, const struct vb_mark *marks)
{
	double lo = c->base, hi = c->base, lw = 0;
	for (size_t i = 0; i < c->ngroups * c->nseries; i++) {
		if (!marks[i].kind)
			continue;
		extend(&lo, &hi, marks[i].value);
		extend(&lo, &hi, marks[i].low);
		extend(&lo, &hi, marks[i].high);
	}
	for (size_t g = 0; g < c->ngroups; g++)
		lw = fmax(lw, label_w(c->groups[g]));
	struct frame fr;
	set_range(&fr, lo, hi, c->base);
	layout(&fr, c, fmax(64, lw + 12));
	open_svg(f, c, &fr, "lines");
	axis(f, c, &fr);
	fputs("<g class=\"marks\">", f);
	for (size_t s = 0; s < c->nseries; s++) {
		/* Side by side, so that intervals at the same x do not hide each other. */
		double dx = ((double)s - ((double)c->nseries - 1) / 2) * 5;
		line_path(f, c, &fr, marks, s, dx);
		for (size_t g = 0; g < c->ngroups; g++) {
			const struct vb_mark *m = &marks[g * c->nseries + s];
			double x = group_x(&fr, g) + dx;
			if (!m->kind)
				continue;
			open_mark(f, c, m, g, s);
			if (isfinite(m->value)) {
				fprintf(f,
					"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>",
					x, y_of(&fr, m->value), colour(c->series[s].colour));
				error_bar(f, &fr, x, m->low, m->high);
			} else {
				missing(f, &fr, x, c->base);
			}
			fputs("</g>\n", f);
		}
	}
	fputs("</g>\n", f);
	base_line(f, c, &fr);
	close_svg(f, c, &fr);
}

/* The forest plot's geometry: rows down, the ratio across on a log scale. */
#define FOREST_ROW 15.0	    /* one platform's row */
#define FOREST_GAP 7.0	    /* between two metrics */
#define FOREST_PW 380.0	    /* the plot's width */
#define FOREST_VERDICT 96.0 /* the verdicts' column */
#define FOREST_MIN 1e-4	    /* the axis never reaches past these: a ratio is a ratio */
#define FOREST_MAX 1e4

struct forest_frame {
	double left, top, lo, hi, h, w; /* lo, hi: the axis's ends (ratios) */
};

static double forest_x(const struct forest_frame *fr, double v)
{
	v = fmin(fmax(v, fr->lo), fr->hi);
	return fr->left + FOREST_PW * log(v / fr->lo) / log(fr->hi / fr->lo);
}

static bool forest_has(const struct vb_mark *m)
{
	return isfinite(m->value) && m->value > 0;
}

static double forest_y(const struct vb_forest *fo, size_t i, double top)
{
	size_t groups = 0;
	for (size_t k = 1; k <= i; k++)
		groups += strcmp(fo->rows[k].group, fo->rows[k - 1].group) != 0;
	return top + (double)i * FOREST_ROW + (double)groups * FOREST_GAP + FOREST_ROW / 2;
}

/* The axis: 1, 2, 5 times the powers of ten within it, or the powers alone where those crowd. */
static void forest_axis(FILE *f, const struct vb_forest *fo, const struct forest_frame *fr,
			double bottom)
{
	char buf[32];
	int first = (int)floor(log10(fr->lo)), last = (int)ceil(log10(fr->hi));
	static const double steps[] = { 1, 2, 5 };
	size_t nsteps = log10(fr->hi / fr->lo) > 2.5 ? 1 : 3;
	fputs("<g class=\"axis\">", f);
	for (int e = first; e <= last; e++)
		for (size_t s = 0; s < nsteps; s++) {
			double t = steps[s] * pow(10, e);
			if (t < fr->lo * 0.999 || t > fr->hi * 1.001)
				continue;
			double x = forest_x(fr, t);
			fprintf(
			    f,
			    "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			    "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">%s</text>\n",
			    x, x, fr->top, bottom, x, bottom + 13,
			    vb_html_short(t, buf, sizeof(buf)));
		}
	fprintf(f, "<text class=\"unit\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		fr->left + FOREST_PW / 2, bottom + 28);
	vb_html_escape(f, fo->axis);
	fputs("</text></g>\n", f);
}

static void forest_row(FILE *f, const struct vb_forest *fo, const struct forest_frame *fr, size_t i,
		       double y)
{
	char v[32], lo[32], hi[32];
	const struct vb_forest_row *r = &fo->rows[i];
	const struct vb_chart_series *s = &fo->series[r->series];
	const char *verdict = r->verdict && vb_is_token(r->verdict, 32) ? r->verdict : "none";
	if (i == 0 || strcmp(r->group, fo->rows[i - 1].group)) {
		fprintf(f, "<text class=\"row\" x=\"8\" y=\"%.1f\"><title>", y + 4);
		vb_html_escape(f, r->group);
		fputs("</title>", f);
		escape_cut(f, r->group, (size_t)((fr->left - 16) / FONT_W));
		fputs("</text>\n", f);
	}
	fputs("<g class=\"mark\"", f);
	vb_html_mark_attrs(f, fo->run, &r->m);
	fprintf(f, " data-verdict=\"%s\"><title>", verdict);
	vb_html_escape(f, s->label);
	fputs(" · ", f);
	vb_html_escape(f, r->group);
	fprintf(f, ": ratio %s", vb_html_short(r->m.value, v, sizeof(v)));
	if (isfinite(r->m.low) && isfinite(r->m.high))
		fprintf(f, " (95%% CI %s – %s)", vb_html_short(r->m.low, lo, sizeof(lo)),
			vb_html_short(r->m.high, hi, sizeof(hi)));
	fprintf(f, ", %s</title>", verdict);
	if (forest_has(&r->m)) {
		if (isfinite(r->m.low) && isfinite(r->m.high) && r->m.low > 0)
			fprintf(f,
				"<path class=\"err\" d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f "
				"%.1fV%.1f\"/>",
				forest_x(fr, r->m.low), y, forest_x(fr, r->m.high),
				forest_x(fr, r->m.low), y - 3, y + 3, forest_x(fr, r->m.high),
				y - 3, y + 3);
		/* Emulated platforms hollow: their figures are TCG's, not a hypervisor's. */
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"%s\"/>",
			forest_x(fr, r->m.value), y, r->emulated ? "#fff" : colour(s->colour),
			colour(s->colour));
	} else {
		fprintf(f, "<text class=\"missing\" x=\"%.1f\" y=\"%.1f\">–</text>", fr->left + 4,
			y + 4);
	}
	fprintf(f, "<text class=\"verdict-%s\" x=\"%.1f\" y=\"%.1f\">%s</text></g>\n", verdict,
		fr->left + FOREST_PW + 10, y + 4, strcmp(verdict, "none") ? verdict : "–");
}

void vb_svg_forest(FILE *f, const struct vb_forest *fo)
{
	struct forest_frame fr = { .lo = 1, .hi = 1 };
	double labels = 0;
	for (size_t i = 0; i < fo->nrows; i++) {
		const struct vb_mark *m = &fo->rows[i].m;
		labels = fmax(labels, text_w(fo->rows[i].group));
		if (!forest_has(m))
			continue;
		extend(&fr.lo, &fr.hi, m->value);
		if (m->low > 0)
			extend(&fr.lo, &fr.hi, m->low);
		if (m->high > 0)
			extend(&fr.lo, &fr.hi, m->high);
	}
	if (fo->equivalence > 0 && fo->equivalence < 1) {
		extend(&fr.lo, &fr.hi, 1 - fo->equivalence);
		extend(&fr.lo, &fr.hi, 1 + fo->equivalence);
	}
	/* A margin of a tenth of the span each side, in log terms; at least 0.8 to 1.25. */
	double span = log(fr.hi / fr.lo);
	fr.lo = fmax(FOREST_MIN, fmin(fr.lo * exp(-0.1 * span), 0.8));
	fr.hi = fmin(FOREST_MAX, fmax(fr.hi * exp(0.1 * span), 1.25));
	fr.left = 16 + fmin(labels, 46 * FONT_W);
	fr.top = TITLE_H + 16;
	double bottom =
	    fo->nrows ? forest_y(fo, fo->nrows - 1, fr.top) + FOREST_ROW / 2 + 2 : fr.top;
	fr.w = fmax(fr.left + FOREST_PW + FOREST_VERDICT, 1.15 * text_w(fo->title) + 16);
	struct vb_chart c = {
		.run = fo->run, .title = fo->title, .series = fo->series, .nseries = fo->nseries
	};
	double legend_y = bottom + 38;
	fr.h = legend_y + 16 * legend(NULL, &c, fr.w, 0) + 4;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"forest\" "
		"data-run=\"%lld\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\"><title>",
		fo->run, ceil(fr.w), ceil(fr.h), ceil(fr.w), ceil(fr.h));
	vb_html_escape(f, fo->title);
	fputs("</title>\n<text class=\"title\" x=\"8\" y=\"18\">", f);
	vb_html_escape(f, fo->title);
	fputs("</text>\n", f);
	if (fo->equivalence > 0 && fo->equivalence < 1) {
		double x1 = forest_x(&fr, 1 - fo->equivalence),
		       x2 = forest_x(&fr, 1 + fo->equivalence);
		fprintf(f,
			"<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			"<title>equivalence margin: 1 ± %.4g%%</title></rect>\n",
			x1, fr.top, x2 - x1, bottom - fr.top, 100 * fo->equivalence);
	}
	forest_axis(f, fo, &fr, bottom);
	fprintf(f, "<line class=\"ref\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n",
		forest_x(&fr, 1), forest_x(&fr, 1), fr.top - 4, bottom);
	fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">verdict</text>\n",
		fr.left + FOREST_PW + 10, fr.top - 4);
	fputs("<g class=\"marks\">", f);
	for (size_t i = 0; i < fo->nrows; i++)
		forest_row(f, fo, &fr, i, forest_y(fo, i, fr.top));
	fputs("</g>\n<g class=\"legend\">", f);
	legend(f, &c, fr.w, legend_y);
	fputs("</g></svg>\n", f);
}
