# SPDX-License-Identifier: BSD-3-Clause
# wdt-dm: build, tests, benchmarks, demos.  Sources are found by wildcard, so
# a new device, front end, test or benchmark file needs no edit here.

CC      ?= gcc
BUILD   ?= build
V       ?= 0
SAN     ?=
OPT     ?= -O2
DEBS    := build-essential libcunit1-dev libpciaccess-dev uuid-dev
ACRN    ?= ../shared/acrn

WARN    := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Werror
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS  += -std=gnu11 $(OPT) -g $(WARN) $(if $(SAN),,$(HARDEN)) $(SAN) -fPIE -D_GNU_SOURCE \
	   -MMD -MP -Idevicemodel/include -pthread
LDFLAGS += -pie -Wl,-z,relro,-z,now $(SAN) -pthread
LDLIBS  += -luuid

# Quiet by default: one "CC file" / "LD file" line per step; V=1 prints the commands.
ifeq ($(V),1)
Q       :=
say     :=
else
Q       := @
say      = @printf '  %-4s %s\n' '$(1)' '$(2)'
endif

DM_MAIN   := devicemodel/core/main.c
DM_SRCS   := $(filter-out $(DM_MAIN),$(sort $(wildcard devicemodel/core/*.c devicemodel/hw/pci/*.c \
	       devicemodel/hw/platform/*.c devicemodel/hv/*.c)))
UNIT_SRCS := $(sort $(wildcard unit/*.c))
BENCH_SRCS:= $(sort $(wildcard bench/bench_*.c))

DM_OBJS   := $(DM_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ  := $(DM_MAIN:%.c=$(BUILD)/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
BENCHES   := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
# unit/test_qemu.c and unit/fuzz/fuzz_qemu_proxy.c #include the QEMU front end's
# files (hv/qemu*.c) to drive their static helpers: their binaries link the rest.
TEST_OBJS := $(filter-out $(BUILD)/devicemodel/hv/qemu%.o,$(DM_OBJS))

.PHONY: all deps check unit acrn-dm qtest-samples cli asan tsan bench demo e2e clean mutants qemu-clients
all: $(BUILD)/wdt-dm

# Device and front-end objects are linked directly (never from a static .a,
# which would drop the linker-set entries of objects nothing else references).
$(BUILD)/wdt-dm: $(DM_OBJS) $(MAIN_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/unit_tests: $(TEST_OBJS) $(UNIT_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(DM_OBJS)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# bench_pet reads guest time the ways production does not (bench/bench_pet.c).
$(BUILD)/bench/bench_pet: LDFLAGS += -Wl,--wrap=guest_clock_open,--wrap=guest_clock_read

# Every object waits for `deps` (order-only: it never makes anything stale), so
# that any target, run first on a fresh Debian 12, installs the compiler and the
# libraries before it compiles.
$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Debian packages the build and the tests need; quiet and quick when present.
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

unit: $(BUILD)/unit/unit_tests
	$(BUILD)/unit/unit_tests

# ACRN's acrn-dm, built by ACRN's own Makefile (-Werror) from a copy of
# $(ACRN) with our plugins and devicemodel/acrn/ dropped in; passes only if it
# links, its linker set holds wdt-i6300esb and its -s parser takes it
# (tests/acrn/build-acrn-dm.sh).  About a minute on two cores.
ACRN_DEBS := libssl-dev liburing-dev libusb-1.0-0-dev libcjson-dev libpixman-1-dev \
	     libsdl2-dev libdrm-dev libegl-dev libgles-dev libpciaccess-dev gdb
acrn-dm:
	@$(MAKE) --no-print-directory deps DEBS="$(ACRN_DEBS)"
	@CC="$(CC)" sh tests/acrn/build-acrn-dm.sh $(ACRN) build/acrn

# The plugin on ACRN's real core (tests/acrn/acrn_test.c): ACRN's unmodified PCI
# core, dispatch, timers and mevent loop from $(ACRN), our plugin and glue, a
# recording stub for the hypervisor.  Variants: ours plain, under ASan+UBSan,
# under TSan, and ACRN's stock plugin as the reference.
ACRN_TDIR   := build/acrn-test
ACRN_TSRC   := $(ACRN_TDIR)/src
ACRN_DM     := $(ACRN_TSRC)/devicemodel
ACRN_TSRCS  := hw/pci/core.c hw/pci/hostbridge.c hw/pci/irq.c hw/platform/ioapic.c \
	       core/mem.c core/inout.c core/timer.c core/mevent.c arch/x86/pm.c \
	       lib/dm_string.c log/log.c
ACRN_TOURS  := devicemodel/hw/pci/wdt_i6300esb.c devicemodel/hw/platform/vcpu_stall.c \
	       devicemodel/acrn/acrn_glue.c devicemodel/acrn/dm_persist.c devicemodel/acrn/dm_pm.c \
	       devicemodel/acrn/dm_action.c devicemodel/acrn/plat_dev.c \
	       devicemodel/acrn/guest_clock.c devicemodel/acrn/dm_event_data.c \
	       devicemodel/acrn/dm_util.c
ACRN_THARN  := tests/acrn/acrn_test.c tests/acrn/acrn_hsm_stub.c tests/acrn/acrn_not_linked.c
# ACRN's own compiler flags (its Makefile), ACRN's headers first; the glue last.
ACRN_TCFLAGS = -std=gnu11 -D_GNU_SOURCE -DNO_OPENSSL -g -Wall -Werror -fno-strict-aliasing \
	       -fwrapv -fno-delete-null-pointer-checks -Wno-stringop-truncation \
	       -Wno-address-of-packed-member -fPIE -pthread \
	       -I$(ACRN_DM)/include -I$(ACRN_DM)/include/public -I/usr/include/pixman-1 \
	       -I/usr/include/SDL2 -I/usr/include/EGL -I/usr/include/GLES2 \
	       -Idevicemodel/acrn -Itests/acrn
ACRN_TVARS  := ours ours-asan ours-tsan stock stock-tsan
ACRN_TSAN_ours      := -O2
ACRN_TSAN_stock     := -O2 -DSTOCK
ACRN_TSAN_ours-asan := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
		       -fno-sanitize-recover=all
ACRN_TSAN_ours-tsan := -O1 -fsanitize=thread
ACRN_TSAN_stock-tsan:= -O1 -fsanitize=thread -DSTOCK
ACRN_TPLUG_stock    := $(ACRN_DM)/hw/pci/wdt_i6300esb.c
ACRN_TPLUG_stock-tsan := $(ACRN_DM)/hw/pci/wdt_i6300esb.c

define acrn_test_variant
$(ACRN_TDIR)/$(1)/acrn/%.o: $(ACRN_TSRC)/.copied
	@mkdir -p $$(dir $$@)
	$$(call say,CC,$(1): acrn $$*.c)
	$(Q)$$(CC) $$(ACRN_TCFLAGS) $$(ACRN_TSAN_$(1)) -c -o $$@ $(ACRN_DM)/$$*.c
$(ACRN_TDIR)/$(1)/ours/%.o: %.c | $(ACRN_TSRC)/.copied
	@mkdir -p $$(dir $$@)
	$$(call say,CC,$(1): $$<)
	$(Q)$$(CC) $$(ACRN_TCFLAGS) $$(ACRN_TSAN_$(1)) -MMD -MP -c -o $$@ $$<
$(ACRN_TDIR)/$(1)/acrn_test: $(ACRN_TSRCS:%.c=$(ACRN_TDIR)/$(1)/acrn/%.o) \
		$(if $(ACRN_TPLUG_$(1)),$(ACRN_TDIR)/$(1)/acrn/hw/pci/wdt_i6300esb.o,\
		     $(ACRN_TOURS:%.c=$(ACRN_TDIR)/$(1)/ours/%.o)) \
		$(ACRN_THARN:%.c=$(ACRN_TDIR)/$(1)/ours/%.o)
	$$(call say,LD,$$@)
	$(Q)$$(CC) $$(ACRN_TSAN_$(1)) -pie -pthread -o $$@ $$^ -lrt
endef
$(foreach v,$(ACRN_TVARS),$(eval $(call acrn_test_variant,$(v))))

$(ACRN_TSRC)/.copied:
	@sh tests/acrn/copy-acrn.sh $(ACRN) $(ACRN_TSRC)
	@touch $@

.PHONY: acrn-test
acrn-test:
	@$(MAKE) --no-print-directory deps DEBS="$(ACRN_DEBS)"
	@$(MAKE) --no-print-directory $(ACRN_TVARS:%=$(ACRN_TDIR)/%/acrn_test)
	@sh tests/acrn/run-acrn-test.sh $(ACRN_TDIR)

# No file may send a reader outside the repository (docs/ holds the project's docs).
.PHONY: self-contained
self-contained:
	@sh tests/check-self-contained.sh

qtest-samples: $(BUILD)/wdt-dm
	@sh samples/qtest/run.sh $(BUILD)/wdt-dm

cli: $(BUILD)/wdt-dm
	@sh tests/cli.sh $(BUILD)/wdt-dm

# QEMU 7.2's own clients (libqtest, qemu.machine.qtest, qemu.qmp) from Debian's
# source package, unchanged, against wdt-dm (issue 15; tests/qemu-clients/run.sh).
qemu-clients: $(BUILD)/wdt-dm
	@CC="$(CC)" sh tests/qemu-clients/run.sh $(BUILD)/wdt-dm

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

tsan:
	$(MAKE) BUILD=build/tsan OPT=-O1 SAN="-fsanitize=thread" build/tsan/unit/unit_tests
	TSAN_OPTIONS="halt_on_error=1" build/tsan/unit/unit_tests $(TSAN_SUITES)

TSAN_SUITES ?= timer mem inout pci platform vcpu_stall

# Everything that runs without a guest kernel: build, unit (plain, ASan+UBSan,
# TSan), acrn-dm and acrn-test (ACRN's own device model and core), qtest
# scenarios, the command line, QEMU's own qtest/QMP clients, the fault cases,
# valgrind, the fuzz smoke runs, the real-time simulated-vCPU test and the man
# page.  .ci/run adds make mutants, make e2e (real guests) and the fresh-machine
# tests.
check: deps fuzz-deps
	$(MAKE) self-contained
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) acrn-dm
	$(MAKE) acrn-test
	$(MAKE) qtest-samples
	$(MAKE) cli
	$(MAKE) qemu-clients
	$(MAKE) fault-cases
	$(MAKE) tsan
	$(MAKE) asan
	$(MAKE) valgrind
	$(MAKE) fuzz-smoke
	$(MAKE) sim-test
	$(MAKE) man-check

# The mutation check (issue 17): every mutant of tests/mutants/mutants.txt applied
# alone to a scratch copy of the tree (build/mutants/src), rebuilt incrementally
# and run against the unit suite, the qtest samples and the CLI tests.  Fails
# unless each one is killed by an assertion.  MUTANTS="id ..." runs a subset.
mutants:
	@sh tests/mutants/run.sh $(MUTANTS)

bench: $(BUILD)/wdt-dm $(BENCHES) $(ACRN_TDIR)/ours/acrn_test $(ACRN_TDIR)/stock/acrn_test
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done
	@echo "== ACRN's core: tests/acrn/bench-kick.sh"
	@sh tests/acrn/bench-kick.sh $(ACRN_TDIR)

# Real guests (issue 5): the Debian guest image, the demo (the main job) and the
# end-to-end tests with the stock Linux driver.  They install what they need.
.PHONY: guest-image
guest-image:
	@sh samples/guest/build-image.sh >/dev/null

demo: $(BUILD)/wdt-dm
	@DM=$(BUILD)/wdt-dm bash samples/guest/demo.sh

e2e: $(BUILD)/wdt-dm
	@CC="$(CC)" DM=$(BUILD)/wdt-dm bash tests/e2e/run.sh

# -- hardening (issue 7): libFuzzer harnesses and valgrind ---------------------
# `make fuzz` builds every unit/fuzz/fuzz_*.c with clang and ASan+UBSan+libFuzzer
# into build/fuzz/bin/; `make fuzz-smoke` runs each for FUZZ_RUNS inputs over its
# seed corpus (new inputs go to build/fuzz/new/, never into the committed corpus)
# and fails on any finding; `make fuzz-long FUZZ_TIME=s` runs them in parallel.
# Needs clang and libclang-rt-14-dev (FUZZ_DEBS); valgrind needs valgrind.
FUZZ_DEBS   := clang libclang-rt-14-dev
VG_DEBS     := valgrind
FUZZ_SRCS   := $(sort $(wildcard unit/fuzz/fuzz_*.c))
FUZZ_NAMES  := $(FUZZ_SRCS:unit/fuzz/%.c=%)
FUZZ_BINS   := $(FUZZ_NAMES:%=$(BUILD)/bin/%)
FUZZ_OBJS   := $(FUZZ_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/unit/fuzz/common.o
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all \
	       -fno-omit-frame-pointer -fsanitize=fuzzer-no-link -Wno-format-zero-length
FUZZ_RUNS   ?= 100000
FUZZ_TIME   ?= 600
FUZZ_JOBS   ?= 2
FUZZ_FLAGS  ?= -timeout=20 -rss_limit_mb=2048 -max_len=4096 -close_fd_mask=2

.PHONY: fuzz fuzz-bins fuzz-deps fuzz-smoke fuzz-long valgrind fault-cases

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEBS="$(FUZZ_DEBS) $(VG_DEBS)"

fuzz: fuzz-deps
	$(MAKE) BUILD=build/fuzz CC=clang OPT="-O1 -gline-tables-only" SAN="$(FUZZ_SAN)" fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(BUILD)/bin/%: $(BUILD)/unit/fuzz/%.o $(BUILD)/unit/fuzz/common.o $(TEST_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-smoke: fuzz
	@FUZZ_FLAGS="$(FUZZ_FLAGS)" FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/run.sh smoke $(FUZZ_NAMES)

fuzz-long: fuzz
	@FUZZ_FLAGS="$(FUZZ_FLAGS)" FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) \
		sh tests/fuzz/run.sh long $(FUZZ_NAMES)

# The unit suite, every qtest sample, the QEMU front end against a fake QEMU that
# sends garbage / gets killed, and the qtest seeds (wdt + vcpu-stall) under
# valgrind: 0 errors, 0 leaks (valgrind's exit status 1 on any).
valgrind: $(BUILD)/unit/unit_tests $(BUILD)/wdt-dm | fuzz-deps
	@CC="$(CC)" sh tests/valgrind.sh $(BUILD)

fault-cases: $(BUILD)/wdt-dm
	@CC="$(CC)" sh tests/faults/run.sh $(BUILD)/wdt-dm

# Simulated vCPUs (issue 6): a stall demo on an overcommitted host (6 vCPUs, at
# most 2 running at a time in 1 s slices) and the real-time verdict test.
.PHONY: demo-stall sim-test
DEMO_STALL_SCENARIO := vcpus=6,duration=26s,freq=10,timeout=1s,wdt-timeout=5,slice=1s,pcpus=2,$\
	hang=2@1s,starve=3@1.5s+6s,daemon-stop@16s
# The stall detector only reports (action=debug): its reset of the VM would
# otherwise land, on a busy host, inside the 6300ESB's countdown and restart it.
demo-stall: $(BUILD)/wdt-dm
	$(BUILD)/wdt-dm -s 5,wdt-i6300esb --vcpu-stall action=debug --sim $(DEMO_STALL_SCENARIO)

sim-test: $(BUILD)/wdt-dm
	@sh tests/sim/run.sh $(BUILD)/wdt-dm

# The flakiness check: fault cases and sim-test STRESS_N times, e2e STRESS_M
# times, under one CPU hog per core (about an hour; not part of check).
.PHONY: stress
stress: $(BUILD)/wdt-dm
	@bash tests/stress.sh $(BUILD)/wdt-dm

# The first-run test (issue 13): each FRESH command as the first command in a
# fresh Debian 12 chroot with only git and make.  Root and Debian's mirror.
FRESH ?= make demo
.PHONY: fresh-test
fresh-test:
	@bash tests/fresh/run.sh "$(FRESH)"

# -- installing (issue 16): a Debian-style layout under PREFIX, staged in DESTDIR
PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
MAN1DIR := $(PREFIX)/share/man/man1
SHARE   := $(PREFIX)/share/wdt-dm
SAMPLE_SCRIPTS := samples/launch_uos.sh samples/qtest/run.sh samples/guest/build-image.sh \
		  samples/guest/init
SAMPLE_DATA    := $(wildcard samples/qtest/*.qtest) samples/guest/esbinfo.c

.PHONY: install uninstall deb deb-test man-check
install: $(BUILD)/wdt-dm
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(SHARE)/samples/qtest \
		$(DESTDIR)$(SHARE)/samples/guest
	install -m 0755 $(BUILD)/wdt-dm $(DESTDIR)$(BINDIR)/wdt-dm
	install -m 0644 docs/wdt-dm.1 $(DESTDIR)$(MAN1DIR)/wdt-dm.1
	for f in $(SAMPLE_SCRIPTS); do install -m 0755 $$f $(DESTDIR)$(SHARE)/$$f || exit 1; done
	for f in $(SAMPLE_DATA); do install -m 0644 $$f $(DESTDIR)$(SHARE)/$$f || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/wdt-dm $(DESTDIR)$(MAN1DIR)/wdt-dm.1
	rm -rf $(DESTDIR)$(SHARE)

# `wdt-dm --help` and the man page list the same options.
man-check: $(BUILD)/wdt-dm
	@sh tests/install/manpage.sh $(BUILD)/wdt-dm docs/wdt-dm.1

# A Debian package built with Debian's own tools (dpkg-buildpackage, debhelper)
# into build/deb/, checked with lintian; `deb-test` installs it with apt in a
# fresh Debian 12 chroot and runs the installed wdt-dm (root and Debian's mirror).
DEB_DEBS := dpkg-dev debhelper lintian fakeroot
deb:
	@$(MAKE) --no-print-directory deps DEBS="$(DEBS) $(DEB_DEBS)"
	@bash tests/install/deb.sh build

deb-test: deb
	@bash tests/install/deb.sh test

clean:
	rm -rf build

# Header dependencies (-MMD -MP): one .d beside every object this Makefile compiles
# with them, the acrn-test variants' own objects included.
ACRN_TOBJS := $(foreach v,$(ACRN_TVARS),$(patsubst %.c,$(ACRN_TDIR)/$(v)/ours/%.o,\
	      $(ACRN_TOURS) $(ACRN_THARN)))
ALL_OBJS   := $(DM_OBJS) $(MAIN_OBJ) $(UNIT_OBJS) $(BENCHES:%=%.o) $(FUZZ_OBJS) $(ACRN_TOBJS)
-include $(ALL_OBJS:.o=.d)
# Objects only a pattern rule's chain makes are kept, so they are not rebuilt each time.
.SECONDARY: $(FUZZ_OBJS) $(BENCHES:%=%.o)
