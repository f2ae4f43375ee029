/*
 * The arena: a first-fit heap with boundary tags inside one caller buffer.
 *
 * Why a heap and not a bump allocator: expat and mbedTLS free out of order
 * (expat regrows its token buffer, mbedTLS frees handshake temporaries), and a
 * session streams for hours; a bump arena would creep. Blocks are carved from
 * the low end of the buffer; `brk` is the end of the carved region and only
 * grows when no free block fits, so the high-water mark of `brk` is the
 * number of bytes the session really needed.
 *
 * Block: [size | used bit][prev block's size][payload ...]. Free blocks keep
 * a doubly linked list in their payload. Sizes are multiples of MEM_ALIGN.
 */
#include <string.h>

#include "base/mem.h"

#define MEM_ALIGN 16u
#define HDR MEM_ALIGN /* header padded so payloads stay aligned */
#define USED ((size_t)1)
#define MIN_BLOCK \
	(HDR + 2 * sizeof(void *) > 2 * MEM_ALIGN ? HDR + 2 * sizeof(void *) : 2 * MEM_ALIGN)

struct blk {
	size_t size; /* whole block, header included; low bit = used */
	size_t prev; /* size of the block just below, 0 for the first */
};

struct fre {
	struct blk h;
	unsigned char pad[HDR - sizeof(struct blk)];
	struct fre *next, *prevf;
};

struct wrsh_arena {
	unsigned char *base; /* first block */
	size_t cap;	     /* bytes usable for blocks */
	size_t brk;	     /* end of carved region, offset from base */
	size_t top;	     /* size of the block that ends at brk, 0 if none */
	size_t peak_brk;
	size_t in_use;
	size_t head; /* bytes taken by this header before base */
	struct fre *free;
#ifdef WRSH_TESTING
	long fail_after; /* test hook: < 0 never fail */
#endif
};

static size_t round_up(size_t n)
{
	return (n + MEM_ALIGN - 1) & ~(size_t)(MEM_ALIGN - 1);
}

static size_t bsize(const struct blk *b)
{
	return b->size & ~USED;
}

static struct blk *at(struct wrsh_arena *a, size_t off)
{
	return (struct blk *)(void *)(a->base + off);
}

static size_t off_of(const struct wrsh_arena *a, const struct blk *b)
{
	return (size_t)((const unsigned char *)b - a->base);
}

static struct blk *next_of(struct wrsh_arena *a, struct blk *b)
{
	size_t o = off_of(a, b) + bsize(b);
	return o < a->brk ? at(a, o) : NULL;
}

static void list_del(struct wrsh_arena *a, struct fre *f)
{
	if (f->prevf)
		f->prevf->next = f->next;
	else
		a->free = f->next;
	if (f->next)
		f->next->prevf = f->prevf;
}

static void list_add(struct wrsh_arena *a, struct blk *b)
{
	struct fre *f = (struct fre *)(void *)b;
	f->prevf = NULL;
	f->next = a->free;
	if (a->free)
		a->free->prevf = f;
	a->free = f;
}

/* A free, coalesced block: the top returns to brk, others go on the list. */
static void give_back(struct wrsh_arena *a, struct blk *b)
{
	if (off_of(a, b) + bsize(b) == a->brk) {
		a->brk = off_of(a, b);
		a->top = b->prev;
	} else {
		list_add(a, b);
	}
}

/* Set b's size and tell the following block about it. */
static void set_size(struct wrsh_arena *a, struct blk *b, size_t size, bool used)
{
	struct blk *n;
	b->size = size | (used ? USED : 0);
	n = next_of(a, b);
	if (n)
		n->prev = size;
}

/* Cut b down to `need`; the tail becomes a free block (coalesced upward). */
static void split(struct wrsh_arena *a, struct blk *b, size_t need)
{
	size_t total = bsize(b);
	struct blk *t, *n;
	if (total - need < MIN_BLOCK)
		return;
	set_size(a, b, need, true);
	t = at(a, off_of(a, b) + need);
	t->prev = need;
	t->size = total - need;
	n = next_of(a, t);
	if (n)
		n->prev = bsize(t);
	if (n && !(n->size & USED)) {
		list_del(a, (struct fre *)(void *)n);
		set_size(a, t, bsize(t) + bsize(n), false);
	}
	give_back(a, t);
}

/* see wrsh.h */
struct wrsh_arena *wrsh_arena_init(void *buf, size_t len)
{
	uintptr_t p = (uintptr_t)buf, q;
	struct wrsh_arena *a;
	size_t head;

	if (!buf)
		return NULL;
	q = (p + MEM_ALIGN - 1) & ~(uintptr_t)(MEM_ALIGN - 1);
	head = (size_t)(q - p) + round_up(sizeof(struct wrsh_arena));
	if (len < head + MIN_BLOCK)
		return NULL;
	a = (struct wrsh_arena *)q;
	memset(a, 0, sizeof(*a));
	a->head = head;
	a->base = (unsigned char *)buf + head;
	a->cap = (len - head) & ~(size_t)(MEM_ALIGN - 1);
#ifdef WRSH_TESTING
	a->fail_after = -1;
#endif
	return a;
}

static struct blk *take_free(struct wrsh_arena *a, size_t need)
{
	struct fre *f;
	for (f = a->free; f; f = f->next) {
		if (bsize(&f->h) >= need) {
			list_del(a, f);
			f->h.size |= USED;
			split(a, &f->h, need);
			return &f->h;
		}
	}
	return NULL;
}

