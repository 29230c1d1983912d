/*
 * s3_xml.h - just enough XML for S3's responses and requests.
 *
 * S3 answers ListObjectsV2, CreateMultipartUpload and errors with small,
 * flat, machine-written XML: no CDATA, no comments inside the elements we
 * read, and an element never nests inside one of the same name. So a
 * reader that finds <Name>...</Name> spans in order and decodes the five
 * predefined entities and numeric character references is correct for
 * them; it is not a general XML parser.
 */
#ifndef MLF_S3_XML_H
#define MLF_S3_XML_H

#include "../base/buf.h"

/* A span of the response text; borrowed from it. */
struct s3_span {
	const char *ptr;
	size_t len;
};

/* Finds the next element called `name` in `*in` (exactly that name: <Key>
 * does not match <KeyCount>; attributes and <Name/> are allowed), stores
 * its raw inner text in *inner and moves `*in` past its end tag. Returns
 * false (leaving *in alone) when there is none. */
bool s3_xml_next(struct s3_span *in, const char *name, struct s3_span *inner);

/* Appends the text of `raw` with &amp; &lt; &gt; &quot; &apos; &#N; and
 * &#xH; decoded (as UTF-8); anything else is copied as it is. */
void s3_xml_text(struct buf *out, struct s3_span raw);

/* Appends the decoded text of the first `name` element in `in`, or nothing;
 * returns whether there was one. */
bool s3_xml_find(struct buf *out, struct s3_span in, const char *name);

/* Appends `s` escaped for XML text (& < > " '). */
void s3_xml_escape(struct buf *out, const char *s);

#endif
