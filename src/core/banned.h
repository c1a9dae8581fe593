/* SPDX-License-Identifier: MIT */
#ifndef VB_CORE_BANNED_H
#define VB_CORE_BANNED_H

/* Functions that invite overflows; use snprintf, xasprintf, memcpy with a length. */
#define VB_BANNED(f) sorry_##f##_is_banned_in_virtbench

#undef strcpy
#define strcpy(a, b) VB_BANNED(strcpy)
#undef strcat
#define strcat(a, b) VB_BANNED(strcat)
#undef sprintf
#define sprintf(...) VB_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) VB_BANNED(vsprintf)
#undef gets
#define gets(a) VB_BANNED(gets)
#undef strtok
#define strtok(a, b) VB_BANNED(strtok)

#endif
