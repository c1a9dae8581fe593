/* SPDX-License-Identifier: MIT */
/*
 * The features table (study tables 5.4-5.5): one row per feature, one
 * column per platform, each cell a value and a letter for how it was
 * determined; the legend and every cell's detail below it.
 */
#include "core/util.h"
#include "report/report.h"
#include "virtbench/feature.h"

#define DETAIL_WIDTH 100

static char how_letter(const char *how)
{
	for (int h = 0; h < VB_FH_COUNT; h++)
		if (how && !strcmp(how, vb_feature_how_name((enum vb_feature_how)h)))
			return "pbd"[h];
	return '?';
}

const char *vb_report_feature_cell(const char *value, const char *how, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%c)", value ? value : "?", how_letter(how));
	return buf;
}

static const char *title_of(const char *id)
{
	for (int f = 0; f < VB_FEATURE_COUNT; f++)
		if (!strcmp(id, vb_feature_id((enum vb_feature)f)))
			return vb_feature_title((enum vb_feature)f);
	return id;
}

/* The distinct values of one field, in order of first appearance. */
static size_t distinct(const struct vb_feature_row *rows, size_t n, bool platform, const char **out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = platform ? rows[i].platform : rows[i].feature;
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = !strcmp(out[j], v);
		if (!seen)
			out[k++] = v;
	}
	return k;
}

static const struct vb_feature_row *find(const struct vb_feature_row *rows, size_t n,
					 const char *feature, const char *platform)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].feature, feature) && !strcmp(rows[i].platform, platform))
			return &rows[i];
	return NULL;
}

/* After a head of `col` columns: text's words, wrapped at DETAIL_WIDTH under indent. */
static void wrap(FILE *f, const char *text, size_t col, const char *indent)
{
	size_t ind = strlen(indent);
	bool fresh = false; /* at the start of a continuation line */
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (!w)
			break;
		if (!fresh && col > ind && col + 1 + w > DETAIL_WIDTH) {
			fprintf(f, "\n%s", indent);
			col = ind;
			fresh = true;
		}
		if (!fresh) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += w;
		p += w;
		fresh = false;
	}
	fputc('\n', f);
}

void vb_report_features(FILE *f, const struct vb_feature_row *rows, size_t n)
{
	if (!n) {
		fputs("(no features)\n", f);
		return;
	}
	const char **plats = xcalloc(n, sizeof(char *));
	const char **feats = xcalloc(n, sizeof(char *));
	size_t np = distinct(rows, n, true, plats);
	size_t nf = distinct(rows, n, false, feats);
	int fw = (int)strlen("feature");
	for (size_t i = 0; i < nf; i++)
		if ((int)strlen(title_of(feats[i])) > fw)
			fw = (int)strlen(title_of(feats[i]));
	int cw = (int)strlen("unknown (d)");
	for (size_t j = 0; j < np; j++)
		if ((int)strlen(plats[j]) > cw)
			cw = (int)strlen(plats[j]);
	fprintf(f, "%-*s", fw, "feature");
	/* The last column unpadded: no trailing blanks. */
	for (size_t j = 0; j < np; j++)
		fprintf(f, "  %-*s", j + 1 < np ? cw : 0, plats[j]);
	fputc('\n', f);
	for (size_t i = 0; i < nf; i++) {
		fprintf(f, "%-*s", fw, title_of(feats[i]));
		for (size_t j = 0; j < np; j++) {
			const struct vb_feature_row *r = find(rows, n, feats[i], plats[j]);
			char cell[64];
			fprintf(f, "  %-*s", j + 1 < np ? cw : 0,
				r ? vb_report_feature_cell(r->value, r->how, cell, sizeof(cell))
				  : "-");
		}
		fputc('\n', f);
	}
	fputs("\n(p) probed: tried on this host; the detail says what was tried and what "
	      "happened\n"
	      "(b) by design: follows from how the platform works, whatever the host\n"
	      "(d) documented: from the platform's documentation, not tried here (the detail "
	      "says why)\n",
	      f);
	fputs("\ndetails:\n", f);
	for (size_t i = 0; i < nf; i++) {
		fprintf(f, "%s\n", title_of(feats[i]));
		for (size_t j = 0; j < np; j++) {
			const struct vb_feature_row *r = find(rows, n, feats[i], plats[j]);
			if (!r)
				continue;
			char head[128];
			int used = snprintf(head, sizeof(head), "  %s (%s, %s):", r->platform,
					    r->value, r->how);
			fputs(head, f);
			wrap(f, r->detail, used > 0 ? (size_t)used : 0, "      ");
		}
	}
	free(plats);
	free(feats);
}
