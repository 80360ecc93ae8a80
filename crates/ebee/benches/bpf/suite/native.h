// SPDX-License-Identifier: GPL-2.0
// The host build of the suite (suite.h without __bpf__): the libbpf names the programs use,
// as plain C, so that clang -O2 compiles the same program text for x86-64. Kept small and
// honest: the same algorithm on the same packet, maps as plain data structures.
//
// - SEC() places nothing; __noinline and __always_inline are the compiler's attributes.
// - struct xdp_md holds real pointers (the kernel rewrites its 32-bit fields to them).
// - Array maps are flat arrays, hash maps open-addressing tables (FNV-1a of the key, linear
//   probing), LPM tries binary tries over the key's bits, the ring buffer a byte ring that
//   nobody consumes. A map's storage is allocated at its first use and remembered in the
//   first field of its definition (the `type` pointer libbpf's __uint declares).
// - The numbers (map types, flags, XDP actions) come from linux/bpf.h.
#ifndef SUITE_NATIVE_H
#define SUITE_NATIVE_H

#include <stdlib.h>
#include <string.h>
#define xdp_md uapi_xdp_md
#include <linux/bpf.h>
#undef xdp_md

struct xdp_md {
	unsigned long data;
	unsigned long data_end;
	unsigned long data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

#define SEC(name)
// libbpf's compiler barrier (bpf_helpers.h): the compiler forgets what it knew of var.
#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "=r"(var) : "0"(var))
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

struct native_map {
	int type;
	__u32 max_entries, key_size, value_size, slots;
	__u64 ring_head;
	unsigned char *keys;   // hash: slots * key_size
	unsigned char *used;   // hash: slots; lpm: nodes have a value
	unsigned char *values; // array/hash: entries * value_size; ring: the ring
	__u32 (*child)[2];     // lpm: node -> child per bit, 0 = none
	__u32 nodes;
};

static struct native_map *native_map_new(int type, __u32 max_entries, __u32 key_size,
					 __u32 value_size)
{
	struct native_map *m = calloc(1, sizeof(*m));
	m->type = type;
	m->max_entries = max_entries;
	m->key_size = key_size;
	m->value_size = value_size;
	switch (type) {
	case BPF_MAP_TYPE_ARRAY:
		m->values = calloc(max_entries, value_size);
		break;
	case BPF_MAP_TYPE_HASH:
		m->slots = 1;
		while (m->slots < 2 * max_entries)
			m->slots *= 2;
		m->keys = calloc(m->slots, key_size);
		m->used = calloc(m->slots, 1);
		m->values = calloc(m->slots, value_size);
		break;
	case BPF_MAP_TYPE_LPM_TRIE: {
		__u32 bits = 8 * (key_size - 4);
		m->slots = max_entries * bits + 1;
		m->child = calloc(m->slots, sizeof(*m->child));
		m->used = calloc(m->slots, 1);
		m->values = calloc(m->slots, value_size);
		m->nodes = 1;
		break;
	}
	case BPF_MAP_TYPE_RINGBUF:
		m->values = calloc(max_entries, 1);
		break;
	default:
		abort();
	}
	return m;
}

// A definition's map type, a compile-time constant: the helpers switch on it, so each call
// site compiles to the one map type's code (as the kernel calls the map's own ops).
#define NATIVE_TYPE(def) ((int)(sizeof(*(def)->type) / sizeof(int)))

// The map behind a definition: the definition's first field caches it.
#define NATIVE_MAP(def) NATIVE_MAP_SIZED(def, sizeof(*(def)->key), sizeof(*(def)->value))
#define NATIVE_MAP_SIZED(def, key_size, value_size)                                        \
	native_map_of((void **)&(def)->type, NATIVE_TYPE(def),                             \
		      sizeof(*(def)->max_entries) / sizeof(int), (key_size), (value_size))

static inline struct native_map *native_map_of(void **cache, int type, __u32 max_entries,
					       __u32 key_size, __u32 value_size)
{
	if (__builtin_expect(*cache == 0, 0))
		*cache = native_map_new(type, max_entries, key_size, value_size);
	return *cache;
}

static inline __u32 native_fnv(const unsigned char *p, __u32 n)
{
	__u32 h = 2166136261u;
	for (__u32 i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

// Hash: the slot holding `key`, or the empty slot where it would go.
static inline __u32 native_hash_slot(struct native_map *m, const void *key)
{
	__u32 i = native_fnv(key, m->key_size) & (m->slots - 1);
	while (m->used[i] && memcmp(m->keys + (size_t)i * m->key_size, key, m->key_size))
		i = (i + 1) & (m->slots - 1);
	return i;
}

static inline __u32 native_lpm_bit(const unsigned char *data, __u32 i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

static inline void *native_lookup(struct native_map *m, int type, const void *key)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: {
		__u32 i = *(const __u32 *)key;
		return i < m->max_entries ? m->values + (size_t)i * m->value_size : 0;
	}
	case BPF_MAP_TYPE_HASH: {
		__u32 i = native_hash_slot(m, key);
		return m->used[i] ? m->values + (size_t)i * m->value_size : 0;
	}
	case BPF_MAP_TYPE_LPM_TRIE: {
		__u32 prefixlen = *(const __u32 *)key, node = 0, best = m->used[0] ? 0 : ~0u;
		const unsigned char *data = (const unsigned char *)key + 4;
		for (__u32 i = 0; i < prefixlen && i < 8 * (m->key_size - 4); i++) {
			node = m->child[node][native_lpm_bit(data, i)];
			if (!node)
				break;
			if (m->used[node])
				best = node;
		}
		return best == ~0u ? 0 : m->values + (size_t)best * m->value_size;
	}
	}
	return 0;
}

static inline long native_update(struct native_map *m, int type, const void *key,
				 const void *value, __u64 flags)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: {
		__u32 i = *(const __u32 *)key;
		if (i >= m->max_entries)
			return -7; // -E2BIG
		memcpy(m->values + (size_t)i * m->value_size, value, m->value_size);
		return 0;
	}
	case BPF_MAP_TYPE_HASH: {
		__u32 i = native_hash_slot(m, key);
		if (!m->used[i]) {
			m->used[i] = 1;
			memcpy(m->keys + (size_t)i * m->key_size, key, m->key_size);
		}
		memcpy(m->values + (size_t)i * m->value_size, value, m->value_size);
		return 0;
	}
	case BPF_MAP_TYPE_LPM_TRIE: {
		__u32 prefixlen = *(const __u32 *)key, node = 0;
		const unsigned char *data = (const unsigned char *)key + 4;
		for (__u32 i = 0; i < prefixlen; i++) {
			__u32 bit = native_lpm_bit(data, i);
			if (!m->child[node][bit])
				m->child[node][bit] = m->nodes++;
			node = m->child[node][bit];
		}
		m->used[node] = 1;
		memcpy(m->values + (size_t)node * m->value_size, value, m->value_size);
		return 0;
	}
	}
	return -22; // -EINVAL
}

static inline long native_ringbuf_output(struct native_map *m, const void *data, __u64 size)
{
	__u64 total = (size + 8 + 7) & ~7ull;
	if (m->ring_head + total > m->max_entries)
		m->ring_head = 0;
	memcpy(m->values + m->ring_head, &size, 8);
	memcpy(m->values + m->ring_head + 8, data, size);
	m->ring_head += total;
	return 0;
}

#define bpf_map_lookup_elem(map, key)                                                      \
	native_lookup(NATIVE_MAP(map), NATIVE_TYPE(map), (key))
#define bpf_map_update_elem(map, key, value, flags)                                        \
	native_update(NATIVE_MAP(map), NATIVE_TYPE(map), (key), (value), (flags))
#define bpf_ringbuf_output(map, data, size, flags)                                         \
	native_ringbuf_output(NATIVE_MAP_SIZED(map, 0, 0), (data), (size))

static inline long bpf_loop(__u32 n, void *callback_fn, void *ctx, __u64 flags)
{
	long (*callback)(__u64, void *) = (long (*)(__u64, void *))callback_fn;
	__u32 i = 0;
	while (i < n) {
		long stop = callback(i++, ctx);
		if (stop)
			break;
	}
	return i;
}

#endif
