/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * One hexadecimal digit's value, for the text protocols' parsers (qtest's
 * write data, QMP's \u escapes).
 */
#ifndef _HEXDIGIT_H_
#define _HEXDIGIT_H_

/* 0-15, or -1 when c is not a hex digit. */
static inline int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* _HEXDIGIT_H_ */
