#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
"""Writes the seed corpora of the libFuzzer harnesses (unit/fuzz/README.md):
the stock Linux drivers' access sequences (docs/device.rst §1.6 and 2.2) encoded in
each harness's operation format.  Run from the repository root:
    python3 unit/fuzz/gen_corpus.py
Seeds are named seed-*; findings kept for replay are named regress-*."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# -- fuzz_pci_wdt: op = low nibble, device select = bit 4 -----------------------
W_CFG_WDT, W_CONF1, W_BAR_READ, W_UNLOCK, W_PROT = 2, 3, 4, 6, 7
W_STEP_MED, W_STEP_NEXT, W_RESET, W_PAUSE = 9, 10, 11, 12


def cfg_wdt(reg68, width, read, val):
    b = (1 if reg68 else 0) | (2 if width == 1 else 4 if width == 4 else 0) | (8 if read else 0)
    return bytes([W_CFG_WDT, b, val & 0xff])


def prot(reg, width=2, val=None, kind=None, unlock8=False):
    """reg: 0 preload1, 1 preload2, 2 reload; kind: 'reload', 'clear', 'old' (0x1100)."""
    b = reg | (4 if width == 4 else 0) | (0x40 if unlock8 else 0)
    if reg == 2:
        b |= {"reload": 0x08, "clear": 0x10, "old": 0x20, None: 0}[kind]
        tail = b"" if kind else struct.pack("<H", val)
    else:
        tail = struct.pack("<I", val)
    return bytes([W_PROT, b]) + tail


def bar_read(off, width):
    return bytes([W_BAR_READ, off, {1: 0, 2: 1, 4: 2, 8: 3}[width]])


def unlock(width=2):
    return bytes([W_UNLOCK | (0x20 if width == 1 else 0)])


def step_med(ns):
    return bytes([W_STEP_MED]) + struct.pack("<H", min(ns >> 11, 0xffff))


def conf1(reg, width, read, val, lane=0):
    b = lane | (4 if read else 0)
    return bytes([W_CONF1, b, {1: 0, 2: 1, 4: 2}[width]]) + struct.pack("<I", val) + bytes([reg])


def linux_probe(cardreset=True):
    s = cfg_wdt(False, 2, False, 0x03) + cfg_wdt(True, 1, True, 0) + cfg_wdt(True, 1, False, 0)
    s += unlock() + bar_read(0x0c, 2)
    s += prot(2, kind="clear")
    return s


def set_timeout(t, old=False):
    return (prot(0, 4, t << 9, unlock8=old) + prot(1, 4, t << 9, unlock8=old) +
            prot(2, kind="old" if old else "reload", unlock8=old))


def start(nowayout=False, old=False):
    return prot(2, kind="old" if old else "reload", unlock8=old) + \
        cfg_wdt(True, 1, False, 0x03 if nowayout else 0x02)


def ping():
    return prot(2, kind="reload")


def stop():
    return ping() + cfg_wdt(True, 1, False, 0) + cfg_wdt(True, 1, True, 0)


put("fuzz_pci_wdt", "linux-probe", b"\x00" + linux_probe())
put("fuzz_pci_wdt", "linux-start-ping-stop", b"\x00" + linux_probe() + set_timeout(30) +
    start() + step_med(10**8) + ping() + step_med(10**8) + ping() + stop())
put("fuzz_pci_wdt", "linux-nowayout-expiry", b"\x00" + linux_probe() + set_timeout(1) +
    start(nowayout=True) + bytes([W_STEP_NEXT]) * 4 + bar_read(0x0c, 2) +
    linux_probe() + bar_read(0x0c, 2))
put("fuzz_pci_wdt", "preload1-expiry-flag", b"\x00" + prot(0, 4, 1) + prot(1, 4, 1) +
    cfg_wdt(False, 2, False, 0) + cfg_wdt(True, 1, False, 2) + bytes([W_STEP_NEXT]) * 3 +
    bar_read(0x0c, 2) + cfg_wdt(True, 1, True, 0) + prot(2, kind="clear") + bar_read(0x0c, 2))
put("fuzz_pci_wdt", "free-running-1mhz", b"\x01" + prot(0, 4, 0) + prot(1, 4, 0) +
    cfg_wdt(False, 2, False, 0x24) + cfg_wdt(True, 1, False, 0x06) + step_med(10**6) +
    bar_read(0x08, 4) + bytes([W_STEP_NEXT]) * 8 + cfg_wdt(True, 1, True, 0))
put("fuzz_pci_wdt", "pre2017-driver", b"\x00" + cfg_wdt(False, 2, False, 0x03) +
    cfg_wdt(True, 1, False, 0) + set_timeout(2, old=True) + start(old=True) +
    step_med(10**9) + prot(2, kind="old", unlock8=True) + stop())
put("fuzz_pci_wdt", "two-devices-reset", b"\x03" + set_timeout(1) + start() +
    bytes([W_STEP_NEXT | 0x10]) + bytes([W_CFG_WDT | 0x10, 0x03, 0x02]) +
    bytes([W_STEP_NEXT]) * 4 + bytes([W_RESET]) + bytes([W_PAUSE, W_STEP_NEXT, W_PAUSE]) +
    cfg_wdt(True, 1, True, 0))
put("fuzz_pci_wdt", "conf1-cycles", b"\x00" + conf1(0x00, 4, True, 0) +
    conf1(0x60, 2, False, 0x0003) + conf1(0x68, 1, False, 0x02) + conf1(0x68, 1, True, 0) +
    conf1(0x68, 2, True, 0) + conf1(0x60, 4, True, 0) + conf1(0x10, 4, False, 0xffffffff) +
    conf1(0x10, 4, True, 0) + conf1(0x10, 4, False, 0x80000000) + conf1(0x04, 2, False, 0))
put("fuzz_pci_wdt", "poweroff", b"\x02" + set_timeout(1) + start() + bytes([W_STEP_NEXT]) * 4)

# -- fuzz_mmio_stall: op % 12, register in (op >> 4) & 0xc ----------------------
S_WRITE, S_READ, S_ODD, S_LINUX, S_PET, S_SMALL, S_MED, S_LARGE, S_NEXT, S_RESET = range(10)
S_PAUSE, S_RAW = 10, 11


def s_op(op, reg=0):
    for x in range(256):
        if x % 12 == op and (x >> 4) & 0xc == reg:
            return bytes([x])
    raise ValueError((op, reg))


def vcpu(i):
    return bytes([(i << 3) & 0xf8]) if i < 31 else bytes([7, i])


def s_linux(i, f=10, t=8):
    return s_op(S_LINUX) + vcpu(i) + bytes([f, t])


def s_pet(i, val):
    return s_op(S_PET) + vcpu(i) + b"\x00" + struct.pack("<I", val)


def s_read(i, reg):
    return s_op(S_READ, reg) + vcpu(i)


def s_write(i, reg, val):
    return s_op(S_WRITE, reg) + vcpu(i) + b"\x00" + struct.pack("<I", val)


def s_step(ns):
    if ns < 1 << 16:
        return s_op(S_SMALL) + struct.pack("<H", ns)
    if ns < 1 << 32:
        return s_op(S_MED) + struct.pack("<H", ns >> 16)
    return s_op(S_LARGE) + struct.pack("<H", min(ns >> 30, 0xffff))


SEC = 10**9
alive = s_linux(0)
for _ in range(6):
    alive += s_step(4 * SEC) + s_pet(0, 80) + s_read(0, 8)
put("fuzz_mmio_stall", "linux-pets-1vcpu", b"\x04" + alive)
put("fuzz_mmio_stall", "stall-bark-bite", b"\x00" + s_linux(0) + s_step(8 * SEC) +
    s_read(0, 8) + s_step(8 * SEC) + s_read(0, 0) + s_read(0, 4) + s_read(0, 0xc))
put("fuzz_mmio_stall", "bark-then-pet", b"\x04" + s_linux(0) + s_op(S_NEXT) + s_pet(0, 80) +
    s_op(S_NEXT) + s_op(S_NEXT) + s_read(0, 8))
many = b""
for i in (0, 1, 100, 200, 255):
    many += s_linux(i, 10, 1)
many += s_step(2 * SEC) + s_write(255, 0, 0) + s_read(255, 0) + s_step(60 * SEC)
put("fuzz_mmio_stall", "256-vcpus", b"\x01" + many)
put("fuzz_mmio_stall", "freq-zero-and-odd", b"\x02" + s_write(0, 0xc, 0) +
    s_write(0, 4, 100) + s_write(0, 0, 1) + s_read(0, 8) + s_write(0, 0xc, 0xffffffff) +
    s_write(0, 4, 1) + s_step(10) + s_read(0, 8) + s_op(S_ODD) + b"\x02\x00\x01" + b"\x00" * 8)
put("fuzz_mmio_stall", "offline-cpu", b"\x02" + s_linux(0) + s_linux(1) + s_step(3 * SEC) +
    s_write(1, 0, 0) + s_pet(0, 80) + s_step(30 * SEC) + s_op(S_RESET) + s_read(0, 0))

# -- fuzz_qtest: protocol text ---------------------------------------------------
Q_PROBE = """outl 0xcf8 0x80002800
inl 0xcfc
outl 0xcf8 0x80002860
outw 0xcfc 0x0003
outl 0xcf8 0x80002868
inb 0xcfc
outb 0xcfc 0x00
writew 0x8000000c 0x80
writew 0x8000000c 0x86
readw 0x8000000c
writew 0x8000000c 0x80
writew 0x8000000c 0x86
writew 0x8000000c 0x0300
"""
Q_TIMEOUT = """writew 0x8000000c 0x80
writew 0x8000000c 0x86
writel 0x80000000 0x200
writew 0x8000000c 0x80
writew 0x8000000c 0x86
writel 0x80000004 0x200
writew 0x8000000c 0x80
writew 0x8000000c 0x86
writew 0x8000000c 0x0100
outl 0xcf8 0x80002868
outb 0xcfc 0x02
"""
put("fuzz_qtest", "linux-probe", Q_PROBE.encode())
put("fuzz_qtest", "linux-expiry", (Q_PROBE + Q_TIMEOUT + "clock_step\nclock_step\nclock_step\n"
                                   "readw 0x8000000c\nsystem_reset\ninb 0xcfc\n").encode())
put("fuzz_qtest", "stall", b"writel 0x300c 10\nwritel 0x3004 80\nwritel 0x3000 1\n"
    b"clock_step 100000000\nreadl 0x3008\nwritel 0x301c 10\nwritel 0x3014 1\nwritel 0x3010 1\n"
    b"clock_step\nclock_step\nreadl 0x3018\nvm_stop\nclock_step 1000\nvm_cont\nreadq 0x3000\n")
put("fuzz_qtest", "misc", b"outl 0xcf8 0x80000000\ninl 0xcfc\ninl 0x10000\nbogus 1 2\n"
    b"outl 0xcf8\nreadl 0x10000000\nclock_step 1000\nclock_set 500\nclock_set 2000\n"
    b"\n  \t\nreadb 0x3000 7 8 9\nwriteq 0x3000 0xffffffffffffffff\ninw 0xcfe\n")
# issue 15: QEMU 7.2's byte commands, endianness, IRQ interception, clock_set semantics
put("fuzz_qtest", "qemu-protocol", b'endianness\ninb 0x80 0x1\nreadl -1\nwritel 0x3000 1\nread 0x2ff8 16\nwrite 0x2ff0 4 0x0102\nb64write 0x2ff0 3 AQID\nb64read 0x2ff0 20\nmemset 0x2ff0 32 0xff\nmemset 0xfffffffffffffff0 0x20 1\nread 0xfffffffffffffffe 4\nirq_intercept_in ioapic\nset_irq_in ioapic unnamed-gpio-in 21 1\nset_irq_in ioapic unnamed-gpio-in 21 0\nirq_intercept_out vcpu-stall\nclock_set 5\nclock_set 1\nclock_step -1\nwrite 0 1 x\n')
put("fuzz_qtest", "stall-irq", b'irq_intercept_out vcpu-stall\nwritel 0x301c 10\nwritel 0x3014 1\nwritel 0x3010 1\nclock_step\nclock_step\nreadl 0x3018\n')

# -- fuzz_qmp: the QMP byte stream (issue 15) --------------------------------------
put("fuzz_qmp", "session", b'{"execute": "qmp_capabilities"}\n{"execute": "query-status", "id": 1}\n{"execute": "stop"}\n{"execute": "cont"}\n{"execute": "system_reset"}\n{"execute": "watchdog-set-action", "arguments": {"action": "pause"}}\n{"execute": "set-action", "arguments": {"watchdog": "none", "panic": "pause"}}\n{"execute": "x-query-watchdogs"}\n{"execute": "query-version"}\n{"execute": "quit"}\n')
put("fuzz_qmp", "malformed", b'{\'execute\': \'qmp_capabilities\'}{bad\n]\n[1,[2,{"a":"\\u00e9\\n"}]]\n"s" 12 true\n{"execute": "frob", "id": {"x": [null, false, -1.5e3]}}\n{"execute": "query-status"')

# -- fuzz_cmdline: NUL-separated strings, first byte = kind (% 6) ---------------
put("fuzz_cmdline", "wdt", b"05,wdt-i6300esb")
put("fuzz_cmdline", "wdt-actions", b"05,wdt-i6300esb,action=poweroff\x00"
    b"06:1,wdt-i6300esb,action=none\x000\x30:0:7,wdt-i6300esb,action=pause")
put("fuzz_cmdline", "stall", b"1base=0x3000,vcpus=4,clock=virtual,action=none\x00"
    b"36ba7b810-9dad-11d1-80b4-00c04fd430c8")
put("fuzz_cmdline", "stall-bad", b"1base=0xfffffffffffff000,vcpus=0,clock=procfs,foo\x00"
    b"2nonexistent")
put("fuzz_cmdline", "both", b"05,wdt-i6300esb\x001vcpus=256,clock=virtual\x003nonsense")
# '4' % 6 == 4 (--sim), '5' % 6 == 5 (--qtest)
put("fuzz_cmdline", "sim", b"4vcpus=6,duration=20s,timeout=1s,slice=1s,pcpus=2,hang=2@1s,"
    b"starve=3@1.5s+6s,slack=1s\x0005,wdt-i6300esb")
put("fuzz_cmdline", "sim-bad", b"4vcpus=0,hang=9@1s,duration=-1\x005unix:\x005stdio")
put("fuzz_cmdline", "qtest", b"5unix:/tmp/x.sock\x0005,wdt-i6300esb")
put("fuzz_cmdline", "qtest-server", b"5unix:/tmp/x.sock,server=on,wait=off\x0005,wdt-i6300esb")

# -- fuzz_qemu_proxy: chunks (type in bits 0-1) ---------------------------------
SYSMEM, RET, CFGW, CFGR, BARW, BARR, IRQFD, DEVRESET = range(8)


def p_msg(cmd, nfds=0, **kw):
    h = 1 | (nfds << 2)
    out = bytes([h, cmd])
    if cmd in (CFGW, CFGR):
        out += bytes([kw["addr"]]) + struct.pack("<I", kw.get("val", 0)) + \
            bytes([{1: 0, 2: 1, 4: 2}[kw["len"]]])
    elif cmd in (BARW, BARR):
        out += bytes([kw["off"]]) + struct.pack("<I", kw.get("val", 0)) + \
            bytes([{1: 0, 2: 1, 4: 2, 8: 3}[kw["size"]]])
    return out


def p_qmp(line):
    b = line.encode()
    return bytes([3, len(b)]) + b


def p_bar_unlock():
    return p_msg(BARW, off=0xc, val=0x80, size=2) + p_msg(BARW, off=0xc, val=0x86, size=2)


startup = p_msg(SYSMEM, nfds=2) + p_msg(IRQFD, nfds=2)
for a in (0x00, 0x02, 0x0a, 0x2e):
    startup += p_msg(CFGR, addr=a, len=2)
for a in range(0x10, 0x2c, 4):
    startup += p_msg(CFGR, addr=a, len=4) + p_msg(CFGW, addr=a, val=0xffffffff, len=4) + \
        p_msg(CFGR, addr=a, len=4) + p_msg(CFGW, addr=a, val=0, len=4)
startup += p_msg(DEVRESET)
program = p_msg(CFGW, addr=0x10, val=0x80000000, len=4) + p_msg(CFGW, addr=0x04, val=2, len=2)
probe = p_msg(CFGW, addr=0x60, val=3, len=2) + p_msg(CFGR, addr=0x68, len=1) + \
    p_msg(CFGW, addr=0x68, val=0, len=1) + p_bar_unlock() + p_msg(BARR, off=0xc, size=2) + \
    p_bar_unlock() + p_msg(BARW, off=0xc, val=0x300, size=2)
timeout1 = p_bar_unlock() + p_msg(BARW, off=0, val=1 << 9, size=4) + p_bar_unlock() + \
    p_msg(BARW, off=4, val=1 << 9, size=4) + p_bar_unlock() + p_msg(BARW, off=0xc, val=0x100, size=2)
start_ = p_bar_unlock() + p_msg(BARW, off=0xc, val=0x100, size=2) + \
    p_msg(CFGW, addr=0x68, val=2, len=1)
put("fuzz_qemu_proxy", "qemu-startup", startup)
put("fuzz_qemu_proxy", "linux-driver", startup + program + probe + timeout1 + start_ +
    bytes([2 | 4]) * 3 + p_msg(BARR, off=0xc, size=2) + p_msg(DEVRESET))
put("fuzz_qemu_proxy", "irq-stage1", startup + program + p_msg(CFGW, addr=0x60, val=0, len=2) +
    p_bar_unlock() + p_msg(BARW, off=0, val=1, size=4) + p_msg(CFGW, addr=0x68, val=2, len=1) +
    bytes([2 | 4]) + p_msg(BARR, off=8, size=4) + p_msg(BARW, off=8, val=1, size=4))
put("fuzz_qemu_proxy", "qmp", p_qmp('{"QMP": {"version": {}, "capabilities": []}}\n') +
    p_qmp('{"return": {}}\n') +
    p_qmp('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}\n') +
    p_qmp('{"event": "RESUME", "data": {"x": "y"}}\n') +
    p_qmp('{"error": {"class": "GenericError", "desc": "no"}}\n') + p_qmp('{"event": "RESE'))
put("fuzz_qemu_proxy", "split-and-bad", startup[:1] + bytes([0, 7]) + b"\x02\x00\x00\x00\x00\x00\x00" +
    bytes([0, 9]) + b"\x0c\x00\x00\x00\x00\x00\x00\x00\x10" + p_msg(9) +
    bytes([1 | 0x40, CFGR, 200]) + bytes([0, 16]) + b"\x01" + b"\x00" * 7 + b"\xff" * 8)


# -- unlock consumption (docs/device.rst §1.3), appended to fuzz_pci_wdt -----------------
def bar_write(off, width, val):
    return bytes([5, off, {1: 0, 2: 1, 4: 2, 8: 3}[width]]) + struct.pack("<I", val)


expire = prot(0, 4, 1) + prot(1, 4, 1) + cfg_wdt(True, 1, False, 2) + bytes([W_STEP_NEXT]) * 3
# The protected write to preload 1 consumes the unlock: the plain 0x0300 after it
# must not clear the timeout flag, the read must still give 0x1200.
put("fuzz_pci_wdt", "unlock-consumed", b"\x01" + expire + bar_read(0x0c, 2) +
    prot(0, 4, 5) + bar_write(0x0c, 2, 0x0300) + bar_read(0x0c, 2))
# 8-bit writes neither act nor consume: the 0x0300 after them is still protected.
put("fuzz_pci_wdt", "unlock-8bit-not-consumed", b"\x01" + expire + unlock() +
    bar_write(0x00, 1, 0x55) + bar_write(0x0c, 1, 0x00) + bar_write(0x0c, 2, 0x0300) +
    bar_read(0x0c, 2) + bar_write(0x0c, 2, 0x0300) + bar_read(0x0c, 2))
