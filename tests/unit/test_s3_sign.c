/*
 * test_s3_sign.c - unit tests for the S3 wire helpers: src/artifact/s3_sign.h
 * (the canonical URLs libcurl's SigV4 signer is handed) and
 * src/artifact/s3_xml.h (reading S3's XML answers).
 *
 * s3_encode: unreserved bytes kept, '/' kept only in keys, space, '+',
 * '=', '&', '%', UTF-8 and control bytes as upper-case %XX.
 * s3_query: sorting by encoded name then value (including names whose raw
 * and encoded orders differ), '=' for empty values, full encoding of '/'.
 * s3_url: path-style with an endpoint, virtual-host on AWS, path-style on
 * AWS for dotted buckets, the bucket itself with and without a query.
 * s3_xml: exact element names (<Key> is not <KeyCount>), empty and
 * self-closing elements, entity and numeric reference decoding (and what
 * is left alone), a ListObjectsV2 page walked the way the backend walks
 * it, and escaping for request bodies.
 * The signatures themselves are checked against botocore in
 * tests/blackbox/test_s3.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "artifact/s3_sign.h"
#include "artifact/s3_xml.h"

static void expect_encoded(const char *in, bool keep_slash, const char *want)
{
	struct buf b = BUF_INIT;
	s3_encode(&b, in, strlen(in), keep_slash);
	assert_string_equal(b.ptr, want);
	assert_int_equal(b.len, strlen(want));
	buf_release(&b);
}

static void test_encode(void **state)
{
	(void)state;
	expect_encoded("AZaz09-._~", false, "AZaz09-._~");
	expect_encoded("a/b/c", false, "a%2Fb%2Fc");
	expect_encoded("a/b/c", true, "a/b/c");
	expect_encoded("with space+plus", true, "with%20space%2Bplus");
	expect_encoded("k=v&x;y", false, "k%3Dv%26x%3By");
	expect_encoded("100%", false, "100%25");
	expect_encoded("\xe2\x82\xac x.bin", true, "%E2%82%AC%20x.bin");
	expect_encoded("\xc3\xbc", false, "%C3%BC");
	expect_encoded("\x01\x7f*'()!", false, "%01%7F%2A%27%28%29%21");
	expect_encoded("", false, "");
	struct buf b = BUF_INIT; /* appends */
	buf_adds(&b, "x=");
	s3_encode(&b, "a b", 3, false);
	assert_string_equal(b.ptr, "x=a%20b");
	buf_release(&b);
}

