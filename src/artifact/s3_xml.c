/*
 * s3_xml.c - builds the element tree of s3_xml.h from expat's callbacks.
 *
 * Namespace processing is on, with a separator byte that cannot occur in a
 * name, so "http://s3.amazonaws.com/doc/2006-03-01/\x01Key" and an
 * unqualified "Key" both become "Key". Text is accumulated into the element
 * being read (expat may deliver it in several pieces; CDATA arrives the same
 * way). Everything that is not an element or text (comments, processing
 * instructions) is ignored; a DOCTYPE stops the parser.
 */
#include "s3_xml.h"
#include "../base/xalloc.h"
#include <expat.h>
#include <limits.h>

#define NS_SEP '\x01'

struct builder {
	XML_Parser parser;
	struct s3_xml_doc *doc;
	size_t open;     /* index of the element being read; SIZE_MAX outside */
	unsigned depth;  /* of the next element to start */
	const char *why; /* set when a handler stopped the parser */
};

static void stop(struct builder *b, const char *why)
{
	if (!b->why)
		b->why = why;
	XML_StopParser(b->parser, XML_FALSE);
}

static void on_start(void *ctx, const XML_Char *name, const XML_Char **attrs)
{
	(void)attrs;
	struct builder *b = ctx;
	struct s3_xml_doc *d = b->doc;
	if (b->why)
		return;
	if (b->depth >= S3_XML_MAX_DEPTH)
		return stop(b, "elements nested too deeply");
	if (d->n >= S3_XML_MAX_NODES)
		return stop(b, "too many elements");
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->nodes = xrealloc(d->nodes, d->cap * sizeof(*d->nodes));
	}
	const char *local = strrchr(name, NS_SEP);
	struct s3_xml_node *node = &d->nodes[d->n];
	node->name = xstrdup(local ? local + 1 : name);
	node->text = (struct buf)BUF_INIT;
	node->parent = b->open;
	node->depth = b->depth++;
	b->open = d->n++;
}

static void on_end(void *ctx, const XML_Char *name)
{
	(void)name; /* expat has checked it matches */
	struct builder *b = ctx;
	if (b->why || b->open == SIZE_MAX)
		return;
	b->open = b->doc->nodes[b->open].parent;
	b->depth--;
}

static void on_text(void *ctx, const XML_Char *s, int len)
{
	struct builder *b = ctx;
	if (!b->why && b->open != SIZE_MAX && len > 0)
		buf_add(&b->doc->nodes[b->open].text, s, (size_t)len);
}

static void on_doctype(void *ctx, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
		       int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	stop(ctx, "a document type declaration");
}

int s3_xml_parse(struct s3_xml_doc *doc, const char *xml, size_t len, struct mlf_err *err)
{
	const XML_Char sep[] = { NS_SEP, '\0' };
	XML_Parser p = XML_ParserCreateNS(NULL, sep[0]);
	if (!p)
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "Could not create an XML parser");
	struct builder b = { .parser = p, .doc = doc, .open = SIZE_MAX };
	XML_SetUserData(p, &b);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	/* no external entity is ever loaded: there is no handler for them */
	enum XML_Status st = XML_STATUS_OK;
	while (st == XML_STATUS_OK && len > 0) {
		int piece = len > (size_t)INT_MAX ? INT_MAX : (int)len;
		st = XML_Parse(p, xml, piece, XML_FALSE);
		xml += piece;
		len -= (size_t)piece;
	}
	if (st == XML_STATUS_OK)
		st = XML_Parse(p, "", 0, XML_TRUE);
	int rc = 0;
	if (st != XML_STATUS_OK || b.why || !doc->n) {
		rc = mlf_errorf(err, MLF_INTERNAL_ERROR, "Malformed XML from S3: %s (line %lu)",
				b.why ? b.why
				: st != XML_STATUS_OK ? XML_ErrorString(XML_GetErrorCode(p))
						      : "no element",
				(unsigned long)XML_GetCurrentLineNumber(p));
		s3_xml_release(doc);
	}
	XML_ParserFree(p);
	return rc;
}

void s3_xml_release(struct s3_xml_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		free(doc->nodes[i].name);
		buf_release(&doc->nodes[i].text);
	}
	free(doc->nodes);
	*doc = (struct s3_xml_doc)S3_XML_DOC_INIT;
}

const struct s3_xml_node *s3_xml_root(const struct s3_xml_doc *doc)
{
	return doc->n ? &doc->nodes[0] : NULL;
}

const struct s3_xml_node *s3_xml_child(const struct s3_xml_doc *doc, const struct s3_xml_node *parent,
				       const char *name, const struct s3_xml_node *prev)
{
	if (!parent)
		return NULL;
	size_t pi = (size_t)(parent - doc->nodes);
	for (size_t i = prev ? (size_t)(prev - doc->nodes) + 1 : pi + 1; i < doc->n; i++) {
		const struct s3_xml_node *node = &doc->nodes[i];
		if (node->depth <= parent->depth)
			break; /* past the end of parent's subtree */
		if (node->parent == pi && strcmp(node->name, name) == 0)
			return node;
	}
	return NULL;
}

const char *s3_xml_child_text(const struct s3_xml_doc *doc, const struct s3_xml_node *parent, const char *name)
{
	const struct s3_xml_node *c = s3_xml_child(doc, parent, name, NULL);
	return c ? c->text.ptr : NULL;
}

void s3_xml_escape(struct buf *out, const char *s)
{
	static const char *const repl[256] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
					       ['\''] = "&apos;" };
	for (; *s; s++) {
		const char *r = repl[(unsigned char)*s];
		if (r)
			buf_adds(out, r);
		else
			buf_addch(out, *s);
	}
}
