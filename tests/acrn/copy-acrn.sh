#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# Copies ACRN's tree ($1, read-only) to $2, writable, with git symlinks that
# were checked out as plain files (a line holding the target path) turned
# back into links, as in ACRN's repository.
set -eu
[ -d "$1/devicemodel" ] || { echo "copy-acrn: $1 has no devicemodel/ (set ACRN=...)"; exit 1; }
rm -rf "$2"
mkdir -p "$(dirname "$2")"
cp -a "$1" "$2"
chmod -R u+w "$2"
find "$2" -type f -size -300c | while read -r f; do
	t=$(head -c 300 "$f")
	case $t in
	../*) if [ -e "$(dirname "$f")/$t" ]; then ln -sf "$t" "$f"; fi ;;
	esac
done
