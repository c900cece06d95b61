#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Command-line checks: every bad argument is one line on stderr and exit status 2;
# good ones run.  Usage: tests/cli.sh build/wdt-dm
set -u
dm=${1:-build/wdt-dm}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

as="" # a command prefix to run wdt-dm as another user (bad_as_nobody)

bad() { # bad <description> <args...>: must exit 2 with exactly one stderr line
	d=$1
	shift
	bad_says "$d" "" "$@"
}

bad_says() { # bad_says <description> <stderr substring> <args...>: bad, saying that
	desc=$1
	want=$2
	shift 2
	$as "$dm" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$want" "$tmp/err"; then
		pass=$((pass + 1))
	else
		echo "cli: FAIL $desc: status $rc, $lines stderr lines (want one with \"$want\"):"
		sed 's/^/    /' "$tmp/err"
		fail=$((fail + 1))
	fi
}

bad_as_nobody() { # bad, run as user nobody (needs root, setpriv and a binary nobody can run)
	as="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null ||
		! $as "$dm" --version >/dev/null 2>&1; then
		echo "cli: skipped as nobody: $1"
	else
		bad "$@"
	fi
	as=""
}

all_functions() { # -s options for every slot and function the parser accepts
	for s in $(seq 0 31); do
		for f in $(seq 0 7); do
			printf -- '-s %d:%d,wdt-i6300esb ' "$s" "$f"
		done
	done
}

good() { # good <description> <expected stdout substring> <args...>
	desc=$1
	want=$2
	shift 2
	printf 'clock_step 10\n' | "$dm" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q -- "$want" "$tmp/out"; then
		pass=$((pass + 1))
	else
		echo "cli: FAIL $desc: status $rc"
		sed 's/^/    /' "$tmp/err" "$tmp/out"
		fail=$((fail + 1))
	fi
}

bad "no front end"
bad "unknown emulation" -s 5,nosuchdev --qtest stdio
bad "duplicate slot" -s 5,wdt-i6300esb -s 5,wdt-i6300esb --qtest stdio
bad "slot above 31" -s 32,wdt-i6300esb --qtest stdio
bad "function above 7" -s 5:8,wdt-i6300esb --qtest stdio
bad "slot not a number" -s x,wdt-i6300esb --qtest stdio
bad "missing emulation" -s 5 --qtest stdio
bad "bad uuid" -U not-a-uuid --qtest stdio
bad "missing value" --qtest
bad "missing -s value" -s
bad "unknown option" --frobnicate --qtest stdio
bad "bad qtest transport" --qtest tcp:1234
bad "two front ends" --qtest stdio --sim vcpus=1
bad "bad device option" -s 5,wdt-i6300esb,action=explode --qtest stdio
bad "bad vcpu-stall option" --vcpu-stall vcpus=0 --qtest stdio
bad_says "vcpu-stall twice" "given twice" --vcpu-stall vcpus=1 --vcpu-stall vcpus=2 --qtest stdio
bad_says "unknown platform device" "unknown platform device" --platform nosuch --qtest stdio
bad "bad platform device option" --platform vcpu-stall,vcpus=0 --qtest stdio
bad "stray argument" --qtest stdio stray
bad_says "stall window on a BAR" "overlaps wdt-i6300esb" \
	--vcpu-stall base=0x80000000 -s 5,wdt-i6300esb --qtest stdio
bad_says "stall window past the end" "past the end" \
	--vcpu-stall base=0xfffffffffffff000 --qtest stdio
bad_says "stall window unaligned" "aligned" --vcpu-stall base=0x3800 --qtest stdio
bad "qtest socket in a missing directory" --qtest "unix:$tmp/missing/sock,server=on"
mkdir "$tmp/ro" && chmod 755 "$tmp/ro" && chmod 711 "$tmp"
bad_as_nobody "qtest socket in a directory nobody may write" --qtest "unix:$tmp/ro/sock,server=on"
bad_says "slot 0 under QEMU" "slot 0 is QEMU's" -s 0,wdt-i6300esb -- qemu-system-x86_64
bad_says "slot 0 function 3 under QEMU" "slot 0 is QEMU's" \
	-s 0:3,wdt-i6300esb -- qemu-system-x86_64
bad_says "function 1 without function 0" "nothing at function 0" -s 5:1,wdt-i6300esb --qtest stdio
bad "events and qtest both on stdout" --events - --qtest stdio
bad_says "procfs clock with simulated vCPUs" "not KVM vCPUs" \
	--sim vcpus=1 --vcpu-stall clock=procfs
bad_says "procfs clock with qtest" "not KVM vCPUs" --vcpu-stall clock=procfs --qtest stdio
bad_says "procfs clock with QEMU under TCG" "not KVM vCPUs" \
	--vcpu-stall clock=procfs -s 5,wdt-i6300esb -- qemu-system-x86_64 -accel tcg
good "help" "usage:" --help
good "version" "wdt-dm " --version
good "qtest with a device" "OK 10" -s 5,wdt-i6300esb --qtest stdio
good "platform device by name" "OK 10" --platform vcpu-stall,vcpus=2 --qtest stdio
good "given uuid" "OK 10" -U 6ba7b810-9dad-11d1-80b4-00c04fd430c8 --qtest stdio
# shellcheck disable=SC2046 # one word per option
good "a watchdog at every slot and function" "OK 10" $(all_functions) --qtest stdio
good "function 1 with function 0" "OK 10" -s 5,wdt-i6300esb -s 5:1,wdt-i6300esb --qtest stdio

