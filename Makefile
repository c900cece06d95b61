# SPDX-License-Identifier: BSD-3-Clause
# wdt-dm: build, tests, benchmarks, demos.  Sources are found by wildcard, so
# a new device, front end, test or benchmark file needs no edit here.

CC      ?= gcc
BUILD   ?= build
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

DM_MAIN   := devicemodel/core/main.c
DM_SRCS   := $(filter-out $(DM_MAIN),$(sort $(wildcard devicemodel/core/*.c devicemodel/hw/pci/*.c \
	       devicemodel/hw/platform/*.c devicemodel/hv/*.c)))
UNIT_SRCS := $(sort $(wildcard unit/*.c))
BENCH_SRCS:= $(sort $(wildcard bench/bench_*.c))

DM_OBJS   := $(DM_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ  := $(DM_MAIN:%.c=$(BUILD)/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
BENCHES   := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps check unit acrn-check qtest-samples cli asan tsan bench demo e2e clean
all: $(BUILD)/wdt-dm

# Device and front-end objects are linked directly (never from a static .a,
# which would drop the linker-set entries of objects nothing else references).
$(BUILD)/wdt-dm: $(DM_OBJS) $(MAIN_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/unit_tests: $(DM_OBJS) $(UNIT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(DM_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

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

# The wdt plugin must build against ACRN's own headers (DESIGN.md section 1).
acrn-check:
	@if [ -d $(ACRN)/devicemodel/include ]; then \
		gcc -fsyntax-only -std=gnu11 -D_GNU_SOURCE \
		    -Werror=implicit-function-declaration -Werror=incompatible-pointer-types \
		    -Werror=int-conversion \
		    -I$(ACRN)/devicemodel/include -I$(ACRN)/devicemodel/include/public \
		    -I$(ACRN)/hypervisor/include/public -idirafter devicemodel/include \
		    devicemodel/hw/pci/wdt_i6300esb.c && \
		echo "acrn-check: devicemodel/hw/pci/wdt_i6300esb.c compiles against ACRN's headers"; \
	else echo "acrn-check: $(ACRN) not present, skipped"; fi

qtest-samples: $(BUILD)/wdt-dm
	@sh samples/qtest/run.sh $(BUILD)/wdt-dm

cli: $(BUILD)/wdt-dm
	@sh tests/cli.sh $(BUILD)/wdt-dm

asan:
	$(MAKE) BUILD=build/asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

tsan:
	$(MAKE) BUILD=build/tsan OPT=-O1 SAN="-fsanitize=thread" build/tsan/unit/unit_tests
	TSAN_OPTIONS="halt_on_error=1" build/tsan/unit/unit_tests $(TSAN_SUITES)

TSAN_SUITES ?= timer

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) acrn-check
	$(MAKE) qtest-samples
	$(MAKE) cli
	$(MAKE) tsan
	$(MAKE) asan

bench: $(BUILD)/wdt-dm $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
