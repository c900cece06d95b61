/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Linker sets under ACRN: wdt-dm's linker_set.h names (DATA_SET, SET_DECLARE,
 * SET_FOREACH) are ACRN's, and ACRN defines them in its types.h.
 */
#ifndef _LINKER_SET_H_
#define _LINKER_SET_H_

#include "types.h"

#endif /* _LINKER_SET_H_ */
