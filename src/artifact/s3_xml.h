/*
 * s3_xml.h - S3's XML answers, parsed with expat into a small element tree.
 *
 * S3 answers ListObjectsV2, CreateMultipartUpload, CompleteMultipartUpload
 * and errors with XML. The answer is parsed whole (it is bounded by the
 * caller's response limit) by expat, so entities, character references,
 * CDATA sections, comments, processing instructions and namespaces are
 * handled as XML says; a document type declaration is refused (S3 never
 * sends one, and it is how entity-expansion attacks begin). The tree keeps
 * each element's local name (namespace dropped), its parent and its own
 * text; callers walk the children they expect by name.
 */
#ifndef MLF_S3_XML_H
#define MLF_S3_XML_H

#include "../base/buf.h"
#include "../base/err.h"

/* One element. `text` is its own character data (not its children's),
 * decoded to UTF-8, NUL-terminated. */
struct s3_xml_node {
	char *name;
	struct buf text;
	size_t parent; /* index in the document; SIZE_MAX for the root */
	unsigned depth; /* 0 for the root */
};

/* Elements in document order: a node's descendants follow it and end at
 * the next node whose depth is not greater than its own. */
struct s3_xml_doc {
	struct s3_xml_node *nodes;
	size_t n, cap;
};

#define S3_XML_DOC_INIT { NULL, 0, 0 }
#define S3_XML_MAX_DEPTH 32      /* S3's answers nest 3 levels */
#define S3_XML_MAX_NODES 200000  /* a 1,000-key list page has ~3,000 */

/* Parses xml[0..len) into `doc` (which must be empty). Returns 0, or -1
 * with INTERNAL_ERROR naming what was wrong (not well-formed, a DOCTYPE,
 * too deep, too many elements); `doc` is then empty. The document owns
 * everything; release it with s3_xml_release(). */
int s3_xml_parse(struct s3_xml_doc *doc, const char *xml, size_t len, struct mlf_err *err);
void s3_xml_release(struct s3_xml_doc *doc);

/* The document element; NULL only for an unparsed (empty) document.
 * Borrowed from `doc`, as every node below. */
const struct s3_xml_node *s3_xml_root(const struct s3_xml_doc *doc);

/* The next direct child of `parent` called `name` after `prev` (NULL: the
 * first one), or NULL. */
const struct s3_xml_node *s3_xml_child(const struct s3_xml_doc *doc, const struct s3_xml_node *parent,
				       const char *name, const struct s3_xml_node *prev);

/* The text of the first direct child of `parent` called `name`, or NULL
 * when there is none (an empty element gives ""). */
const char *s3_xml_child_text(const struct s3_xml_doc *doc, const struct s3_xml_node *parent, const char *name);

/* Appends `s` escaped for XML text (& < > " '), for the requests we send. */
void s3_xml_escape(struct buf *out, const char *s);

#endif