static struct blk *take_top(struct wrsh_arena *a, size_t need)
{
	struct blk *b;
	if (a->cap - a->brk < need)
		return NULL;
	b = at(a, a->brk);
	b->size = need | USED;
	b->prev = a->top;
	a->top = need;
	a->brk += need;
	if (a->brk > a->peak_brk)
		a->peak_brk = a->brk;
	return b;
}

#ifdef WRSH_TESTING
static bool fail_now(struct wrsh_arena *a)
{
	if (a->fail_after < 0)
		return false;
	if (a->fail_after == 0)
		return true;
	a->fail_after--;
	return false;
}
#else
static bool fail_now(struct wrsh_arena *a)
{
	(void)a;
	return false;
}
#endif

/* see wrsh.h */
void *wrsh_arena_alloc(struct wrsh_arena *a, size_t n)
{
	struct blk *b;
	size_t need;
	if (!a || n > a->cap || fail_now(a))
		return NULL;
	need = round_up(n + HDR);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	b = take_free(a, need);
	if (!b)
		b = take_top(a, need);
	if (!b)
		return NULL;
	a->in_use += bsize(b);
	return (unsigned char *)b + HDR;
}

/* see wrsh.h */
void *wrsh_arena_calloc(struct wrsh_arena *a, size_t count, size_t n)
{
	void *p;
	if (n && count > (size_t)-1 / n)
		return NULL;
	p = wrsh_arena_alloc(a, count * n);
	if (p)
		memset(p, 0, count * n);
	return p;
}

static struct blk *hdr_of(void *p)
{
	return (struct blk *)(void *)((unsigned char *)p - HDR);
}

/* see wrsh.h */
void wrsh_arena_free(struct wrsh_arena *a, void *p)
{
	struct blk *b, *n;
	if (!a || !p)
		return;
	b = hdr_of(p);
	a->in_use -= bsize(b);
	b->size &= ~USED;
	n = next_of(a, b);
	if (n && !(n->size & USED)) {
		list_del(a, (struct fre *)(void *)n);
		set_size(a, b, bsize(b) + bsize(n), false);
	}
	if (b->prev) {
		struct blk *pb = at(a, off_of(a, b) - b->prev);
		if (!(pb->size & USED)) {
			list_del(a, (struct fre *)(void *)pb);
			set_size(a, pb, bsize(pb) + bsize(b), false);
			b = pb;
		}
	}
	give_back(a, b);
}

/* Grow b in place to `need` from a free neighbour or the untouched top. */
static bool grow_in_place(struct wrsh_arena *a, struct blk *b, size_t need)
{
	struct blk *n = next_of(a, b);
	size_t have = bsize(b);
	if (n && !(n->size & USED) && have + bsize(n) >= need) {
		list_del(a, (struct fre *)(void *)n);
		set_size(a, b, have + bsize(n), true);
		split(a, b, need);
		return true;
	}
	if (!n && off_of(a, b) + need <= a->cap) {
		a->brk = off_of(a, b) + need;
		a->top = need;
		if (a->brk > a->peak_brk)
			a->peak_brk = a->brk;
		b->size = need | USED;
		return true;
	}
	return false;
}

/* see wrsh.h */
void *wrsh_arena_realloc(struct wrsh_arena *a, void *p, size_t n)
{
	struct blk *b;
	size_t need, old;
	void *q;
	if (!p)
		return wrsh_arena_alloc(a, n);
	if (!a || n > a->cap)
		return NULL;
	b = hdr_of(p);
	old = bsize(b);
	need = round_up(n + HDR);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	if (need <= old) {
		split(a, b, need);
		a->in_use -= old - bsize(b);
		return p;
	}
	if (fail_now(a))
		return NULL;
	if (grow_in_place(a, b, need)) {
		a->in_use += bsize(b) - old;
		return p;
	}
	q = wrsh_arena_alloc(a, n);
	if (!q)
		return NULL;
	memcpy(q, p, old - HDR);
	wrsh_arena_free(a, p);
	return q;
}

/* see wrsh.h */
size_t wrsh_arena_peak(const struct wrsh_arena *a)
{
	return a ? a->head + a->peak_brk : 0;
}

/* see wrsh.h */
size_t wrsh_arena_size(const struct wrsh_arena *a)
{
	return a ? a->head + a->cap : 0;
}

/* see wrsh.h */
size_t wrsh_arena_in_use(const struct wrsh_arena *a)
{
	return a ? a->in_use : 0;
}

#ifdef WRSH_TESTING
void mem_fail_after(struct wrsh_arena *a, long n)
{
	a->fail_after = n;
}
#endif

void mem_reset_peak(struct wrsh_arena *a)
{
	a->peak_brk = a->brk;
}

/* see wrsh.h */
void wrsh_wipe(void *p, size_t n)
{
	if (!p || !n)
		return;
#if defined(__GNUC__)
	/* memset, then a barrier that claims to read the buffer: the compiler
	 * must keep the stores. (A volatile function pointer would do the same
	 * but is a writable data symbol, and core/ holds none.) */
	memset(p, 0, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
#else
	{
		volatile unsigned char *v = p;
		while (n--)
			*v++ = 0;
	}
#endif
}
