/* libFuzzer: what a get makes of the strings a host's script prints (the
 * input's lines, each delivered in two pieces cut where its first byte
 * says), in single-file and in tree mode: whatever the host says, the
 * bytes written never pass the length it announced, a file ends only
 * with its hash verified, and a tree's names never leave the folder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xfer/xfer.h"

#define LINES 64

struct seen {
	uint64_t size, written;
	bool open, tree;
};

static bool escapes(const char *n)
{
	size_t k = strlen(n);
	return n[0] == '/' || !strcmp(n, "..") || !strncmp(n, "../", 3) || strstr(n, "/../") ||
	       (k >= 3 && !strcmp(n + k - 3, "/.."));
}

static wrsh_err on_write(void *ctx, const void *p, size_t n)
{
	struct seen *s = ctx;
	(void)p;
	s->written += n;
	if (!s->open || s->written > s->size)
		__builtin_trap();
	return WRSH_OK;
}

static wrsh_err on_event(void *ctx, enum wrsh_xfer_event ev, const struct wrsh_xfer_file *f)
{
	struct seen *s = ctx;
	if (ev == WRSH_XFER_BEGIN) {
		s->open = true;
		s->size = f->size;
		s->written = f->at;
	} else if (ev == WRSH_XFER_END) {
		if (!s->open || s->written != s->size || !f->sha256)
			__builtin_trap();
		s->open = false;
	}
	if (s->tree && (ev == WRSH_XFER_FOLDER || ev == WRSH_XFER_BEGIN) &&
	    (!f->name || escapes(f->name)))
		__builtin_trap();
	return WRSH_OK;
}

/* a get's state (xfer_get_replay_mem() bytes, checked below) */
static union {
	uint64_t align;
	unsigned char b[8192];
} replay_mem;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char copy[1 << 16];
	const char *str[LINES];
	size_t len[LINES], cut[LINES], n = 0, i = 0;
	struct wrsh_xfer_io io;
	struct seen s;
	unsigned mode;
	if (xfer_get_replay_mem() > sizeof(replay_mem))
		__builtin_trap();
	if (size < 1 || size > sizeof(copy))
		return 0;
	memcpy(copy, data, size);
	while (i < size && n < LINES) {
		size_t j = i;
		while (j < size && copy[j] != '\n')
			j++;
		str[n] = copy + i;
		len[n] = j - i;
		cut[n] = len[n] ? (unsigned char)copy[i] % (len[n] + 1) : 0;
		n++;
		i = j + 1;
	}
	memset(&io, 0, sizeof(io));
	io.write = on_write;
	io.event = on_event;
	io.ctx = &s;
	for (mode = 0; mode < 2; mode++) {
		memset(&s, 0, sizeof(s));
		s.tree = mode;
		(void)xfer_get_replay(&replay_mem, NULL, str, len, cut, n,
				      mode ? WRSH_XFER_TREE : 0, &io);
	}
	return 0;
}
