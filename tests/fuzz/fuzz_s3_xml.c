/*
 * fuzz_s3_xml.c - libFuzzer target for the reader of S3's XML answers
 * (src/artifact/s3_xml.h): whatever an S3 endpoint, or something posing as
 * one, sends back to a list, upload or error path.
 *
 * Besides "no crash, no leak, no undefined behaviour" it asserts: a parse
 * gives 0 with a tree, or -1 with INTERNAL_ERROR, a message, and an empty
 * document; in a tree every node's parent comes before it at one level up,
 * depth and count stay inside S3_XML_MAX_DEPTH / S3_XML_MAX_NODES, text is a
 * C string of its recorded length, and walking the root's children by each
 * child's own name visits every child exactly once. The input's first NUL-free
 * run, escaped with s3_xml_escape inside an element, either is refused as a
 * character XML does not allow or reads back byte for byte. Seeds:
 * tests/fuzz/corpus/s3_xml/ (`make fuzz`).
 */
#include "artifact/s3_xml.h"
#include "fuzz_ui_stub.h"
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"

static void check_tree(const struct s3_xml_doc *doc)
{
	const struct s3_xml_node *root = s3_xml_root(doc);
	CHECK(root && root->parent == SIZE_MAX && root->depth == 0);
	CHECK(doc->n <= S3_XML_MAX_NODES);
	size_t children = 0;
	for (size_t i = 0; i < doc->n; i++) {
		const struct s3_xml_node *node = &doc->nodes[i];
		CHECK(node->depth < S3_XML_MAX_DEPTH);
		CHECK(strlen(node->text.ptr) == node->text.len);
		if (i) {
			CHECK(node->parent < i && doc->nodes[node->parent].depth + 1 == node->depth);
		}
		if (node->parent == 0)
			children++;
	}
	/* each direct child is found by its name, in order, once */
	size_t seen = 0;
	for (size_t i = 1; i < doc->n; i++) {
		if (doc->nodes[i].parent != 0)
			continue;
		const struct s3_xml_node *prev = NULL, *c;
		size_t hits = 0;
		while ((c = s3_xml_child(doc, root, doc->nodes[i].name, prev))) {
			CHECK(c->parent == 0 && strcmp(c->name, doc->nodes[i].name) == 0);
			CHECK(!prev || c > prev);
			hits += c == &doc->nodes[i];
			prev = c;
		}
		CHECK(hits == 1);
		seen++;
	}
	CHECK(seen == children);
}

static void check_escape_round_trip(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *text = malloc(n + 1);
	memcpy(text, data, n);
	text[n] = '\0';
	struct buf xml = BUF_INIT;
	buf_adds(&xml, "<R>");
	s3_xml_escape(&xml, text);
	buf_adds(&xml, "</R>");
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err err;
	if (s3_xml_parse(&doc, xml.ptr, xml.len, &err) == 0) {
		/* XML turns \r\n and a lone \r into \n; nothing else changes */
		struct buf want = BUF_INIT;
		for (size_t i = 0; i < n; i++) {
			if (text[i] == '\r') {
				buf_addch(&want, '\n');
				if (i + 1 < n && text[i + 1] == '\n')
					i++;
			} else {
				buf_addch(&want, text[i]);
			}
		}
		CHECK(doc.n == 1 && strcmp(doc.nodes[0].text.ptr, want.ptr) == 0);
		buf_release(&want);
	} else {
		CHECK(err.code == MLF_INTERNAL_ERROR && doc.n == 0);
	}
	s3_xml_release(&doc);
	buf_release(&xml);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err err = { .code = MLF_BAD_REQUEST, .msg = "" };
	if (s3_xml_parse(&doc, (const char *)data, size, &err) == 0) {
		check_tree(&doc);
	} else {
		CHECK(err.code == MLF_INTERNAL_ERROR && err.msg[0]);
		CHECK(doc.n == 0 && doc.nodes == NULL && s3_xml_root(&doc) == NULL);
	}
	s3_xml_release(&doc);
	check_escape_round_trip(data, size);
	return 0;
}
