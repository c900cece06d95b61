#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# Builds the wdt-dm test guest from Debian packages only (docs/design.rst section 8):
# the stock Debian kernel (apt-get download + dpkg-deb -x into the cache; a
# kernel is never installed on the host), its i6300esb.ko and the modules it
# depends on (modules.dep, generated in the cache with busybox depmod since the
# package ships none), busybox-static, our libpciaccess tool esbinfo (static)
# and samples/guest/init, packed as a gzip newc cpio.
#
# Output: $CACHE/vmlinuz and $CACHE/initramfs.gz, where CACHE is $WDT_DM_CACHE
# or samples/guest/cache.  Idempotent: the kernel is fetched once and the
# initramfs is rebuilt only when one of its inputs is newer.
# Usage: build-image.sh [--print]   (--print: only print the two paths)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# An installed copy (share/wdt-dm/samples) may not be writable: the user's cache then.
if [ -z "${WDT_DM_CACHE:-}" ] && [ ! -w "$here" ]; then
	WDT_DM_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/wdt-dm
fi
CACHE=${WDT_DM_CACHE:-$here/cache}
CC=${CC:-gcc}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

if [ "${1:-}" = --print ]; then
	echo "$CACHE/vmlinuz $CACHE/initramfs.gz"
	exit 0
fi

log() { echo "guest-image: $*" >&2; }
die() { log "$*"; exit 1; }

need_tools() {
	missing=""
	[ -x /bin/busybox ] && /bin/busybox --list | grep -qx depmod || missing="$missing busybox-static"
	command -v cpio >/dev/null || missing="$missing cpio"
	[ -f /usr/include/pciaccess.h ] || missing="$missing libpciaccess-dev"
	[ -f /usr/lib/x86_64-linux-gnu/libz.a ] || missing="$missing zlib1g-dev"
	command -v "$CC" >/dev/null || missing="$missing build-essential"
	[ -z "$missing" ] && return 0
	log "installing$missing"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

sudo_if_needed() {
	[ "$(id -u)" = 0 ] || echo sudo
}

apt_kernel_dep() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}

# The kernel package linux-image-amd64 currently points at, or the cached one
# when apt cannot tell (offline).
kernel_pkg() {
	pkg=$(apt_kernel_dep)
	if [ -z "$pkg" ] && ! ls "$CACHE"/debs/linux-image-*-amd64_*.deb >/dev/null 2>&1; then
		# Fresh machine without package lists: fetch them once.
		log "apt-get update (no package lists)"
		$(sudo_if_needed) apt-get update -qq >&2 || true
		pkg=$(apt_kernel_dep)
	fi
	if [ -z "$pkg" ]; then
		deb=$(ls "$CACHE"/debs/linux-image-*-amd64_*.deb 2>/dev/null | tail -n1)
		[ -n "$deb" ] || die "cannot find the Debian kernel package"
		pkg=$(basename "$deb" | sed 's/_.*//')
	fi
	echo "$pkg"
}

fetch_kernel() {
	pkg=$1
	mkdir -p "$CACHE/debs"
	if ! ls "$CACHE/debs/${pkg}_"*.deb >/dev/null 2>&1; then
		log "downloading $pkg (about 70 MB, once)"
		# _apt cannot write into the cache folder; download as ourselves.
		(cd "$CACHE/debs" && apt-get download -q "$pkg" >/dev/null 2>"$CACHE/debs/apt.log") || {
			cat "$CACHE/debs/apt.log" >&2
			die "apt-get download $pkg failed"
		}
	fi
	deb=$(ls "$CACHE/debs/${pkg}_"*.deb | tail -n1)
	kroot="$CACHE/kernel/$pkg"
	if [ ! -f "$kroot/.unpacked" ]; then
		log "unpacking $(basename "$deb")"
		rm -rf "$kroot"
		mkdir -p "$kroot"
		dpkg-deb -x "$deb" "$kroot"
		touch "$kroot/.unpacked"
	fi
	kver=${pkg#linux-image-}
	[ -f "$kroot/lib/modules/$kver/modules.dep" ] ||
		/bin/busybox depmod -b "$kroot" "$kver"
	cp -p "$kroot/boot/vmlinuz-$kver" "$CACHE/vmlinuz.new"
	mv "$CACHE/vmlinuz.new" "$CACHE/vmlinuz"
}

# Prints i6300esb.ko's dependencies first (modules.dep lists a module's direct
# and indirect dependencies, the deepest last), then the module itself.
module_order() {
	dep=$1
	line=$(grep '/i6300esb\.ko[.a-z]*:' "$dep") || die "i6300esb not in $dep"
	mods=${line#*:}
	for m in $mods; do echo "$m"; done | sed -n '1!G;h;$p'
	echo "${line%%:*}"
}

build_esbinfo() {
	out="$CACHE/esbinfo"
	if [ ! -x "$out" ] || [ "$here/esbinfo.c" -nt "$out" ]; then
		log "building esbinfo (static, libpciaccess)"
		$CC -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$out.new" "$here/esbinfo.c" \
			$(pkg-config --static --libs pciaccess 2>/dev/null || echo -lpciaccess -lz)
		mv "$out.new" "$out"
	fi
}

build_initramfs() {
	pkg=$1
	kver=${pkg#linux-image-}
	kroot="$CACHE/kernel/$pkg"
	out="$CACHE/initramfs.gz"
	if [ -f "$out" ] && [ "$out" -nt "$here/init" ] && [ "$out" -nt "$CACHE/esbinfo" ] &&
	   [ "$out" -nt "$here/build-image.sh" ] && [ "$out" -nt "$CACHE/vmlinuz" ]; then
		return 0
	fi
	log "packing initramfs"
	root=$(mktemp -d "$CACHE/root.XXXXXX")
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/lib/modules"
	cp /bin/busybox "$root/bin/busybox"
	cp "$CACHE/esbinfo" "$root/bin/esbinfo"
	cp "$here/init" "$root/init"
	chmod 755 "$root/init"
	: >"$root/lib/modules/load-order"
	for m in $(module_order "$kroot/lib/modules/$kver/modules.dep"); do
		src="$kroot/lib/modules/$kver/$m"
		name=$(basename "$m")
		case "$name" in
		*.ko.xz) xz -dc "$src" >"$root/lib/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$src" >"$root/lib/modules/${name%.zst}"; name=${name%.zst} ;;
		*.ko.gz) gzip -dc "$src" >"$root/lib/modules/${name%.gz}"; name=${name%.gz} ;;
		*) cp "$src" "$root/lib/modules/$name" ;;
		esac
		echo "$name" >>"$root/lib/modules/load-order"
	done
	log "modules: $(tr '\n' ' ' <"$root/lib/modules/load-order")"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 >"$out.new"
	mv "$out.new" "$out"
	rm -rf "$root"
	trap - EXIT
}

need_tools
pkg=$(kernel_pkg)
fetch_kernel "$pkg"
build_esbinfo
build_initramfs "$pkg"
echo "$CACHE/vmlinuz $CACHE/initramfs.gz"
