#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs every samples/qtest/*.qtest scenario through `wdt-dm --qtest stdio`.
#
# Scenario format (one directive per line):
#   # args: <wdt-dm options>   first such line: the DM's options (besides --qtest/--events)
#   > <qtest command>          sent to the DM; every command gets exactly one reply
#   < <reply>                  the reply to the command just above must be exactly this;
#                              a command with no "<" line must get a reply starting "OK"
#   E <text>                   the events file must contain, after the event matched by
#                              the previous E line, an event line containing <text>
#   ! <text>                   no event line at all may contain <text>
#   A <line>                   the command just above must have been preceded by the
#                              asynchronous line <line> (e.g. "IRQ raise 21"); async lines
#                              are not replies
#   # ...                      comment
# Prints one line per scenario and "qtest: N passed, N failed"; exit 1 on any failure.
set -u
dm=${1:-build/wdt-dm}
dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for f in "$dir"/*.qtest; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .qtest)
	args=$(sed -n 's/^# args: //p' "$f" | head -n 1)
	sed -n 's/^> //p' "$f" >"$tmp/in"
	rm -f "$tmp/ev"
	# shellcheck disable=SC2086
	timeout 60 "$dm" $args --qtest stdio --events "$tmp/ev" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	touch "$tmp/ev"
	why=$(awk -v outf="$tmp/out" -v evf="$tmp/ev" '
		BEGIN { nout = 0
			while ((getline l < outf) > 0) {
				if (substr(l, 1, 4) == "IRQ ") async[nout + 1] = async[nout + 1] "|" l "|"
				else out[++nout] = l
			}
			nev = 0; while ((getline l < evf) > 0) ev[++nev] = l
			cmd = 0; evpos = 0; err = "" }
		function check_prev() {
			if (cmd > 0 && !expected[cmd] && substr(out[cmd], 1, 2) != "OK" && err == "")
				err = sprintf("line %d: \"%s\" got \"%s\"", cmdline[cmd], cmdtext[cmd], out[cmd])
		}
		/^> / { check_prev(); cmd++; cmdline[cmd] = NR; cmdtext[cmd] = substr($0, 3); next }
		/^< / { expected[cmd] = 1
			if (out[cmd] != substr($0, 3) && err == "")
				err = sprintf("line %d: \"%s\" expected \"%s\", got \"%s\"", NR, cmdtext[cmd], substr($0, 3), out[cmd])
			next }
		/^A / { want = "|" substr($0, 3) "|"
			if (!index(async[cmd], want) && err == "")
				err = sprintf("line %d: \"%s\" not preceded by %s (got %s)", NR, cmdtext[cmd], substr($0, 3), async[cmd])
			next }
		/^E / { want = substr($0, 3); found = 0
			for (i = evpos + 1; i <= nev; i++) if (index(ev[i], want)) { found = i; break }
			if (!found && err == "") err = sprintf("line %d: no event containing %s (after event %d)", NR, want, evpos)
			else evpos = found; next }
		/^! / { want = substr($0, 3)
			for (i = 1; i <= nev; i++) if (index(ev[i], want) && err == "")
				err = sprintf("line %d: unexpected event %s", NR, ev[i])
			next }
		END { check_prev()
			if (err == "" && nout != cmd) err = sprintf("%d commands but %d replies", cmd, nout)
			print err }
	' "$f")
	if [ "$rc" -ne 0 ] && [ -z "$why" ]; then
		why="wdt-dm exited with status $rc: $(head -n 1 "$tmp/err")"
	fi
	if [ -z "$why" ]; then
		echo "qtest: PASS $name"
		pass=$((pass + 1))
	else
		echo "qtest: FAIL $name: $why"
		fail=$((fail + 1))
	fi
done
echo "qtest: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
