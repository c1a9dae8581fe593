/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_LOG_H
#define VB_CORE_LOG_H

enum vb_log_level {
	VB_LOG_ERROR,
	VB_LOG_WARN,
	VB_LOG_INFO,
	VB_LOG_DEBUG,
};

/* Messages at or below this level go to stderr (default VB_LOG_WARN). */
void vb_log_set_level(enum vb_log_level level);
enum vb_log_level vb_log_get_level(void);
void vb_log(enum vb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define vb_warn(...) vb_log(VB_LOG_WARN, __VA_ARGS__)
#define vb_info(...) vb_log(VB_LOG_INFO, __VA_ARGS__)
#define vb_debug(...) vb_log(VB_LOG_DEBUG, __VA_ARGS__)

#endif
