# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
"""wdt-dm driven by QEMU 7.2's own Python clients, unchanged (issue 15).

1. qemu.machine.qtest.QEMUQtestMachine starts the launcher as it starts QEMU
   (QMP handshake on its monitor socket, -qtest socket) and runs the scenario:
   enumerate slot 5, program BAR0, the Linux i6300esb start/ping sequence, both
   stages, the RESET event, the timeout flag, guest RAM, then a clean shutdown
   (QMP quit, exit status 0).
2. qemu.qmp.QMPClient drives wdt-dm's monitor on its own: the events,
   watchdog-set-action changing what the next expiry does (pause instead of
   reset), and query-status across the pause and cont.
3. The same client under the QEMU front end (real QEMU, no guest kernel):
   stop, cont and quit are passed to QEMU's own monitor.
Prints one "PASS ..." line per part; any failure raises.
Usage: machine_test.py LAUNCHER OUTDIR (WDT_DM: the wdt-dm binary).
"""
import asyncio
import os
import socket
import subprocess
import sys
import tempfile

from qemu.machine.qtest import QEMUQtestMachine
from qemu.qmp import QMPClient

STAGE_NS = 503316480
SLOT5 = 0x80002800
BAR0 = 0xFE000000


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def linux_start(q):
    """Enumerate slot 5, program BAR0, probe, set_timeout(1), start; q(cmd) -> reply."""
    q("outl 0xcf8 0x%x" % SLOT5)
    check(q("inl 0xcfc") == "OK 0x25ab8086", "vendor/device 8086:25ab")
    q("outl 0xcf8 0x%x" % (SLOT5 | 0x10))
    q("outl 0xcfc 0x%x" % BAR0)
    q("outl 0xcf8 0x%x" % (SLOT5 | 0x04))
    q("outw 0xcfc 0x2")
    q("outl 0xcf8 0x%x" % (SLOT5 | 0x60))
    q("outw 0xcfc 0x3")
    for reg, val, width in ((0x0, 0x200, "l"), (0x4, 0x200, "l"), (0xC, 0x100, "w")):
        q("writew 0x%x 0x80" % (BAR0 + 0xC))
        q("writew 0x%x 0x86" % (BAR0 + 0xC))
        q("write%s 0x%x 0x%x" % (width, BAR0 + reg, val))
    q("outl 0xcf8 0x%x" % (SLOT5 | 0x68))
    q("outb 0xcfc 0x2")


def ping(q):
    q("writew 0x%x 0x80" % (BAR0 + 0xC))
    q("writew 0x%x 0x86" % (BAR0 + 0xC))
    q("writew 0x%x 0x100" % (BAR0 + 0xC))


def machine_part(launcher, tmp):
    vm = QEMUQtestMachine(launcher, args=["-m", "64M"], base_temp_dir=tmp, sock_dir=tmp)
    vm.launch()

    def q(cmd):
        return vm.qtest(cmd).rstrip("\n")  # qemu.machine returns the raw line
    check(q("endianness") == "OK little", "endianness")
    linux_start(q)
    check(q("clock_step 500000000") == "OK 500000000", "clock")
    ping(q)
    check(q("clock_step %d" % STAGE_NS) == "OK %d" % (500000000 + STAGE_NS), "stage 1")
    q("clock_step %d" % STAGE_NS)
    ev = vm.event_wait("RESET", timeout=10)
    check(ev is not None and ev["data"]["reason"] == "watchdog", "RESET by the watchdog")
    q("outl 0xcf8 0x%x" % (SLOT5 | 0x10))
    q("outl 0xcfc 0x%x" % BAR0)
    q("outl 0xcf8 0x%x" % (SLOT5 | 0x04))
    q("outw 0xcfc 0x2")
    q("writew 0x%x 0x80" % (BAR0 + 0xC))
    q("writew 0x%x 0x86" % (BAR0 + 0xC))
    check(int(q("readw 0x%x" % (BAR0 + 0xC)).split()[1], 16) & 0x200, "timeout flag")
    q("write 0x1000 4 0x01020304")
    check(q("readl 0x1000") == "OK 0x0000000004030201", "guest RAM")
    q("b64write 0x2000 5 aGVsbG8=")
    check(q("read 0x2000 5") == "OK 0x68656c6c6f", "b64write")
    check(vm.qmp("query-status")["return"]["status"] == "running", "query-status")
    vm.shutdown()
    check(vm.exitcode() == 0, "exit status %s" % vm.exitcode())
    print("PASS qemu.machine.qtest: launch with the QMP handshake, scenario, RESET event, "
          "guest RAM, shutdown with status 0")


