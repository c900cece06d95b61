/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * ELF cores of guest memory (core/elfcore.c), in the layout of QEMU's
 * dump-guest-memory with paging off on x86-64, which Linux's crash reads:
 *
 *   ELF64 header       ET_CORE, EM_X86_64, ELFDATA2LSB, e_phoff 64
 *   program headers    one PT_NOTE, then one PT_LOAD per RAM range
 *                      (p_paddr: guest-physical address, p_vaddr the
 *                      same, as QEMU 7.2 writes it without paging,
 *                      p_filesz = p_memsz = the range's size)
 *   notes              per vCPU an NT_PRSTATUS note "CORE" (struct
 *                      elf_prstatus, pid = vCPU index + 1), then per vCPU a
 *                      "QEMU" note (QEMUCPUState version 1); registers are
 *                      zero: the DM does not own the vCPUs' state
 *   memory             the ranges, in order, right after the notes
 */
#ifndef _ELFCORE_H_
#define _ELFCORE_H_

#include <stdint.h>

struct elfcore_range {
	uint64_t gpa;      /* guest-physical address */
	const void *host;  /* where the DM sees it */
	uint64_t size;
};

/* The deadline of a dump: now_ns(arg) past deadline_ns stops it (-ETIMEDOUT). */
struct elfcore_limit {
	uint64_t deadline_ns;
	uint64_t (*now_ns)(void *arg);
	void *arg;
};

/* Bytes elfcore_write() writes for these ranges and vCPUs. */
uint64_t elfcore_size(const struct elfcore_range *r, int n, int vcpus);

/*
 * Writes the core to fd from its current position.  *written gets the bytes
 * written.  0, or -errno: -EINVAL (n or vcpus out of range), -ETIMEDOUT
 * (lim's deadline passed; lim may be NULL), or write(2)'s error (-EIO for
 * a write that wrote nothing).
 */
int elfcore_write(int fd, const struct elfcore_range *r, int n, int vcpus,
		  const struct elfcore_limit *lim, uint64_t *written);

#define ELFCORE_MAX_RANGES 64
#define ELFCORE_MAX_VCPUS 256

#endif /* _ELFCORE_H_ */
