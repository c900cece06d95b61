/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/* Stand-in for QEMU's QAPI-generated qapi-types-error.h: the error classes. */
#ifndef WDT_DM_QAPI_TYPES_ERROR_H
#define WDT_DM_QAPI_TYPES_ERROR_H

#include "qapi/qapi-builtin-types.h"

typedef enum QapiErrorClass {
	QAPI_ERROR_CLASS_GENERICERROR,
	QAPI_ERROR_CLASS_COMMANDNOTFOUND,
	QAPI_ERROR_CLASS_DEVICENOTACTIVE,
	QAPI_ERROR_CLASS_DEVICENOTFOUND,
	QAPI_ERROR_CLASS_KVMMISSINGCAP,
	QAPI_ERROR_CLASS__MAX,
} QapiErrorClass;

#endif
