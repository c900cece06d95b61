/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The one JSON reader (json.h): a small recursive parser of QEMU's dialect for
 * hostile input (the QMP monitor's clients, QEMU's QMP output).  Values are
 * nodes of a fixed array (JSON_NODES_MAX), nesting is bounded
 * (JSON_DEPTH_MAX), decoded strings go to a buffer as large as the input, and
 * whatever is malformed fails the parse with a reason.
 */
#include <stdlib.h>
#include <string.h>

#include "hexdigit.h"
#include "json.h"

static struct json_val *jnew(struct json *j, enum json_type t)
{
	struct json_val *v;

	if (j->nnodes == JSON_NODES_MAX) {
		j->err = "too many JSON values";
		return NULL;
	}
	v = &j->nodes[j->nnodes++];
	memset(v, 0, sizeof(*v));
	v->t = t;
	return v;
}

static void jskip(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

/* \uXXXX as UTF-8 (surrogates and NUL are refused). */
static int jescape_u(struct json *j, char *out, size_t *o)
{
	unsigned int cp = 0;

	for (int i = 0; i < 4; i++) {
		int h = j->p + i < j->end ? hex_digit_value(j->p[i]) : -1;

		if (h < 0)
			return -1;
		cp = cp << 4 | (unsigned int)h;
	}
	j->p += 4;
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

static char *jstring(struct json *j)
{
	char quote = *j->p++, *out = j->strbuf + j->strused;
	size_t o = 0;

	while (j->p < j->end && *j->p != quote) {
		char c = *j->p++;

		if ((unsigned char)c < 0x20)
			return j->err = "control character in string", NULL;
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (j->p == j->end)
			break;
		c = *j->p++;
		switch (c) {
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case 'r': out[o++] = '\r'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case '"': case '\'': case '\\': case '/': out[o++] = c; break;
		case 'u':
			if (jescape_u(j, out, &o))
				return j->err = "bad \\u escape", NULL;
			break;
		default:
			return j->err = "bad escape", NULL;
		}
	}
	if (j->p == j->end)
		return j->err = "unterminated string", NULL;
	j->p++;
	out[o] = '\0';
	j->strused += o + 1;
	return out;
}

static struct json_val *jvalue(struct json *j, int depth);

static struct json_val *jcontainer(struct json *j, int depth, bool obj)
{
	struct json_val *v = jnew(j, obj ? J_OBJ : J_ARR), **tail;
	char close = obj ? '}' : ']';

	if (!v)
		return NULL;
	if (depth >= JSON_DEPTH_MAX)
		return j->err = "JSON nested too deeply", NULL;
	tail = &v->kid;
	j->p++;
	jskip(j);
	if (j->p < j->end && *j->p == close)
		return j->p++, v;
	for (;;) {
		char *key = NULL;
		struct json_val *m;

		jskip(j);
		if (obj) {
			if (j->p >= j->end || (*j->p != '"' && *j->p != '\''))
				return j->err = "expected a member name", NULL;
			key = jstring(j);
			jskip(j);
			if (!key || j->p >= j->end || *j->p++ != ':')
				return j->err = j->err ? j->err : "expected ':'", NULL;
		}
		m = jvalue(j, depth + 1);
		if (!m)
			return NULL;
		m->key = key;
		*tail = m;
		tail = &m->next;
		jskip(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close)
			return j->p++, v;
		return j->err = "expected ',' or a closing bracket", NULL;
	}
}

static bool jword(struct json *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || strncmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

static struct json_val *jnumber(struct json *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
				 *j->p == 'E' || *j->p == '+' || *j->p == '-'))
		j->p++;
	if (j->p == s || (j->p - s == 1 && *s == '-'))
		return j->err = "invalid token", NULL;
	return jnew(j, J_NUM);
}

static struct json_val *jtoken(struct json *j, int depth)
{
	struct json_val *v;

	if (j->p >= j->end)
		return j->err = "unexpected end of input", NULL;
	switch (*j->p) {
	case '{':
		return jcontainer(j, depth, true);
	case '[':
		return jcontainer(j, depth, false);
	case '"':
	case '\'':
		v = jnew(j, J_STR);
		if (v && !(v->str = jstring(j)))
			return NULL;
		return v;
	default:
		break;
	}
	if (jword(j, "true") || jword(j, "false")) {
		v = jnew(j, J_BOOL);
		if (v)
			v->b = j->p[-1] == 'e' && j->p[-2] == 'u';
		return v;
	}
	if (jword(j, "null"))
		return jnew(j, J_NULL);
	return jnumber(j);
}

/* The value after the blanks at j->p, with the text it was read from. */
static struct json_val *jvalue(struct json *j, int depth)
{
	const char *s;
	struct json_val *v;

	jskip(j);
	s = j->p;
	v = jtoken(j, depth);
	if (v) {
		v->src = s;
		v->len = (size_t)(j->p - s);
	}
	return v;
}

struct json *json_parse(const char *s, size_t n)
{
	struct json *j = malloc(sizeof(*j) + n + 1);

	if (!j)
		return NULL;
	j->nnodes = 0;
	j->strused = 0;
	j->err = NULL;
	j->p = s;
	j->end = s + n;
	j->root = jvalue(j, 0);
	jskip(j);
	if (j->root && j->p != j->end) {
		j->root = NULL;
		j->err = "trailing characters";
	}
	return j;
}

const struct json_val *json_member(const struct json_val *obj, const char *key)
{
	for (const struct json_val *m = obj && obj->t == J_OBJ ? obj->kid : NULL; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}
