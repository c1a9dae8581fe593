/* SPDX-License-Identifier: MIT */
/*
 * `virtbench features`: the study's tables 5.4-5.5 (operational features
 * and constraints per platform) filled by probing this host. Each platform
 * fills its own column (its ops' features: what can be tried is tried, what
 * follows from its design or only from its documentation says so); this
 * file reads the host once, asks each platform of the run in turn, and
 * stores the cells. Every file a probe makes is in the run's work
 * directory, which goes at the end.
 */
#include "agent/client.h"
#include "core/json.h"
#include "core/util.h"
#include "experiment/features.h"
#include "experiment/session.h"
#include "platform/features.h"
#include "virtbench/platform.h"

bool vb_features_platform_known(const char *name)
{
	const struct vb_platform_ops *p = vb_platform_find(name);
	return p && p->features;
}

static char *config_json(const struct vb_features_config *cfg)
{
	_cleanup_json_ json_t *o = json_object();
	json_t *p = json_array();
	for (size_t i = 0; i < cfg->nplatforms; i++)
		json_array_append_new(p, json_string(cfg->platforms[i]));
	json_object_set_new(o, "platforms", p);
	return vb_json_line(o);
}

int vb_features_run(const struct vb_features_config *cfg, struct vb_store *db, int64_t *run_id,
		    struct vb_error **err)
{
	struct vb_session s;
	*run_id = -1;
	for (size_t i = 0; i < cfg->nplatforms; i++)
		if (!vb_features_platform_known(cfg->platforms[i]))
			VB_BUG("features of unknown platform %s", cfg->platforms[i]);
	int r = vb_session_open(&s, db, NULL, 0, 0, false, err);
	if (r)
		return r;
	struct vb_features_host h = { .tag = s.tag, .work = s.work_dir };
	vb_features_host_init(&h);
	struct vb_feature_cell(*cells)[VB_FEATURE_COUNT] = xcalloc(cfg->nplatforms, sizeof(*cells));
	_cleanup_free_ char *config = config_json(cfg);
	r = vb_session_begin(&s, "features", cfg->command, NULL, config, err);
	*run_id = s.run_id;
	if (r)
		goto out;
	/* Every column is filled, its probes run, before any cell is stored. */
	for (size_t i = 0; !r && !vb_interrupted && i < cfg->nplatforms; i++) {
		const struct vb_platform_ops *p = vb_platform_find(cfg->platforms[i]);
		r = p->features(&h, cfg->named, cells[i]);
	}
	if (r == -EINTR || vb_interrupted) {
		r = vb_error_set(err, -EINTR,
				 "interrupted: run %s recorded no features, marked incomplete",
				 s.tag);
		goto out;
	}
	for (int f = 0; !r && f < VB_FEATURE_COUNT; f++)
		for (size_t i = 0; !r && i < cfg->nplatforms; i++) {
			const struct vb_feature_cell *c = &cells[i][f];
			struct vb_feature_row row = {
				.platform = (char *)cfg->platforms[i],
				.feature = (char *)vb_feature_id((enum vb_feature)f),
				.value = (char *)vb_feature_value_name(c->value),
				.how = (char *)vb_feature_how_name(c->how),
				.detail = c->detail ? c->detail : (char *)"",
			};
			r = vb_store_add_feature(db, *run_id, &row, err);
		}
out:
	for (size_t i = 0; i < cfg->nplatforms; i++)
		for (int f = 0; f < VB_FEATURE_COUNT; f++)
			free(cells[i][f].detail);
	free(cells);
	vb_features_host_release(&h);
	/* No samples: closing stores no summaries, only the status. */
	return vb_session_close(&s, NULL, 0, r, err);
}
