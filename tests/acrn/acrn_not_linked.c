/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * ACRN subsystems that `make acrn-test` does not link, because ACRN's PCI
 * core names them but the tested VM (no passthrough device, no LPC bridge,
 * no display, no vSBL, no ACPI tables written) never needs them.  Three are
 * called on every init_pci() and do what ACRN's do for such a VM: there are
 * no GSI sharing groups to build or violate, and without an LPC bridge
 * lpc_pirq_routed() returns at once.  The others abort if ever reached, so
 * a test can never pass through one of them unnoticed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "acpi.h"
#include "lpc.h"
#include "pci_core.h"
#include "sw_load.h"
#include "vdisplay.h"

static void not_linked(const char *what)
{
	fprintf(stderr, "acrn-test: %s reached, but it is not linked in this test\n", what);
	abort();
}

int create_gsi_sharing_groups(void)
{
	return 0; /* no passthrough device: no group */
}

int check_gsi_sharing_violation(void)
{
	return 0;
}

void lpc_pirq_routed(void)
{
	/* ACRN: returns when there is no LPC bridge */
}

char *lpc_pirq_name(int pin)
{
	(void)pin;
	not_linked("lpc_pirq_name (ACPI tables)");
	return NULL;
}

void dsdt_line(const char *fmt, ...)
{
	(void)fmt;
	not_linked("dsdt_line (ACPI tables)");
}

void dsdt_fixed_ioport(uint16_t iobase, uint16_t length)
{
	(void)iobase, (void)length;
	not_linked("dsdt_fixed_ioport (ACPI tables)");
}

void dsdt_indent(int levels)
{
	(void)levels;
	not_linked("dsdt_indent (ACPI tables)");
}

void dsdt_unindent(int levels)
{
	(void)levels;
	not_linked("dsdt_unindent (ACPI tables)");
}

int vdpy_parse_cmd_option(const char *opts)
{
	(void)opts;
	not_linked("vdpy_parse_cmd_option (display)");
	return -1;
}

void vsbl_set_bdf(int bnum, int snum, int fnum)
{
	(void)bnum, (void)snum, (void)fnum;
	not_linked("vsbl_set_bdf (vSBL loader)");
}
