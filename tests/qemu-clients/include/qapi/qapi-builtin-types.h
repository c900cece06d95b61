/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Stand-in for QEMU's QAPI-generated qapi-builtin-types.h: the QType
 * enumeration the qobject code switches on, in the order QEMU's QAPI schema
 * gives it, and its name table (defined in glue.c).
 */
#ifndef WDT_DM_QAPI_BUILTIN_TYPES_H
#define WDT_DM_QAPI_BUILTIN_TYPES_H

#include "qapi/util.h"

typedef enum QType {
	QTYPE_NONE,
	QTYPE_QNULL,
	QTYPE_QNUM,
	QTYPE_QSTRING,
	QTYPE_QDICT,
	QTYPE_QLIST,
	QTYPE_QBOOL,
	QTYPE__MAX,
} QType;

extern const QEnumLookup QType_lookup;
#define QType_str(val) qapi_enum_lookup(&QType_lookup, (val))

#endif
