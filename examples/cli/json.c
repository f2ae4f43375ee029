/*
 * CLIXML object events as JSON, one line per object (`wrsh ps --json`), as
 * they stream: nothing is held but a stack of open containers and the
 * type-name table of the current object.
 *
 *   primitive          42, "text", true, null, "2024-01-02T03:04:05Z"
 *   Obj                {"_types": [...], "_string": "...", "Prop": ..., "_items": [...],
 *                       "_entries": {"key": value}}
 *   Ref                {"_ref": N}
 *
 * MS and Props are transparent (their members become the object's keys);
 * lists become "_items", dictionaries "_entries". A record that is not
 * output (an information record) names its stream: {"_stream": "information", ...}.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static bool numeric(const char *tag)
{
	static const char *const t[] = {"I32", "I64", "I16", "U32", "U64", "U16",
					"By",  "SB",  "Db",  "Sg",  "D",   "C"};
	size_t i;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i], tag))
			return true;
	return false;
}

static bool is_list(const char *tag)
{
	return !strcmp(tag, "LST") || !strcmp(tag, "IE") || !strcmp(tag, "ST") ||
	       !strcmp(tag, "QUE") || !strcmp(tag, "STK");
}

static void put_str(struct json_out *j, const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", j->f);
		else if (c == '\r')
			fputs("\\r", j->f);
		else if (c == '\t')
			fputs("\\t", j->f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(j->f, "\\u%04x", c);
		else
			fputc(c, j->f);
	}
}

/* a comma before every member but the first of its container; none
 * between a dictionary key and its value */
static void member(struct json_out *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth && j->depth <= JSON_MAX_DEPTH && j->count[j->depth - 1]++)
		fputc(',', j->f);
}

static bool in_entry(const struct json_out *j)
{
	return j->depth <= JSON_MAX_DEPTH && j->entry[j->depth];
}

static void key(struct json_out *j, const char *k)
{
	member(j);
	fputc('"', j->f);
	put_str(j, k, strlen(k));
	fputs("\":", j->f);
}

static void push(struct json_out *j, char close)
{
	if (j->depth < JSON_MAX_DEPTH) {
		j->close[j->depth] = close;
		j->count[j->depth] = 0;
		j->entry[j->depth + 1] = false;
	}
	j->depth++;
}

void json_begin(struct json_out *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* The key a node gets inside its parent, or NULL for a bare value. */
static const char *key_of(struct json_out *j, const struct wrsh_ps_node *n)
{
	if (in_entry(j) && n->name && !strcmp(n->name, "Value"))
		return NULL; /* the key was written from Key */
	if (!n->name && j->depth && j->depth <= JSON_MAX_DEPTH && j->close[j->depth - 1] == '}' &&
	    !in_entry(j) && !is_list(n->tag) && strcmp(n->tag, "DCT"))
		return "_value"; /* an enum's number, an object's own value */
	return n->name;
}

void json_open(struct json_out *j, const struct wrsh_ps_node *n)
{
	const char *k = key_of(j, n);
	if (!strcmp(n->tag, "MS") || !strcmp(n->tag, "Props"))
		return;
	if (!strcmp(n->tag, "En")) {
		if (j->depth <= JSON_MAX_DEPTH)
			j->entry[j->depth] = true;
		return;
	}
	if (!strcmp(n->tag, "TN")) {
		key(j, "_types");
		fputc('[', j->f);
		push(j, ']');
		return;
	}
	if (k)
		key(j, k);
	else if (j->depth)
		member(j);
	if (is_list(n->tag)) {
		if (j->depth && j->close[j->depth - 1] == '}' && !k) {
			/* a list inside an object: its items */
			fputs("\"_items\":", j->f);
		}
		fputc('[', j->f);
		push(j, ']');
	} else if (!strcmp(n->tag, "DCT")) {
		if (j->depth && j->close[j->depth - 1] == '}' && !k)
			fputs("\"_entries\":", j->f);
		fputc('{', j->f);
		push(j, '}');
	} else {
		fputc('{', j->f);
		push(j, '}');
		if (j->depth == 1 && j->stream) { /* a record, not output */
			fprintf(j->f, "\"_stream\":\"%s\"", j->stream);
			j->count[0]++;
		}
	}
}

void json_text(struct json_out *j, const struct wrsh_ps_node *n, const char *p, size_t len,
	       bool last)
{
	const char *k;
	if (!j->value_open) {
		j->value_open = true;
		if (in_entry(j) && n->name && !strcmp(n->name, "Key")) {
			member(j);
			fputc('"', j->f);
			j->value_kind = 'k';
		} else if (!strcmp(n->tag, "T")) {
			member(j);
			fputc('"', j->f);
			j->value_kind = 't';
		} else if (!strcmp(n->tag, "TNRef")) {
			key(j, "_types_ref");
			j->value_kind = 'n';
		} else if (!strcmp(n->tag, "Ref")) {
			k = key_of(j, n);
			if (k)
				key(j, k);
			else if (j->depth)
				member(j);
			fprintf(j->f, "{\"_ref\":%lld}", (long long)n->ref_id);
			j->value_kind = 'x';
		} else {
			k = !strcmp(n->tag, "ToString") ? "_string" : key_of(j, n);
			if (k)
				key(j, k);
			else if (j->depth)
				member(j);
			j->value_kind = !strcmp(n->tag, "Nil")	? 'z'
					: !strcmp(n->tag, "B")	? 'b'
					: !strcmp(n->tag, "SS") ? 'S' /* never its ciphertext */
					: numeric(n->tag)	? 'n'
								: 's';
			if (j->value_kind == 's')
				fputc('"', j->f);
		}
	}
	if (j->value_kind == 'n' && !strcmp(n->tag, "TNRef")) {
		/* printed at the end: the RefId is the value */
	} else if (j->value_kind == 's' || j->value_kind == 'k' || j->value_kind == 't') {
		put_str(j, p, len);
	} else if (j->value_kind == 'n' || j->value_kind == 'b') {
		if (j->value_kind == 'b')
			j->bool_true = j->bool_true || (len && (p[0] == 't' || p[0] == 'T'));
		else
			fwrite(p, 1, len, j->f);
	}
	if (!last)
		return;
	switch (j->value_kind) {
	case 's':
	case 't':
		fputc('"', j->f);
		break;
	case 'k':
		fputs("\":", j->f);
		j->after_key = true;
		break;
	case 'z':
		fputs("null", j->f);
		break;
	case 'S':
		fputs("{\"SecureString\":true}", j->f);
		break;
	case 'b':
		fputs(j->bool_true ? "true" : "false", j->f);
		break;
	case 'n':
		if (!strcmp(n->tag, "TNRef"))
			fprintf(j->f, "%lld", (long long)n->ref_id);
		break;
	}
	j->value_open = false;
	j->bool_true = false;
}

void json_close(struct json_out *j, const struct wrsh_ps_node *n)
{
	if (!strcmp(n->tag, "MS") || !strcmp(n->tag, "Props"))
		return;
	if (!strcmp(n->tag, "En")) {
		if (j->depth <= JSON_MAX_DEPTH)
			j->entry[j->depth] = false;
		return;
	}
	if (j->depth) {
		j->depth--;
		fputc(j->depth < JSON_MAX_DEPTH ? j->close[j->depth] : '}', j->f);
	}
}

void json_end(struct json_out *j)
{
	fputc('\n', j->f);
	j->depth = 0;
	j->value_open = j->after_key = false;
	j->stream = NULL;
	memset(j->entry, 0, sizeof(j->entry));
}
