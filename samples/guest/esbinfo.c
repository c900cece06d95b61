/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * esbinfo: the guest-side inspection tool of samples/ (docs/design.rst section 8).  It
 * runs inside the Linux guest, finds the Intel 6300ESB watchdog (8086:25ab)
 * through libpciaccess by vendor/device, and prints its device-specific config
 * registers (0x60 WDT config, 16 bit; 0x68 WDT lock, 8 bit; docs/device.rst section 1.2)
 * and BAR0's address and size in one greppable line.  With --bench N it maps
 * BAR0 through sysfs and times N 16-bit reads of the reload register (0x0C,
 * reads have no side effect: docs/device.rst section 1.3), which is the guest half of
 * the proxy latency benchmark (bench/bench_proxy.sh).  Run it before the
 * driver binds: the Debian kernel's IO_STRICT_DEVMEM refuses mappings of a
 * claimed BAR.  Built static so the initramfs needs no shared libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pciaccess.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define ESB_VENDOR 0x8086
#define ESB_DEVICE 0x25ab
#define ESB_CFG_CONFIG 0x60 /* WDT config, 16 bit */
#define ESB_CFG_LOCK 0x68   /* WDT lock, 8 bit */
#define ESB_BAR_RELOAD 0x0c /* reload register, 16 bit; reads are harmless */
#define PAGE 4096UL

static struct pci_device *esb_find(void)
{
	struct pci_id_match match = {
		.vendor_id = ESB_VENDOR,
		.device_id = ESB_DEVICE,
		.subvendor_id = PCI_MATCH_ANY,
		.subdevice_id = PCI_MATCH_ANY,
	};
	struct pci_device_iterator *it;
	struct pci_device *dev;

	it = pci_id_match_iterator_create(&match);
	if (!it)
		return NULL;
	dev = pci_device_next(it);
	pci_iterator_destroy(it);
	return dev;
}

static int esb_print(struct pci_device *dev)
{
	uint16_t cfg60 = 0xffff;
	uint8_t cfg68 = 0xff;
	int err;

	err = pci_device_cfg_read_u16(dev, &cfg60, ESB_CFG_CONFIG);
	if (!err)
		err = pci_device_cfg_read_u8(dev, &cfg68, ESB_CFG_LOCK);
	if (err) {
		fprintf(stderr, "esbinfo: config read: %s\n", strerror(err));
		return 1;
	}
	printf("ESBINFO: dev=%04x:%02x:%02x.%u id=%04x:%04x cfg60=0x%04x cfg68=0x%02x "
	       "bar0=0x%08" PRIx64 " size=%" PRIu64 " %s\n",
	       dev->domain, dev->bus, dev->dev, dev->func, dev->vendor_id, dev->device_id, cfg60,
	       cfg68, (uint64_t)dev->regions[0].base_addr, (uint64_t)dev->regions[0].size,
	       dev->regions[0].is_IO ? "io" : "mem");
	return 0;
}

/*
 * Maps the page holding BAR0 through sysfs.  Done by hand rather than with
 * pci_device_map_range() because a 16-byte BAR need not start on a page and
 * the sysfs mapping always starts at the page that contains it.
 */
static volatile uint8_t *esb_map_bar0(struct pci_device *dev, void **page)
{
	char path[128];
	uint64_t base = dev->regions[0].base_addr;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%04x:%02x:%02x.%u/resource0",
		 dev->domain, dev->bus, dev->dev, dev->func);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "esbinfo: open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "esbinfo: mmap %s: %s\n", path, strerror(errno));
		return NULL;
	}
	*page = p;
	return (volatile uint8_t *)p + (base & (PAGE - 1));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int esb_bench(struct pci_device *dev, unsigned long n)
{
	volatile uint8_t *bar;
	uint64_t t0, t1;
	unsigned long i;
	unsigned int acc = 0;
	void *page;

	if (dev->regions[0].is_IO || !dev->regions[0].base_addr) {
		fprintf(stderr, "esbinfo: BAR0 is not an assigned memory BAR\n");
		return 1;
	}
	/* Memory decoding may still be off: no driver has enabled the device. */
	pci_device_enable(dev);
	bar = esb_map_bar0(dev, &page);
	if (!bar)
		return 1;
	acc |= *(volatile uint16_t *)(bar + ESB_BAR_RELOAD); /* warm-up */
	t0 = now_ns();
	for (i = 0; i < n; i++)
		acc |= *(volatile uint16_t *)(bar + ESB_BAR_RELOAD);
	t1 = now_ns();
	munmap(page, PAGE);
	printf("ESBINFO: bench reads=%lu total_ns=%" PRIu64 " per_read_ns=%" PRIu64
	       " reload=0x%04x\n",
	       n, t1 - t0, n ? (t1 - t0) / n : 0, acc);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: esbinfo [--bench N]\n");
}

int main(int argc, char **argv)
{
	unsigned long bench = 0;
	struct pci_device *dev;
	int err, rc;

	if (argc == 3 && !strcmp(argv[1], "--bench")) {
		char *end;

		bench = strtoul(argv[2], &end, 0);
		if (*end || !bench) {
			usage();
			return 2;
		}
	} else if (argc != 1) {
		usage();
		return 2;
	}
	err = pci_system_init();
	if (err) {
		fprintf(stderr, "esbinfo: pci_system_init: %s\n", strerror(err));
		return 1;
	}
	dev = esb_find();
	if (!dev) {
		printf("ESBINFO: no 8086:25ab device\n");
		pci_system_cleanup();
		return 1;
	}
	err = pci_device_probe(dev);
	if (err) {
		fprintf(stderr, "esbinfo: probe: %s\n", strerror(err));
		pci_system_cleanup();
		return 1;
	}
	rc = esb_print(dev);
	if (!rc && bench)
		rc = esb_bench(dev, bench);
	pci_system_cleanup();
	return rc;
}
