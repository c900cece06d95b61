#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# The repository must stand alone: no file in it may send a reader to a file
# outside it.  This check fails (exit 1, one "file:line: text" per finding)
# when a file of the repository
#   - cites the project's former out-of-tree documents (the spec, design and
#     style notes, by file name or as "SPEC 1.2" / "DESIGN section 5"),
#   - points into the sibling directory "shared" or at its "reference" notes,
#   - names a docs/... file that the repository does not contain
#     ("QEMU's docs/..." is QEMU's tree and is not checked).
# Allowed, and nothing else: a Makefile (Makefile, *.mk) may set a variable
# named ACRN... to the sibling ACRN source tree as its default, e.g.
# "ACRN ?= <sibling>/acrn", and a shell script may do the same as
# ACRN=${ACRN:-<sibling>/acrn}: that tree is a build input of `make acrn-check`,
# not something to read.  This script itself is not scanned.
#
# --fix first rewrites the old citations to the in-tree documents, keeping the
# section numbers (docs/device.rst and docs/design.rst keep the old numbering;
# the QEMU proxy notes became docs/design.rst section 9), then checks.  The
# rewrite touches only the cited names, so it is safe on code comments.
#
# Usage: tests/check-self-contained.sh [--fix]     (from anywhere in the tree)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
self=tests/check-self-contained.sh

# The rewrite (also what the lead re-applies to code merged later).
REWRITE='
s#\.\./shared/reference/qemu-proxy-protocol\.md#docs/design.rst section 9#g
s#reference/qemu-proxy-protocol\.md#docs/design.rst section 9#g
s#docs/acrn-shim\.md#docs/acrn.rst#g
s#research B\.6\.6#docs/device.rst §2.2#g
s#(docs/devel/qtest\.rst)#(QEMU'"'"'s docs/devel/qtest.rst)#g
s#SPEC\.md \([0-9]\)#docs/device.rst §\1#g
s#SPEC \([0-9]\)#docs/device.rst §\1#g
s#SPEC §#docs/device.rst §#g
s#SPEC\.md#docs/device.rst#g
s#DESIGN\.md \([0-9]\)#docs/design.rst §\1#g
s#DESIGN \([0-9]\)#docs/design.rst §\1#g
s#DESIGN §#docs/design.rst §#g
s#DESIGN\.md#docs/design.rst#g
'

# Citations of the old documents and paths out of the tree.
BAD='(SPEC|DESIGN|STYLE)\.md|\b(SPEC|DESIGN)( §| section [0-9]| [0-9])'
BAD=$BAD'|\.\./shared|(^|[^A-Za-z0-9_])shared/|reference/[A-Za-z0-9_-]+\.md'
# The allowed build-input lines (see the header).
MK_OK='^[[:space:]]*(export[[:space:]]+)?ACRN[A-Z0-9_]*[[:space:]]*[?:]?='
MK_OK=$MK_OK'[[:space:]]*\.\./shared/acrn/?[[:space:]]*$'
SH_OK='^[^#]*ACRN[A-Z0-9_]*="?\$\{ACRN[A-Z0-9_]*:-\.\./shared/acrn/?\}"?'

list_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files
	else
		find . -type f ! -path './.git/*' ! -path './build/*' ! -path '*/cache/*' |
			sed 's#^\./##'
	fi | grep -v -x -F "$self" | sort
}

files=$(mktemp)
found=$(mktemp)
trap 'rm -f "$files" "$found"' EXIT
list_files >"$files"

if [ "${1:-}" = --fix ]; then
	old='SPEC|DESIGN|reference/|acrn-shim|research B|docs/devel'
	tr '\n' '\0' <"$files" | xargs -0 grep -l -I -E "$old" -- 2>/dev/null |
		while IFS= read -r f; do sed -i -e "$REWRITE" "$f"; done
elif [ $# -gt 0 ]; then
	echo "usage: $self [--fix]" >&2
	exit 2
fi

# 1. Old documents and out-of-tree paths, minus the allowed build inputs.
tr '\n' '\0' <"$files" | xargs -0 grep -n -H -I -E "$BAD" -- 2>/dev/null |
	while IFS= read -r hit; do
		f=${hit%%:*}
		text=${hit#*:*:}
		case $f in
		Makefile | */Makefile | *.mk)
			printf '%s\n' "$text" | grep -q -E "$MK_OK" && continue ;;
		*.sh)
			printf '%s\n' "$text" | grep -q -E "$SH_OK" && continue ;;
		esac
		printf '%s\n' "$hit"
	done >>"$found"

# 2. docs/... paths that the repository does not hold (QEMU's own docs excepted).
DOCREF="(QEMU's )?docs/[A-Za-z0-9_./-]*[A-Za-z0-9_]"
tr '\n' '\0' <"$files" | xargs -0 grep -n -H -I -o -E "$DOCREF" -- 2>/dev/null |
	while IFS= read -r hit; do
		ref=${hit#*:*:}
		case $ref in "QEMU's "*) continue ;; esac
		grep -q -x -F "$ref" "$files" && continue
		printf '%s: no such file in the repository (git ls-files)\n' "$hit"
	done >>"$found"

if [ -s "$found" ]; then
	echo "self-contained: FAIL, references to files outside the repository:" >&2
	cat "$found" >&2
	exit 1
fi
echo "self-contained: PASS ($(wc -l <"$files") files, no reference outside the repository)"
