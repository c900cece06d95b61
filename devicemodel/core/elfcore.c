/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * ELF cores of guest memory (elfcore.h): the header, the program headers and
 * the notes are built in one buffer, then each RAM range is written in
 * chunks, the deadline checked between chunks.  The note layouts are
 * x86-64 Linux's struct elf_prstatus (336 bytes, registers at offset 112)
 * and QEMU's QEMUCPUState version 1 (440 bytes), as QEMU's dump writes them.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfcore.h"

#define NOTE_NAME_PAD 8      /* "CORE\0" and "QEMU\0", padded to 4 bytes */
#define PRSTATUS_SIZE 336    /* x86-64 struct elf_prstatus */
#define PRSTATUS_PID_OFF 32
#define QEMU_STATE_SIZE 440  /* QEMUCPUState: version, size, 18 regs, 10 segs, cr[5], kgsb */
#define QEMU_STATE_VERSION 1
#define QEMU_NOTE_TYPE 0
#define CHUNK (8ULL << 20)   /* bytes between deadline checks */

static uint64_t note_size(uint32_t desc)
{
	return sizeof(Elf64_Nhdr) + NOTE_NAME_PAD + ((desc + 3) & ~3U);
}

static uint64_t notes_size(int vcpus)
{
	return (uint64_t)vcpus * (note_size(PRSTATUS_SIZE) + note_size(QEMU_STATE_SIZE));
}

static uint64_t headers_size(int n)
{
	return sizeof(Elf64_Ehdr) + (uint64_t)(n + 1) * sizeof(Elf64_Phdr);
}

uint64_t elfcore_size(const struct elfcore_range *r, int n, int vcpus)
{
	uint64_t sum = headers_size(n) + notes_size(vcpus);

	for (int i = 0; i < n; i++)
		sum += r[i].size;
	return sum;
}

static void put_ehdr(uint8_t *p, int n)
{
	Elf64_Ehdr eh;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)(n + 1);
	memcpy(p, &eh, sizeof(eh));
}

static void put_phdr(uint8_t *p, uint32_t type, uint64_t off, uint64_t paddr, uint64_t size)
{
	Elf64_Phdr ph;

	memset(&ph, 0, sizeof(ph));
	ph.p_type = type;
	ph.p_offset = off;
	ph.p_paddr = paddr;
	ph.p_vaddr = type == PT_LOAD ? paddr : 0; /* QEMU 7.2: no virtual address -> p_paddr */
	ph.p_filesz = size;
	ph.p_memsz = size;
	memcpy(p, &ph, sizeof(ph));
}

/* One note at p (zeroed by the caller); returns its size. */
static uint64_t put_note(uint8_t *p, const char *name, uint32_t type, uint32_t desc)
{
	Elf64_Nhdr nh = {.n_namesz = (Elf64_Word)strlen(name) + 1, .n_descsz = desc,
			 .n_type = type};

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), name, nh.n_namesz);
	return note_size(desc);
}

static uint64_t put_notes(uint8_t *p, int vcpus)
{
	uint8_t *start = p;

	for (int i = 0; i < vcpus; i++) {
		uint32_t pid = (uint32_t)i + 1;

		memcpy(p + sizeof(Elf64_Nhdr) + NOTE_NAME_PAD + PRSTATUS_PID_OFF, &pid, sizeof(pid));
		p += put_note(p, "CORE", NT_PRSTATUS, PRSTATUS_SIZE);
	}
	for (int i = 0; i < vcpus; i++) {
		uint32_t hdr[2] = {QEMU_STATE_VERSION, QEMU_STATE_SIZE};

		memcpy(p + sizeof(Elf64_Nhdr) + NOTE_NAME_PAD, hdr, sizeof(hdr));
		p += put_note(p, "QEMU", QEMU_NOTE_TYPE, QEMU_STATE_SIZE);
	}
	return (uint64_t)(p - start);
}

static int write_all(int fd, const uint8_t *p, uint64_t len, uint64_t *written)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (uint64_t)w;
		*written += (uint64_t)w;
	}
	return 0;
}

static bool past(const struct elfcore_limit *lim)
{
	return lim && lim->now_ns && lim->now_ns(lim->arg) > lim->deadline_ns;
}

static int write_headers(int fd, const struct elfcore_range *r, int n, int vcpus,
			 uint64_t *written)
{
	uint64_t hsz = headers_size(n), nsz = notes_size(vcpus), off = hsz + nsz;
	uint8_t *buf = calloc(1, hsz + nsz);
	int rc;

	if (!buf)
		return -ENOMEM;
	put_ehdr(buf, n);
	put_phdr(buf + sizeof(Elf64_Ehdr), PT_NOTE, hsz, 0, nsz);
	for (int i = 0; i < n; i++) {
		put_phdr(buf + sizeof(Elf64_Ehdr) + (size_t)(i + 1) * sizeof(Elf64_Phdr), PT_LOAD,
			 off, r[i].gpa, r[i].size);
		off += r[i].size;
	}
	put_notes(buf + hsz, vcpus);
	rc = write_all(fd, buf, hsz + nsz, written);
	free(buf);
	return rc;
}

int elfcore_write(int fd, const struct elfcore_range *r, int n, int vcpus,
		  const struct elfcore_limit *lim, uint64_t *written)
{
	int rc;

	*written = 0;
	if (n < 0 || n > ELFCORE_MAX_RANGES || vcpus < 1 || vcpus > ELFCORE_MAX_VCPUS)
		return -EINVAL;
	rc = write_headers(fd, r, n, vcpus, written);
	for (int i = 0; i < n && !rc; i++) {
		for (uint64_t done = 0; done < r[i].size && !rc; done += CHUNK) {
			uint64_t len = r[i].size - done < CHUNK ? r[i].size - done : CHUNK;

			if (past(lim))
				return -ETIMEDOUT;
			rc = write_all(fd, (const uint8_t *)r[i].host + done, len, written);
		}
	}
	return rc;
}
