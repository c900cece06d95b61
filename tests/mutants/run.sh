#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# `make mutants`: the mutation check.  Each mutant of tests/mutants/mutants.txt is
# a small semantic change to one source file, given as (file, exact original text,
# replacement).  The working tree is copied once into build/mutants/src (mtimes
# kept, so its objects stay valid between runs); each mutant is applied alone to
# that copy, only the changed object is rebuilt and the binaries relinked, the
# fast suites run (the unit suite, then the qtest samples and the command-line
# tests), and the copy is put back exactly as it was (source and object, with
# their old mtimes).  One line per mutant:
#   KILLED    a suite failed by an assertion (or a sample's expected reply)
#   SURVIVED  every suite passed: some behaviour has no test
#   CRASHED   only a crash (signal) or a hang noticed it, never an assertion
#   STALE     the original text is not in the file exactly once (the code moved on:
#             replace the mutant with one that tests the new code)
#   BROKEN    the mutant does not compile
# then the score.  Exit status 1 unless every mutant is KILLED.
# Usage: tests/mutants/run.sh [mutant-id ...]   (no argument: every mutant)
# MUTANT_LIST=file uses another list; MUTANT_JOBS (2) and MUTANT_UNIT_TIMEOUT (10 s) tune it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
list=${MUTANT_LIST:-$top/tests/mutants/mutants.txt}
work=$top/build/mutants
src=$work/src
state=$work/state
jobs=${MUTANT_JOBS:-2}
unit_timeout=${MUTANT_UNIT_TIMEOUT:-10}
# The scratch tree is built by its own make, never with the caller's variables.
unset MAKEFLAGS MFLAGS MAKELEVEL BUILD SAN OPT
start=$(date +%s)

die() {
	echo "mutants: $*" >&2
	exit 2
}

command -v perl >/dev/null || die "perl is needed (Debian: perl-base)"
mkdir -p "$work" || die "cannot create $work"

# A run that died with a mutant applied leaves a marker: rebuild from scratch.
if [ -e "$state/dirty" ]; then
	echo "mutants: previous run was interrupted, rebuilding the scratch tree"
	rm -rf "$src"
fi
# Objects do not depend on the Makefile: new flags mean a fresh build.
if [ -e "$src/Makefile" ] && ! cmp -s "$top/Makefile" "$src/Makefile"; then
	rm -rf "$src/build"
fi
rm -rf "$state"
mkdir -p "$state/list" "$src" || die "cannot create $state"

# Fresh sources with their own mtimes: objects of unchanged files stay valid.
# Only what the build and the fast suites need (never a guest image cache).
for d in devicemodel unit samples tests; do
	rm -rf "${src:?}/$d"
done
mkdir -p "$src/samples" "$src/tests" || die "cannot create $src"
cp -a "$top/Makefile" "$top/devicemodel" "$top/unit" "$src/" &&
	cp -a "$top/samples/qtest" "$src/samples/" && cp -a "$top/tests/cli.sh" "$src/tests/" ||
	die "cannot copy the tree"

# Split the list into one directory per mutant: id, desc, file, find, repl.
perl -e '
	my ($list, $out) = @ARGV;
	open(my $fh, "<", $list) or die "mutants: $list: $!\n";
	my (%m, @all, %seen);
	sub unesc { my $s = shift; $s =~ s/\\(.)/$1 eq "n" ? "\n" : $1 eq "t" ? "\t" : $1/ge; $s }
	sub flush {
		return unless %m;
		for my $k (qw(desc file find repl)) {
			die "mutants: $m{id}: no \"$k\" line\n" unless defined $m{$k};
		}
		die "mutants: $m{id}: listed twice\n" if $seen{$m{id}}++;
		my $d = sprintf("%s/%03d", $out, scalar(@all) + 1);
		mkdir $d or die "mutants: $d: $!\n";
		for my $k (qw(id desc file find repl)) {
			open(my $o, ">", "$d/$k") or die "mutants: $d/$k: $!\n";
			print $o ($k eq "find" || $k eq "repl") ? unesc($m{$k}) : $m{$k};
			close($o);
		}
		push @all, $m{id};
		%m = ();
	}
	while (my $l = <$fh>) {
		chomp $l;
		next if $l =~ /^\s*#/;
		if ($l =~ /^\s*$/) { flush(); next; }
		my ($k, $v) = $l =~ /^(\w+)\s+(.*)$/ or die "mutants: $list:$.: bad line\n";
		die "mutants: $list:$.: unknown key $k\n"
			unless $k =~ /^(mutant|desc|file|find|repl)$/;
		if ($k eq "mutant") { flush(); $m{id} = $v; } else { $m{$k} = $v; }
	}
	flush();
