#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# `wdt-dm --help` and the man page (docs/wdt-dm.1) list the same options: the
# option names of the help's option lines and of the man page's OPTIONS tags
# are compared as sets; any option in one and not the other fails the test.
#   tests/install/manpage.sh [path/to/wdt-dm] [path/to/wdt-dm.1]
set -u
dm=${1:-build/wdt-dm}
man=${2:-docs/wdt-dm.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Option lines of --help start with spaces and a dash; take every option name on them.
"$dm" --help | grep -E '^ +-' | grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' |
	sed 's/^[ ,]*//' | sort -u >"$tmp/help"
# Tags of the OPTIONS section: the line after each .TP, with roff's \- undone.
sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man" | awk 'p { print; p = 0 } /^\.TP/ { p = 1 }' |
	sed 's/\\-/-/g; s/\\f[BIRP]//g' | grep -oE '(^|[ ",])--?[a-zA-Z][a-zA-Z-]*' |
	sed 's/^[ ",]*//' | sort -u >"$tmp/man"
if [ ! -s "$tmp/help" ] || [ ! -s "$tmp/man" ]; then
	echo "manpage: FAIL no options found (help: $(wc -l <"$tmp/help"), man: $(wc -l <"$tmp/man"))"
	exit 1
fi
if diff -u "$tmp/help" "$tmp/man" >"$tmp/diff"; then
	echo "manpage: PASS --help and $man list the same $(wc -l <"$tmp/help") options"
	exit 0
fi
echo "manpage: FAIL --help (-) and $man (+) differ:"
tail -n +3 "$tmp/diff" | grep -E '^[-+]'
exit 1