static void expect_query(const struct s3_param *p, size_t n, const char *want)
{
	struct buf b = BUF_INIT;
	s3_query(&b, p, n);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_query(void **state)
{
	(void)state;
	const struct s3_param parts[] = { { "uploadId", "abc" }, { "partNumber", "1" } };
	expect_query(parts, 2, "partNumber=1&uploadId=abc");
	const struct s3_param list[] = { { "list-type", "2" }, { "prefix", "a/b/" }, { "delimiter", "/" } };
	expect_query(list, 3, "delimiter=%2F&list-type=2&prefix=a%2Fb%2F");
	const struct s3_param uploads[] = { { "uploads", NULL } };
	expect_query(uploads, 1, "uploads=");
	const struct s3_param empty[] = { { "prefix", "" }, { "a", NULL } };
	expect_query(empty, 2, "a=&prefix=");
	const struct s3_param token[] = { { "continuation-token", "1/abc+d=e f\xc3\xa9" }, { "list-type", "2" } };
	expect_query(token, 2, "continuation-token=1%2Fabc%2Bd%3De%20f%C3%A9&list-type=2");
	/* same name: by value; and ordering by the encoded form ('%' < 'A' < 'a') */
	const struct s3_param same[] = { { "k", "b" }, { "k", "a" }, { "k", "" } };
	expect_query(same, 3, "k=&k=a&k=b");
	const struct s3_param order[] = { { "a", "1" }, { "B", "2" }, { "_", "3" }, { " ", "4" } };
	expect_query(order, 4, "%20=4&B=2&_=3&a=1");
	expect_query(NULL, 0, "");
}

static void expect_url(const struct s3_target *t, const char *key, const struct s3_param *p, size_t n,
		       const char *want)
{
	struct buf b = BUF_INIT;
	s3_url(&b, t, key, p, n);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_url(void **state)
{
	(void)state;
	const struct s3_target local = { "http://127.0.0.1:9000", "mlflow", "us-east-1" };
	const struct s3_target aws = { NULL, "mlflow", "eu-west-3" };
	const struct s3_target dotted = { NULL, "my.bucket", "us-east-1" };
	const struct s3_param q[] = { { "uploadId", "x/y" }, { "partNumber", "12" } };
	const struct s3_param list[] = { { "prefix", "p/" }, { "list-type", "2" } };
	assert_true(s3_path_style(&local));
	assert_false(s3_path_style(&aws));
	assert_true(s3_path_style(&dotted));
	expect_url(&local, "p/\xe2\x82\xac x+y.bin", NULL, 0, "http://127.0.0.1:9000/mlflow/p/%E2%82%AC%20x%2By.bin");
	expect_url(&local, "k", q, 2, "http://127.0.0.1:9000/mlflow/k?partNumber=12&uploadId=x%2Fy");
	expect_url(&local, "", list, 2, "http://127.0.0.1:9000/mlflow?list-type=2&prefix=p%2F");
	expect_url(&aws, "a/b.txt", NULL, 0, "https://mlflow.s3.eu-west-3.amazonaws.com/a/b.txt");
	expect_url(&aws, "", list, 2, "https://mlflow.s3.eu-west-3.amazonaws.com/?list-type=2&prefix=p%2F");
	expect_url(&dotted, "k", NULL, 0, "https://s3.us-east-1.amazonaws.com/my.bucket/k");
}

/* The text of the root's child `name` in `xml`, or NULL; fails the test if
 * the document does not parse. Caller frees. */
static char *xml_text(const char *xml, const char *name)
{
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err err;
	if (s3_xml_parse(&doc, xml, strlen(xml), &err) < 0)
		fail_msg("does not parse: %s: %s", xml, err.msg);
	const char *t = s3_xml_child_text(&doc, s3_xml_root(&doc), name);
	char *copy = t ? strdup(t) : NULL;
	s3_xml_release(&doc);
	return copy;
}

static void expect_text(const char *xml, const char *name, const char *want)
{
	char *got = xml_text(xml, name);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* `xml` is refused with a message containing `why`, and leaves no tree. */
static void expect_refused(const char *xml, size_t len, const char *why)
{
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err err;
	assert_int_equal(s3_xml_parse(&doc, xml, len, &err), -1);
	assert_int_equal(err.code, MLF_INTERNAL_ERROR);
	if (!strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
	assert_null(s3_xml_root(&doc));
	assert_int_equal(doc.n, 0);
}

static void test_xml_text(void **state)
{
	(void)state;
	const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			  "<KeyCount>2</KeyCount><Key>a&amp;b &lt;c&gt; &quot;q&quot; &apos;s&apos;</Key>"
			  "<Empty></Empty><Self/><Attr a=\"1\">v</Attr></R>";
	expect_text(doc, "Key", "a&b <c> \"q\" 's'");
	expect_text(doc, "KeyCount", "2");
	expect_text(doc, "Empty", "");
	expect_text(doc, "Self", "");
	expect_text(doc, "Attr", "v");
	expect_text(doc, "Ke", NULL);
	expect_text(doc, "Missing", NULL);
	/* character references as UTF-8 */
	expect_text("<R><K>&#65;&#x42;&#xe9;&#8364;&#x1F600;</K></R>", "K", "AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	expect_text("<R><K>&amp;amp;</K></R>", "K", "&amp;");
	/* CDATA is text, markup inside it is not; comments and processing
	 * instructions are not text, and split the text around them */
	expect_text("<R><K><![CDATA[<Key>x</Key> & ]]>y</K></R>", "K", "<Key>x</Key> & y");
	expect_text("<R><K>a<!-- <K>no</K> -->b<?pi data?>c</K><!-- <Other/> --></R>", "K", "abc");
	expect_text("<R><!-- <K>not this</K> --><K>this</K></R>", "K", "this");
	/* a prefixed namespace and the default one give the same local name */
	expect_text("<s3:R xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:K>p</s3:K></s3:R>", "K", "p");
	/* the text of a child, not of a grandchild of the same name */
	expect_text("<R><Inner><K>deep</K></Inner><K>top</K></R>", "K", "top");
	expect_text("<R><Inner><K>deep</K></Inner></R>", "K", NULL);
	/* line ends are normalised as XML says */
	expect_text("<R><K>a\r\nb</K></R>", "K", "a\nb");
}

static void test_xml_refused(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{ "<Key>unterminated", "line" },
		{ "<Key", "line" },
		{ "", "no element" },
		{ "   ", "no element" },
		{ "<R><K>&nbsp;</K></R>", "undefined entity" },
		{ "<R><K>a & b</K></R>", "not well-formed" },
		{ "<R><K>&#0;</K></R>", "reference to invalid character number" },
		{ "<R><A></B></R>", "mismatched tag" },
		{ "<R/><R/>", "junk after document element" },
		{ "<p:R/>", "unbound prefix" },
		{ "<html><body>Bad Gateway</html>", "mismatched tag" },
		/* entity expansion never starts: any DOCTYPE is refused */
		{ "<!DOCTYPE R [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		  "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><R><K>&c;&c;&c;</K></R>",
		  "document type declaration" },
		{ "<!DOCTYPE R SYSTEM \"file:///etc/passwd\"><R><K>x</K></R>", "document type declaration" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_refused(cases[i][0], strlen(cases[i][0]), cases[i][1]);
	/* a NUL inside the document */
	expect_refused("<R><K>a\0b</K></R>", 17, "line");
	/* nesting beyond the limit */
	struct buf deep = BUF_INIT;
	for (int i = 0; i < S3_XML_MAX_DEPTH + 1; i++)
		buf_adds(&deep, "<D>");
	for (int i = 0; i < S3_XML_MAX_DEPTH + 1; i++)
		buf_adds(&deep, "</D>");
	expect_refused(deep.ptr, deep.len, "nested too deeply");
	/* exactly at the limit is fine */
	buf_reset(&deep);
	for (int i = 0; i < S3_XML_MAX_DEPTH; i++)
		buf_adds(&deep, "<D>");
	for (int i = 0; i < S3_XML_MAX_DEPTH; i++)
		buf_adds(&deep, "</D>");
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err err;
	assert_int_equal(s3_xml_parse(&doc, deep.ptr, deep.len, &err), 0);
	assert_int_equal(doc.n, S3_XML_MAX_DEPTH);
	s3_xml_release(&doc);
	/* more elements than the limit */
	buf_reset(&deep);
	buf_adds(&deep, "<R>");
	for (int i = 0; i < S3_XML_MAX_NODES; i++)
		buf_adds(&deep, "<E/>");
	buf_adds(&deep, "</R>");
	expect_refused(deep.ptr, deep.len, "too many elements");
	buf_release(&deep);
}

static void test_xml_walk_list_page(void **state)
{
	(void)state;
	const char *page = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
			   "<Prefix>p/</Prefix><IsTruncated>true</IsTruncated>"
			   "<Contents><Key>p/a.txt</Key><Size>6</Size></Contents>\n  "
			   "<!-- a comment between entries --><Contents><Key><![CDATA[p/\xc3\xbc & <x>]]></Key>"
			   "<Size>0</Size></Contents>"
			   "<Contents><Key>p/&#x2F;b&amp;c</Key><Size>12</Size><ETag>&quot;9b2c&quot;</ETag></Contents>"
			   "<CommonPrefixes><Prefix>p/dir/</Prefix></CommonPrefixes>"
			   "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>";
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err err;
	assert_int_equal(s3_xml_parse(&doc, page, strlen(page), &err), 0);
	const struct s3_xml_node *root = s3_xml_root(&doc);
	assert_string_equal(root->name, "ListBucketResult");
	const char *keys[] = { "p/a.txt", "p/\xc3\xbc & <x>", "p//b&c" }, *sizes[] = { "6", "0", "12" };
	size_t n = 0;
	for (const struct s3_xml_node *c = s3_xml_child(&doc, root, "Contents", NULL); c;
	     c = s3_xml_child(&doc, root, "Contents", c)) {
		assert_true(n < 3);
		assert_string_equal(s3_xml_child_text(&doc, c, "Key"), keys[n]);
		assert_string_equal(s3_xml_child_text(&doc, c, "Size"), sizes[n]);
		n++;
	}
	assert_int_equal(n, 3);
	/* the top-level <Prefix> is not a common prefix, and the reverse */
	const struct s3_xml_node *cp = s3_xml_child(&doc, root, "CommonPrefixes", NULL);
	assert_non_null(cp);
	assert_string_equal(s3_xml_child_text(&doc, cp, "Prefix"), "p/dir/");
	assert_null(s3_xml_child(&doc, root, "CommonPrefixes", cp));
	assert_string_equal(s3_xml_child_text(&doc, root, "Prefix"), "p/");
	assert_string_equal(s3_xml_child_text(&doc, root, "IsTruncated"), "true");
	assert_string_equal(s3_xml_child_text(&doc, root, "NextContinuationToken"), "tok/+=");
	assert_null(s3_xml_child_text(&doc, root, "Key"));
	s3_xml_release(&doc);
	assert_null(s3_xml_root(&doc));
}

static void test_xml_escape(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_adds(&b, "<R>");
	s3_xml_escape(&b, "\"etag\" <&> 'x' \xc3\xbc");
	buf_adds(&b, "</R>");
	assert_string_equal(b.ptr, "<R>&quot;etag&quot; &lt;&amp;&gt; &apos;x&apos; \xc3\xbc</R>");
	struct s3_xml_doc doc = S3_XML_DOC_INIT;
	struct mlf_err err;
	assert_int_equal(s3_xml_parse(&doc, b.ptr, b.len, &err), 0);
	assert_string_equal(s3_xml_root(&doc)->text.ptr, "\"etag\" <&> 'x' \xc3\xbc");
	s3_xml_release(&doc);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),        cmocka_unit_test(test_query),
		cmocka_unit_test(test_url),           cmocka_unit_test(test_xml_text), cmocka_unit_test(test_xml_refused),
		cmocka_unit_test(test_xml_walk_list_page), cmocka_unit_test(test_xml_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