' "$list" "$state/list" || exit 2

# Applies one mutant to the scratch copy: 0 applied, 3 stale (not exactly once).
apply() { # apply <file> <find-file> <repl-file>
	perl -e '
		my ($f, $ff, $rf) = @ARGV;
		local $/;
		open(my $a, "<", $ff) or die; my $find = <$a>;
		open(my $b, "<", $rf) or die; my $repl = <$b>;
		open(my $c, "<", $f) or do { print "0\n"; exit 3 };
		my $text = <$c>;
		close($c);
		my $n = () = $text =~ /\Q$find\E/g;
		if ($n != 1) { print "$n\n"; exit 3; }
		my $i = index($text, $find);
		substr($text, $i, length($find)) = $repl;
		open(my $o, ">", $f) or die "mutants: $f: $!\n"; print $o $text; close($o);
	' "$@"
}

build() {
	make -C "$src" -j"$jobs" build/unit/unit_tests build/wdt-dm >"$state/build.log" 2>&1
}

# A stand-in for wdt-dm that records deaths by signal, for the sample and CLI suites.
# The wrapper that records a wdt-dm killed by a signal.  SIGTERM and SIGINT sent
# to it go on to wdt-dm (a test may stop wdt-dm on purpose), and wdt-dm's own
# status is what counts.
cat >"$state/dm" <<EOF || die "cannot write $state/dm"
#!/bin/sh
exec 3<&0
"$src/build/wdt-dm" "\$@" <&3 3<&- &
pid=\$!
exec 3<&-
# A trapped signal ends wait early (status > 128) with wdt-dm not yet reaped:
# wait again for its own status, even when it has exited meanwhile.
again=0
trap 'again=1; kill -TERM \$pid 2>/dev/null' TERM
trap 'again=1; kill -INT \$pid 2>/dev/null' INT
wait \$pid
rc=\$?
while [ \$again = 1 ]; do again=0; wait \$pid; rc=\$?; done
[ \$rc -ge 128 ] && echo "wdt-dm died with status \$rc (\$*)" >>"$state/crashes"
exit \$rc
EOF
chmod +x "$state/dm"

