# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
"""A hostile QMP client must not slow or stop the device model (tests/faults).

wdt-dm runs the qtest front end with --qmp; the QMP client negotiates, then
sends 1 MiB of garbage, 100 000 unclosed brackets and a stream of commands
and never reads a byte, while events pile up.  Meanwhile 5 000 qtest round
trips must complete within 30 s, then SIGTERM must end wdt-dm with status 0.
Usage: qmp_hostile.py WDT_DM TMPDIR; exit 0 on success, else prints why.
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

dm, tmp = sys.argv[1], sys.argv[2]
qpath, mpath = os.path.join(tmp, "hq.sock"), os.path.join(tmp, "hm.sock")
lq, lm = socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)
lq.bind(qpath)
lq.listen(1)
lm.bind(mpath)
lm.listen(1)
lq.settimeout(30)
lm.settimeout(30)
p = subprocess.Popen([dm, "-s", "5,wdt-i6300esb", "--qtest", "unix:" + qpath,
                      "--qmp", "unix:" + mpath], stderr=subprocess.DEVNULL)
q, _ = lq.accept()
m, _ = lm.accept()


def flood():
    try:
        m.sendall(b'{"execute": "qmp_capabilities"}\n')
        m.sendall(os.urandom(1 << 20))
        m.sendall(b"[" * 100000)
        for _ in range(20000):
            m.sendall(b'{"execute": "query-status"}\n')
    except OSError:
        pass  # the server may drop a client that never reads


threading.Thread(target=flood, daemon=True).start()
f = q.makefile("rw")
start = time.monotonic()
for i in range(5000):
    f.write("outl 0xcf8 0x80002800\n" if i % 2 else "clock_step 1000\n")
    f.flush()
    if not f.readline().startswith("OK"):
        print("bad qtest reply")
        sys.exit(1)
took = time.monotonic() - start
p.send_signal(signal.SIGTERM)
rc = p.wait(timeout=30)
if took > 30 or rc != 0:
    print("5000 qtest round trips took %.1f s, exit status %d" % (took, rc))
    sys.exit(1)