async def qmp_part(dm, tmp):
    qpath, mpath = os.path.join(tmp, "q.sock"), os.path.join(tmp, "m.sock")
    lq = socket.socket(socket.AF_UNIX)
    lq.bind(qpath)
    lq.listen(1)
    qmp = QMPClient("wdt-dm")
    await qmp.start_server(mpath)
    proc = subprocess.Popen([dm, "-s", "5,wdt-i6300esb", "--qtest", "unix:" + qpath,
                             "--qmp", "unix:" + mpath])
    await qmp.accept()
    conn, _ = await asyncio.get_running_loop().run_in_executor(None, lq.accept)
    f = conn.makefile("rw")

    def q(cmd):
        f.write(cmd + "\n")
        f.flush()
        return f.readline().strip()

    events = []
    with qmp.listener() as listener:
        check((await qmp.execute("query-status"))["status"] == "running", "running")
        await qmp.execute("watchdog-set-action", {"action": "pause"})
        linux_start(q)
        q("clock_step %d" % (2 * STAGE_NS))
        while not any(e["event"] == "STOP" for e in events):
            events.append(await asyncio.wait_for(listener.get(), 10))
        wd = [e for e in events if e["event"] == "WATCHDOG"]
        check(wd and wd[0]["data"]["action"] == "pause", "WATCHDOG event with action pause")
        st = await qmp.execute("query-status")
        check(st["status"] == "paused" and not st["running"], "paused: %s" % st)
        check(q("clock_step 1000") == "OK %d" % (2 * STAGE_NS), "VM time stands still")
        await qmp.execute("cont")
        ev = await asyncio.wait_for(listener.get(), 10)
        check(ev["event"] == "RESUME", "RESUME event")
        check((await qmp.execute("query-status"))["status"] == "running", "running again")
        wds = await qmp.execute("x-query-watchdogs")
        check(wds[0]["timeout-flag"] and wds[0]["action-override"] == "pause", "device state")
    await qmp.execute("quit")
    try:
        await qmp.disconnect()
    except EOFError:
        pass  # the server closed after quit, as QEMU does

    check(proc.wait(timeout=10) == 0, "exit status")
    print("PASS qemu.qmp: events, watchdog-set-action pause instead of reset, "
          "query-status across the pause, quit")


async def qemu_frontend_part(dm, tmp):
    """Under the QEMU front end, stop/cont/quit reach QEMU's own monitor."""
    mpath = os.path.join(tmp, "m.sock")
    qmp = QMPClient("wdt-dm")
    await qmp.start_server(mpath)
    proc = subprocess.Popen([
        dm, "-s", "5,wdt-i6300esb", "--qmp", "unix:" + mpath, "--",
        os.environ.get("QEMU", "qemu-system-x86_64"), "-nodefaults", "-no-user-config",
        "-display", "none", "-monitor", "none", "-m", "128",
        "-object", "memory-backend-memfd,id=mem,size=128M,share=on",
        "-machine", "pc,memory-backend=mem"], stdout=subprocess.DEVNULL)
    await asyncio.wait_for(qmp.accept(), 30)

    async def event(name):
        while True:
            ev = await asyncio.wait_for(listener.get(), 30)
            if ev["event"] == name:
                return ev

    with qmp.listener() as listener:
        await qmp.execute("stop")
        ev = await event("STOP")
        check(ev["data"].get("source") == "qemu", "STOP from QEMU: %s" % ev)
        check((await qmp.execute("query-status"))["status"] == "paused", "paused")
        await qmp.execute("cont")
        await event("RESUME")
        check((await qmp.execute("query-status"))["status"] == "running", "running")
        await qmp.execute("quit")
    try:
        await qmp.disconnect()
    except EOFError:
        pass
    rc = proc.wait(timeout=30)
    check(rc == 0, "exit status %d" % rc)
    print("PASS QEMU front end: stop/cont/quit passed to QEMU's monitor (STOP/RESUME from "
          "QEMU, query-status follows), exit status 0")


def main():
    launcher = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="wdtq") as tmp:
        machine_part(launcher, tmp)
    with tempfile.TemporaryDirectory(prefix="wdtq") as tmp:
        asyncio.run(qmp_part(os.environ.get("WDT_DM", "build/wdt-dm"), tmp))
    with tempfile.TemporaryDirectory(prefix="wdtq") as tmp:
        asyncio.run(qemu_frontend_part(os.environ.get("WDT_DM", "build/wdt-dm"), tmp))


main()
