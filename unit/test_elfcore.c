/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the ELF core writer (core/elfcore.c, elfcore.h) and of the
 * dump options and start-up checks every watchdog device shares
 * (core/dm_action.c, core/dump.c): the header fields, the program headers
 * (one PT_NOTE, one PT_LOAD per range at its guest-physical address), the
 * notes QEMU's dump writes, the contents, and the error paths (bad
 * arguments, a full disk, a closed fd, the deadline).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dm_reset.h"
#include "elfcore.h"
#include "unit.h"
#include "vmctx.h"

#define LOW_SIZE (64 * 1024)
#define HIGH_SIZE (12 * 1024 * 1024) /* more than one 8 MiB chunk */
#define HIGH_GPA 0x100000000ULL

static uint8_t *low, *high;

static int suite_init(void)
{
	low = malloc(LOW_SIZE);
	high = malloc(HIGH_SIZE);
	if (!low || !high)
		return -1;
	for (size_t i = 0; i < LOW_SIZE; i++)
		low[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < HIGH_SIZE; i++)
		high[i] = (uint8_t)(i >> 12) ^ 0x5a;
	return 0;
}

static int suite_cleanup(void)
{
	free(low);
	free(high);
	return 0;
}

static int core_fd(void)
{
	return memfd_create("elfcore-test", MFD_CLOEXEC);
}

/* The whole file of fd (caller frees); *len its size. */
static uint8_t *slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *p = malloc(end > 0 ? (size_t)end : 1);

	*len = end > 0 ? (size_t)end : 0;
	if (p && pread(fd, p, *len, 0) != (ssize_t)*len) {
		free(p);
		return NULL;
	}
	return p;
}

static void test_core_header_segments_notes_and_contents(void)
{
	const struct elfcore_range r[2] = {{0, low, LOW_SIZE}, {HIGH_GPA, high, HIGH_SIZE}};
	uint64_t written;
	size_t len;
	int fd = core_fd();
	uint8_t *f;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	Elf64_Nhdr nh;
	uint64_t off;
	uint32_t v;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(elfcore_write(fd, r, 2, 2, NULL, &written), 0);
	f = slurp(fd, &len);
	close(fd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(len, written);
	CU_ASSERT_EQUAL(len, elfcore_size(r, 2, 2));
	memcpy(&eh, f, sizeof(eh));
	CU_ASSERT_EQUAL(memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
	CU_ASSERT_EQUAL(eh.e_ident[EI_CLASS], ELFCLASS64);
	CU_ASSERT_EQUAL(eh.e_ident[EI_DATA], ELFDATA2LSB);
	CU_ASSERT_EQUAL(eh.e_ident[EI_VERSION], EV_CURRENT);
	CU_ASSERT_EQUAL(eh.e_type, ET_CORE);
	CU_ASSERT_EQUAL(eh.e_machine, EM_X86_64);
	CU_ASSERT_EQUAL(eh.e_version, EV_CURRENT);
	CU_ASSERT_EQUAL(eh.e_phoff, sizeof(Elf64_Ehdr));
	CU_ASSERT_EQUAL(eh.e_phentsize, sizeof(Elf64_Phdr));
	CU_ASSERT_EQUAL(eh.e_phnum, 3);
	CU_ASSERT_EQUAL(eh.e_shnum, 0);
	memcpy(ph, f + eh.e_phoff, sizeof(ph));
	CU_ASSERT_EQUAL(ph[0].p_type, PT_NOTE);
	CU_ASSERT_EQUAL(ph[0].p_offset, sizeof(eh) + sizeof(ph));
	/* per vCPU: CORE/NT_PRSTATUS (12 + 8 + 336), then per vCPU QEMU (12 + 8 + 440) */
	CU_ASSERT_EQUAL(ph[0].p_filesz, 2 * (12 + 8 + 336) + 2 * (12 + 8 + 440));
	off = ph[0].p_offset + ph[0].p_filesz;
	for (int i = 1; i < 3; i++) {
		CU_ASSERT_EQUAL(ph[i].p_type, PT_LOAD);
		CU_ASSERT_EQUAL(ph[i].p_paddr, r[i - 1].gpa);
		CU_ASSERT_EQUAL(ph[i].p_vaddr, r[i - 1].gpa); /* QEMU 7.2 without paging */
		CU_ASSERT_EQUAL(ph[i].p_filesz, r[i - 1].size);
		CU_ASSERT_EQUAL(ph[i].p_memsz, r[i - 1].size);
		CU_ASSERT_EQUAL(ph[i].p_offset, off);
		if (ph[i].p_offset + ph[i].p_filesz <= len)
			CU_ASSERT_EQUAL(memcmp(f + ph[i].p_offset, r[i - 1].host, r[i - 1].size), 0);
		off += r[i - 1].size;
	}
	CU_ASSERT_EQUAL(off, len);
	/* the notes: CORE for vCPU 0 and 1 (pid 1 and 2), then QEMU version 1 */
	off = ph[0].p_offset;
	for (int i = 0; i < 4; i++) {
		memcpy(&nh, f + off, sizeof(nh));
		CU_ASSERT_EQUAL(nh.n_namesz, 5);
		CU_ASSERT_STRING_EQUAL((const char *)f + off + 12, i < 2 ? "CORE" : "QEMU");
		CU_ASSERT_EQUAL(nh.n_type, i < 2 ? NT_PRSTATUS : 0);
		CU_ASSERT_EQUAL(nh.n_descsz, i < 2 ? 336 : 440);
		memcpy(&v, f + off + 20 + (i < 2 ? 32 : 0), sizeof(v));
		CU_ASSERT_EQUAL(v, i < 2 ? (uint32_t)i + 1 : 1);
		off += 12 + 8 + nh.n_descsz;
	}
	free(f);
}

static void test_core_bad_arguments_and_write_errors(void)
{
	const struct elfcore_range r[1] = {{0, low, LOW_SIZE}};
	uint64_t written = 99;
	int fd = core_fd(), full;

	CU_ASSERT_EQUAL(elfcore_write(fd, r, 1, 0, NULL, &written), -EINVAL);
	CU_ASSERT_EQUAL(written, 0);
	CU_ASSERT_EQUAL(elfcore_write(fd, r, -1, 1, NULL, &written), -EINVAL);
	CU_ASSERT_EQUAL(elfcore_write(fd, r, ELFCORE_MAX_RANGES + 1, 1, NULL, &written), -EINVAL);
	CU_ASSERT_EQUAL(elfcore_write(fd, r, 1, ELFCORE_MAX_VCPUS + 1, NULL, &written), -EINVAL);
	CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_END), 0); /* nothing written */
	close(fd);
	CU_ASSERT_EQUAL(elfcore_write(fd, r, 1, 1, NULL, &written), -EBADF);
	full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full >= 0) {
		CU_ASSERT_EQUAL(elfcore_write(full, r, 1, 1, NULL, &written), -ENOSPC);
		close(full);
	}
}

