/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Linker sets: each DATA_SET() entry is a pointer placed in its own section
 * "set_<name>"; the linker provides __start_set_<name>/__stop_set_<name>.
 * The bounds are declared weak so that a set with no entries still links
 * (both symbols are then NULL and SET_FOREACH runs zero times).  Entries are
 * marked "used" and the sections are retained (SHF_GNU_RETAIN via "retain"
 * where the compiler has it) so --gc-sections and the sanitizers keep them.
 */
#ifndef _LINKER_SET_H_
#define _LINKER_SET_H_

#ifndef __CONCAT
#define __CONCAT1(x, y) x##y
#define __CONCAT(x, y) __CONCAT1(x, y)
#endif

#if defined(__has_attribute)
#if __has_attribute(retain)
#define __LS_RETAIN __attribute__((retain))
#endif
#endif
#ifndef __LS_RETAIN
#define __LS_RETAIN
#endif

#define __MAKE_SET(set, sym)                                                   \
	static void const *const __set_##set##_sym_##sym                        \
		__attribute__((section("set_" #set), used, aligned(sizeof(void *)))) \
		__LS_RETAIN = &(sym)

#define DATA_SET(set, sym) __MAKE_SET(set, sym)

#define SET_DECLARE(set, ptype)                                                \
	extern ptype *__CONCAT(__start_set_, set) __attribute__((weak));        \
	extern ptype *__CONCAT(__stop_set_, set) __attribute__((weak))

#define SET_BEGIN(set) (&__CONCAT(__start_set_, set))
#define SET_LIMIT(set) (&__CONCAT(__stop_set_, set))
#define SET_COUNT(set) ((size_t)(SET_LIMIT(set) - SET_BEGIN(set)))

#define SET_FOREACH(pvar, set) for (pvar = SET_BEGIN(set); pvar < SET_LIMIT(set); pvar++)

#endif /* _LINKER_SET_H_ */
