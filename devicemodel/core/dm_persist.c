/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * dm_persist(): per-device blocks that live until the DM exits (dm_persist.h).
 * A short mutex-protected list; devices look their block up at init only, so
 * the list is never on a guest access or timer path.  Host-agnostic: the same
 * file is built into acrn-dm (devicemodel/acrn/).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dm_persist.h"
#include "dm_util.h"
#include "log.h"

struct persist_block {
	struct persist_block *next;
	const char *cls;
	uint64_t key;
	size_t size;
	max_align_t data[]; /* the device's bytes */
};

static pthread_mutex_t persist_lock = PTHREAD_MUTEX_INITIALIZER;
static struct persist_block *persist_head;

static struct persist_block *persist_find(const char *cls, uint64_t key)
{
	for (struct persist_block *b = persist_head; b; b = b->next)
		if (b->key == key && strcmp(b->cls, cls) == 0)
			return b;
	return NULL;
}

void *dm_persist(const char *cls, uint64_t key, size_t size)
{
	struct persist_block *b;
	void *data = NULL;

	if (!cls || size == 0 || size > SIZE_MAX - sizeof(*b))
		return NULL;
	dm_mutex_lock(&persist_lock);
	b = persist_find(cls, key);
	if (!b) {
		b = calloc(1, sizeof(*b) + size);
		if (b) {
			b->cls = cls;
			b->key = key;
			b->size = size;
			b->next = persist_head;
			persist_head = b;
		}
	}
	if (b && b->size == size)
		data = b->data;
	else if (b)
		pr_err("persist: %s/%llu asked for with %zu bytes, holds %zu\n", cls,
		       (unsigned long long)key, size, b->size);
	dm_mutex_unlock(&persist_lock);
	return data;
}

void dm_persist_clear(void)
{
	struct persist_block *b;

	dm_mutex_lock(&persist_lock);
	while ((b = persist_head) != NULL) {
		persist_head = b->next;
		free(b);
	}
	dm_mutex_unlock(&persist_lock);
}