# Every unit suite in its own process, $jobs at a time, so a hang or a crash in
# one suite cannot hide an assertion that failed in another.
run_unit() {
	rm -f "$state"/unit.*
	export UNIT_VERBOSE=1
	sed -n 's/^UNIT_SUITE(\([a-z_0-9]*\),.*/\1/p' "$src"/unit/*.c |
		xargs -P "$jobs" -I{} sh -c '
			timeout -k 5 "$1" "$2" {} >"$3/unit.{}.log" 2>"$3/unit.{}.err"
			echo $? >"$3/unit.{}.rc"' sh "$unit_timeout" "$src/build/unit/unit_tests" \
		"$state"
	failed=0
	broken=""
	for rcf in "$state"/unit.*.rc; do
		suite=${rcf#"$state/unit."}
		suite=${suite%.rc}
		rc=$(cat "$rcf")
		# Verbose mode prints each failed test as it completes, even before a crash.
		n=$(grep -c '\.\.\.FAILED' "$state/unit.$suite.log")
		failed=$((failed + n))
		if [ "$rc" -eq 124 ]; then
			broken="$broken $suite:hung"
		elif [ "$rc" -ne 0 ] && { [ "$rc" -ne 1 ] || [ "$n" -eq 0 ]; }; then
			broken="$broken $suite:status-$rc"
		fi
	done
}

# Runs the fast suites; sets verdict (pass|assert|crash) and detail.
run_suites() {
	rm -f "$state/crashes"
	run_unit
	if [ "$failed" -gt 0 ]; then
		verdict=assert
		detail="unit: $failed tests failed${broken:+, also}$broken"
		return
	fi
	if [ -n "$broken" ]; then
		verdict=crash
		detail="unit:$broken"
		return
	fi
	(cd "$src" && timeout -k 5 120 sh samples/qtest/run.sh "$state/dm" &&
		timeout -k 5 120 sh tests/cli.sh "$state/dm") >"$state/samples.log" 2>&1
	rc=$?
	if [ -s "$state/crashes" ]; then
		verdict=crash
		detail=$(head -n 1 "$state/crashes")
	elif [ "$rc" -ne 0 ]; then
		verdict=assert
		detail=$(grep -m 1 -E "FAIL" "$state/samples.log")
		[ -n "$detail" ] || detail="qtest samples / CLI status $rc"
	else
		verdict=pass
		detail=""
	fi
}

echo "mutants: building the scratch tree in $src"
if ! build; then
	tail -20 "$state/build.log"
	die "the unmutated tree does not build"
fi
run_suites
if [ "$verdict" != pass ]; then
	cat "$state"/unit.*.log "$state/samples.log" 2>/dev/null | grep -E "FAIL|unit:" | head -20
	die "the unmutated tree fails its suites ($detail)"
fi

total=0
killed=0
bad=0
for d in "$state"/list/*; do
	id=$(cat "$d/id")
	desc=$(cat "$d/desc")
	file=$(cat "$d/file")
	if [ $# -gt 0 ]; then
		wanted=no
		for w in "$@"; do [ "$w" = "$id" ] && wanted=yes; done
		[ "$wanted" = yes ] || continue
	fi
	total=$((total + 1))
	obj=$src/build/${file%.c}
	cp -p "$src/$file" "$state/orig.c" || die "cannot save $file"
	cp -p "$obj.o" "$state/orig.o" && cp -p "$obj.d" "$state/orig.d" || die "cannot save $obj.o"
	echo "$file" >"$state/dirty"
	touch "$state/stamp"
	if ! apply "$src/$file" "$d/find" "$d/repl" >"$state/found"; then
		result=STALE
		detail="original text found $(cat "$state/found") times in $file, not once"
	elif ! build; then
		result=BROKEN
		detail=$(grep -m 1 "error:" "$state/build.log")
	else
		run_suites
		case $verdict in
		assert) result=KILLED ;;
		crash) result=CRASHED ;;
		*) result=SURVIVED ;;
		esac
	fi
	# Put the copy back as it was; the binaries hold the mutant: relink next time.
	# Any other object built meanwhile may hold it too (a test that includes the
	# mutated .c file): it is built again, from the restored source, next time.
	find "$src/build" -name '*.o' -newer "$state/stamp" -exec rm -f {} + 2>/dev/null
	cp -p "$state/orig.c" "$src/$file" && cp -p "$state/orig.o" "$obj.o" &&
		cp -p "$state/orig.d" "$obj.d" || die "cannot restore $file"
	rm -f "$src/build/unit/unit_tests" "$src/build/wdt-dm" "$state/dirty"
	[ "$result" = KILLED ] && killed=$((killed + 1)) || bad=$((bad + 1))
	printf '%-8s %s: %s' "$result" "$id" "$desc"
	[ -n "$detail" ] && printf ' [%s]' "$detail"
	printf '\n'
done
[ "$total" -gt 0 ] || die "no mutant selected"
echo "mutants: $killed of $total killed ($((100 * killed / total))%), $bad not," \
	"$(($(date +%s) - start)) s"
[ "$bad" -eq 0 ]
