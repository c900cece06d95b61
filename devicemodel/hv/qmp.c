/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/* placeholder */
#include <stddef.h>
#include "qmp.h"

static struct qmp_vm_ops vm_ops;

void qmp_set_vm_ops(const struct qmp_vm_ops *ops)
{
	vm_ops = ops ? *ops : (struct qmp_vm_ops){0};
}
