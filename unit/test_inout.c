/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the port I/O table (core/inout.c, docs/design.rst §3-4): ranges,
 * refusal of taken ports, width validation, all-ones for unclaimed reads and
 * the linker-set ports that init_inout() registers (CONF1 at 0xcf8/0xcfc).
 */
#include <errno.h>

#include "inout.h"
#include "unit.h"

struct io_probe {
	int calls, in, port, bytes;
	uint32_t val;
};

static struct io_probe probe;

static int probe_handler(struct vmctx *ctx, int vcpu, int in, int port, int bytes,
			 uint32_t *eax, void *arg)
{
	struct io_probe *p = arg;

	(void)ctx, (void)vcpu;
	p->calls++;
	p->in = in;
	p->port = port;
	p->bytes = bytes;
	if (in)
		*eax = 0x5a;
	else
		p->val = *eax;
	return 0;
}

static struct inout_port mk(int port, int size, int flags)
{
	return (struct inout_port){"t", port, size, flags, probe_handler, &probe};
}

static int suite_init(void)
{
	return init_inout();
}

static int suite_cleanup(void)
{
	deinit_inout();
	return 0;
}

static void fresh(void)
{
	CU_ASSERT_EQUAL_FATAL(init_inout(), 0);
	probe = (struct io_probe){0};
}

static void test_bad_ranges_are_refused(void)
{
	struct inout_port bad[] = {
		mk(-1, 1, IOPORT_F_INOUT),  mk(0xffff, 2, IOPORT_F_INOUT),
		mk(0x100, 0, IOPORT_F_INOUT), mk(0x100, 1, 0),
		mk(0x100, 1, 0x8),
	};
	struct inout_port nohandler = mk(0x100, 1, IOPORT_F_INOUT);

	fresh();
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(register_inout(&bad[i]), -EINVAL);
	nohandler.handler = NULL;
	CU_ASSERT_EQUAL(register_inout(&nohandler), -EINVAL);
}

static void test_taken_ports_are_refused(void)
{
	struct inout_port a = mk(0x400, 8, IOPORT_F_INOUT);
	struct inout_port b = mk(0x407, 2, IOPORT_F_INOUT);
	struct inout_port c = mk(0x408, 2, IOPORT_F_INOUT);

	fresh();
	CU_ASSERT_EQUAL(register_inout(&a), 0);
	CU_ASSERT_EQUAL(register_inout(&b), -EEXIST);
	CU_ASSERT_EQUAL(register_inout(&c), 0); /* adjacent is fine */
	CU_ASSERT_EQUAL(register_inout(&a), -EEXIST);
}

static void test_every_port_of_a_range_dispatches(void)
{
	struct inout_port a = mk(0x400, 8, IOPORT_F_INOUT);
	uint32_t v;

	fresh();
	CU_ASSERT_EQUAL_FATAL(register_inout(&a), 0);
	for (int p = 0x400; p < 0x408; p++) {
		v = 0;
		CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, p, 1, &v), 0);
		CU_ASSERT_EQUAL(v, 0x5a);
		CU_ASSERT_EQUAL(probe.port, p);
	}
	v = 0x1234;
	CU_ASSERT_EQUAL(inout_access(NULL, 1, 0, 0x404, 2, &v), 0);
	CU_ASSERT_EQUAL(probe.val, 0x1234);
	CU_ASSERT_EQUAL(probe.bytes, 2);
	CU_ASSERT_EQUAL(probe.calls, 9);
}

static void test_unclaimed_in_is_all_ones(void)
{
	uint32_t v = 0;

	fresh();
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0x500, 1, &v), -ESRCH);
	CU_ASSERT_EQUAL(v, 0xff);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0x500, 2, &v), -ESRCH);
	CU_ASSERT_EQUAL(v, 0xffff);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0x500, 4, &v), -ESRCH);
	CU_ASSERT_EQUAL(v, 0xffffffff);
	v = 1;
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 0, 0x500, 4, &v), -ESRCH);
}

static void test_bad_widths_never_reach_the_handler(void)
{
	struct inout_port a = mk(0xfff0, 16, IOPORT_F_INOUT);
	uint32_t v = 0;

	fresh();
	CU_ASSERT_EQUAL_FATAL(register_inout(&a), 0);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0xfff0, 3, &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 0xffffffff);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0xfff0, 8, &v), -EINVAL);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0xfffe, 4, &v), -EINVAL); /* past 0xffff */
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0x10000, 1, &v), -EINVAL);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, -1, 1, &v), -EINVAL);
	CU_ASSERT_EQUAL(probe.calls, 0);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0xfffc, 4, &v), 0);
	CU_ASSERT_EQUAL(probe.calls, 1);
}

static void test_direction_flags_are_honoured(void)
{
	struct inout_port a = mk(0x600, 1, IOPORT_F_IN);
	uint32_t v = 7;

	fresh();
	CU_ASSERT_EQUAL_FATAL(register_inout(&a), 0);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 0, 0x600, 1, &v), -ESRCH);
	CU_ASSERT_EQUAL(probe.calls, 0);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0x600, 1, &v), 0);
	CU_ASSERT_EQUAL(probe.calls, 1);
}

static void test_unregister_frees_the_ports(void)
{
	struct inout_port a = mk(0x700, 4, IOPORT_F_INOUT);
	struct inout_port other = mk(0x701, 2, IOPORT_F_INOUT);
	uint32_t v = 0;

	fresh();
	CU_ASSERT_EQUAL_FATAL(register_inout(&a), 0);
	CU_ASSERT_EQUAL(unregister_inout(&other), -ENOENT); /* not that registration */
	CU_ASSERT_EQUAL(unregister_inout(&a), 0);
	CU_ASSERT_EQUAL(inout_access(NULL, 0, 1, 0x702, 1, &v), -ESRCH);
	CU_ASSERT_EQUAL(register_inout(&other), 0);
}

static void test_linker_set_ports_are_registered_by_init(void)
{
	struct inout_port conf1 = mk(0xcf8, 1, IOPORT_F_INOUT);
	struct inout_port data = mk(0xcff, 1, IOPORT_F_INOUT);

	fresh();
	CU_ASSERT_EQUAL(register_inout(&conf1), -EEXIST);
	CU_ASSERT_EQUAL(register_inout(&data), -EEXIST);
	deinit_inout();
	CU_ASSERT_EQUAL(register_inout(&conf1), 0);
	fresh();
}

UNIT_SUITE(inout, suite_init, suite_cleanup, UNIT_TEST(test_bad_ranges_are_refused),
	   UNIT_TEST(test_taken_ports_are_refused),
	   UNIT_TEST(test_every_port_of_a_range_dispatches),
	   UNIT_TEST(test_unclaimed_in_is_all_ones),
	   UNIT_TEST(test_bad_widths_never_reach_the_handler),
	   UNIT_TEST(test_direction_flags_are_honoured), UNIT_TEST(test_unregister_frees_the_ports),
	   UNIT_TEST(test_linker_set_ports_are_registered_by_init));
