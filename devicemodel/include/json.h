/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The one JSON reader (core/json.c), for input that is hostile: the QMP
 * monitor's clients and QEMU's own QMP output.  A small recursive parser of
 * QEMU's dialect ('...' strings are accepted too) with a depth and a node
 * limit; every value keeps the text it was read from.
 */
#ifndef _JSON_H_
#define _JSON_H_

#include <stdbool.h>
#include <stddef.h>

#define JSON_DEPTH_MAX 32
#define JSON_NODES_MAX 512

enum json_type { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json_val {
	enum json_type t;
	bool b;
	const char *src; /* the value as written in the input, len bytes */
	size_t len;
	char *str;       /* J_STR: decoded, NUL-terminated */
	char *key;       /* member name inside an object */
	struct json_val *kid, *next;
};

struct json {
	const struct json_val *root; /* NULL: the input is not one JSON value */
	const char *err;             /* why not */
	const char *p, *end;         /* where the parse stopped, the input's end */
	struct json_val nodes[JSON_NODES_MAX];
	int nnodes;
	size_t strused;
	char strbuf[];               /* decoded strings, as large as the input */
};

/* Parses [s, s + n) as one JSON value (free() the result); NULL when out of memory. */
struct json *json_parse(const char *s, size_t n);
/* obj's member key, or NULL (also when obj is no object). */
const struct json_val *json_member(const struct json_val *obj, const char *key);

#endif /* _JSON_H_ */