# -- issue 16: post-mortem dumps and QEMU's whole action set
mkdir -p "$tmp/dumps"
bad_says "dump dir missing" "dump=$tmp/nope" -s "5,wdt-i6300esb,dump=$tmp/nope" --qtest stdio
: >"$tmp/afile"
bad_says "dump dir a file" "not a directory" -s "5,wdt-i6300esb,dump=$tmp/afile" --qtest stdio
bad_says "dump dir empty" "want a directory" -s 5,wdt-i6300esb,dump= --qtest stdio
bad_says "dump_timeout 0" "dump_timeout=0" -s "5,wdt-i6300esb,dump=$tmp/dumps,dump_timeout=0" --qtest stdio
bad_says "dump_timeout too long" "1 to 3600" --vcpu-stall dump_timeout=3601 --qtest stdio
bad_says "vcpu-stall dump dir missing" "dump=$tmp/nope" --vcpu-stall "dump=$tmp/nope" --qtest stdio
bad_as_nobody "dump dir nobody may write" -s "5,wdt-i6300esb,dump=$tmp/ro" --qtest stdio
bad_says "dump under sim" "no guest memory" --sim vcpus=1 --vcpu-stall "dump=$tmp/dumps"
bad "inject_nmi misspelt" -s 5,wdt-i6300esb,action=inject_nmi --qtest stdio
good "dump dir, timeout and shutdown" "OK 10" \
	-s "5,wdt-i6300esb,action=shutdown,dump=$tmp/dumps,dump_timeout=5" --qtest stdio
good "vcpu-stall inject-nmi with a dump dir" "OK 10" \
	--vcpu-stall "action=inject-nmi,dump=$tmp/dumps" --qtest stdio
if [ -z "$(ls -A "$tmp/dumps")" ]; then pass=$((pass + 1)); else
	echo "cli: FAIL start-up probes left files in the dump dir"; fail=$((fail + 1)); fi

# -- issue 15: QEMU's spellings (-m, unix:PATH[,server=on], -qmp, -chardev/-mon)
bad "bad -m" -m 0 --qtest stdio
bad "bad -m suffix" -m 12Q --qtest stdio
bad "bad qtest server flag" --qtest "unix:$tmp/s,server=maybe"
bad "bad qmp value" --qmp tcp:1 --qtest stdio
bad "-mon without its -chardev" -mon chardev=nope,mode=control --qtest stdio
bad "-chardev not a socket" -chardev file,path=x,id=c -mon chardev=c,mode=control --qtest stdio
good "-m with a suffix" "OK 10" -m 1G --qtest stdio
good "-m in MiB" "OK 10" -m 64 --qtest stdio

check() { # check <description> <condition...>
	desc=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		echo "cli: FAIL $desc"
		sed 's/^/    /' "$tmp/err" 2>/dev/null
		fail=$((fail + 1))
	fi
}

# A listening qtest never replaces anything but a stale socket: a regular file is
# refused (status 2: the PATH given cannot be used) and left as it was.
echo precious >"$tmp/file"
"$dm" --qtest "unix:$tmp/file,server=on" </dev/null >/dev/null 2>"$tmp/err"
check "server=on refuses a regular file (status $?)" test "$?" -eq 2 -a "$(cat "$tmp/file")" = precious
# unix:PATH connects, as QEMU's -qtest does: to nothing, status 1
"$dm" --qtest "unix:$tmp/nobody" </dev/null >/dev/null 2>"$tmp/err"
check "unix:PATH with nobody listening (status $?)" test "$?" -eq 1
# connects to a listening peer, which gets QEMU's replies; SIGTERM ends the run with 0
python3 - "$dm" "$tmp" <<'PY' >"$tmp/err" 2>&1
import os, signal, socket, subprocess, sys
dm, tmp = sys.argv[1], sys.argv[2]
path = os.path.join(tmp, "peer.sock")
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1)
srv.settimeout(30)
p = subprocess.Popen([dm, "--qtest", "unix:" + path], stdin=subprocess.DEVNULL)
c, _ = srv.accept()
f = c.makefile("rw")
f.write("endianness\ninl 0xcfc\n")
f.flush()
got = [f.readline().strip(), f.readline().strip()]
p.send_signal(signal.SIGTERM)
rc = p.wait(timeout=30)
ok = got == ["OK little", "OK 0xffffffff"] and rc == 0
print("replies", got, "status", rc)
sys.exit(0 if ok else 1)
PY
check "unix:PATH connects; SIGTERM ends with status 0" test "$?" -eq 0
# a stale socket of a dead run is replaced; the listener removes its socket at the end
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/stale"
printf 'inb 0x80\n' | timeout 30 python3 -c '
import socket, sys, time
for _ in range(1000):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.01)
s.sendall(b"inb 0x80\n"); print(s.makefile().readline().strip())' "$tmp/stale" >"$tmp/out" &
"$dm" --qtest "unix:$tmp/stale,server=on" </dev/null >/dev/null 2>"$tmp/err"
rc=$?
wait
check "server=on replaces a stale socket (status $rc)" test "$rc" -eq 0 -a "$(cat "$tmp/out")" = "OK 0x00ff" -a ! -e "$tmp/stale"
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