/* A clock that moves 1 s each time it is read. */
static uint64_t fake_ns;
static uint64_t ticking_clock(void *arg)
{
	(void)arg;
	return fake_ns += 1000000000ULL;
}

static void test_core_stops_at_the_deadline(void)
{
	const struct elfcore_range r[1] = {{HIGH_GPA, high, HIGH_SIZE}};
	struct elfcore_limit lim = {0, ticking_clock, NULL};
	uint64_t written;
	int fd = core_fd();

	fake_ns = 0;
	lim.deadline_ns = 1500000000ULL; /* the first chunk is written, the second is not */
	CU_ASSERT_EQUAL(elfcore_write(fd, r, 1, 1, &lim, &written), -ETIMEDOUT);
	CU_ASSERT_EQUAL(written, elfcore_size(r, 1, 1) - HIGH_SIZE + 8 * 1024 * 1024);
	lim.deadline_ns = fake_ns + 10000000000ULL;
	CU_ASSERT_EQUAL(elfcore_write(fd, r, 1, 1, &lim, &written), 0);
	CU_ASSERT_EQUAL(written, elfcore_size(r, 1, 1));
	close(fd);
}

static void test_dump_options_parse_and_validate(void)
{
	struct dm_wdt_dump d;
	char longdir[DM_DUMP_DIR_MAX + 1];

	dm_wdt_dump_init(&d);
	CU_ASSERT_EQUAL(d.dir[0], '\0');
	CU_ASSERT_EQUAL(d.timeout_s, DM_DUMP_TIMEOUT_DEFAULT);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "action", "reset"), 0);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump", "/tmp"), 1);
	CU_ASSERT_STRING_EQUAL(d.dir, "/tmp");
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump_timeout", "7"), 1);
	CU_ASSERT_EQUAL(d.timeout_s, 7);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump_timeout", "3600"), 1);
	fprintf(stderr, "\n(expected errors follow)\n");
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump_timeout", "3601"), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump_timeout", "0"), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump_timeout", "5x"), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump_timeout", " 5"), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump_timeout", "99999999999999999999"), -EINVAL);
	CU_ASSERT_EQUAL(d.timeout_s, 3600);
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump", ""), -EINVAL);
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	CU_ASSERT_EQUAL(dm_wdt_dump_opt(&d, "t", "dump", longdir), -EINVAL);
	CU_ASSERT_STRING_EQUAL(d.dir, "/tmp");
	/* the start-up check: a writable directory only */
	CU_ASSERT_EQUAL(dm_wdt_check(NULL, "t", DM_WDT_ACTION_INJECT_NMI, &d), 0);
	snprintf(d.dir, sizeof(d.dir), "/nonexistent/wdt-dm");
	CU_ASSERT_EQUAL(dm_wdt_check(NULL, "t", DM_WDT_ACTION_RESET, &d), -EINVAL);
	snprintf(d.dir, sizeof(d.dir), "/dev/null");
	CU_ASSERT_EQUAL(dm_wdt_check(NULL, "t", DM_WDT_ACTION_RESET, &d), -EINVAL);
	snprintf(d.dir, sizeof(d.dir), "/proc/self");
	CU_ASSERT_EQUAL(dm_wdt_check(NULL, "t", DM_WDT_ACTION_RESET, &d), -EINVAL);
	CU_ASSERT_EQUAL(dm_wdt_check(NULL, "t", DM_WDT_ACTION_RESET, NULL), 0);
	CU_ASSERT_EQUAL(dm_wdt_check(NULL, "t", (enum dm_wdt_action)42, NULL), -EINVAL);
}

UNIT_SUITE(elfcore, suite_init, suite_cleanup,
	   UNIT_TEST(test_core_header_segments_notes_and_contents),
	   UNIT_TEST(test_core_bad_arguments_and_write_errors),
	   UNIT_TEST(test_core_stops_at_the_deadline),
	   UNIT_TEST(test_dump_options_parse_and_validate));
