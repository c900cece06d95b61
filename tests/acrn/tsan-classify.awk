# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# Sorts ThreadSanitizer reports of acrn-test: a data race whose racing
# accesses (the first non-interceptor frame of each access stack) are all in
# ACRN's own sources (under SRC) is ACRN's; any other report -- a race with
# an access in our plugin, glue or harness, or a report of another kind
# (use after free, destroyed mutex, signal) -- counts against us.
# Prints "acrn N ours M" and the SUMMARY lines of ours.
BEGIN { acrn = 0; ours = 0 }
/^WARNING: ThreadSanitizer:/ { inrep = 1; race = ($0 ~ /data race/); want = 0; bad = 0; next }
inrep && /^  (Read|Write|Atomic read|Atomic write|Previous read|Previous write|Previous atomic)/ {
	want = 1; next
}
# A stack TSan could not restore names no frame: the other access decides.
inrep && want && !/^    #[0-9]+ / { want = 0; next }
inrep && want && /^    #[0-9]+ / {
	if ($0 ~ /libsanitizer|tsan_interceptors|sanitizer_common/) next
	if (index($0, SRC) == 0) bad = 1
	want = 0; next
}
inrep && /^SUMMARY:/ {
	if (race && !bad) acrn++; else { ours++; print }
	inrep = 0
}
END { print "acrn " acrn " ours " ours }
