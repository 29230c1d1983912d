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

static char *xml_text(const char *xml, const char *name)
{
	struct buf b = BUF_INIT;
	if (!s3_xml_find(&b, (struct s3_span){ xml, strlen(xml) }, name)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
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

static void test_xml_find(void **state)
{
	(void)state;
	const char *doc = "<?xml version=\"1.0\"?><R xmlns=\"x\"><KeyCount>2</KeyCount><Key>a&amp;b &lt;c&gt; "
			  "&quot;q&quot; &apos;s&apos;</Key><Empty></Empty><Self/><Attr a=\"1\">v</Attr></R>";
	expect_text(doc, "Key", "a&b <c> \"q\" 's'");
	expect_text(doc, "KeyCount", "2");
	expect_text(doc, "Empty", "");
	expect_text(doc, "Self", "");
	expect_text(doc, "Attr", "v");
	expect_text(doc, "Ke", NULL);
	expect_text(doc, "Missing", NULL);
	expect_text("<Key>unterminated", "Key", NULL);
	expect_text("<Key", "Key", NULL);
	expect_text("", "Key", NULL);
	/* numeric references as UTF-8; unknown or broken entities stay as they are */
	expect_text("<K>&#65;&#x42;&#xe9;&#8364;&#x1F600;</K>", "K", "AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	expect_text("<K>&nbsp; & &#; &#x; &#0; &#xZZ; &amp</K>", "K", "&nbsp; & &#; &#x; &#0; &#xZZ; &amp");
	expect_text("<K>&amp;amp;</K>", "K", "&amp;");
}

static void test_xml_walk_list_page(void **state)
{
	(void)state;
	const char *page = "<ListBucketResult><Prefix>p/</Prefix><IsTruncated>true</IsTruncated>"
			   "<Contents><Key>p/a.txt</Key><Size>6</Size></Contents>"
			   "<Contents><Key>p/\xc3\xbc &amp; x</Key><Size>0</Size></Contents>"
			   "<CommonPrefixes><Prefix>p/dir/</Prefix></CommonPrefixes>"
			   "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>";
	struct s3_span it = { page, strlen(page) }, item;
	const char *keys[] = { "p/a.txt", "p/\xc3\xbc & x" }, *sizes[] = { "6", "0" };
	size_t n = 0;
	while (s3_xml_next(&it, "Contents", &item)) {
		char *k = xml_text(item.ptr, "Key"), *s = NULL;
		struct buf sb = BUF_INIT;
		assert_true(n < 2);
		assert_true(s3_xml_find(&sb, item, "Size"));
		s = buf_detach(&sb, NULL);
		assert_non_null(k);
		assert_string_equal(k, keys[n]);
		assert_string_equal(s, sizes[n]);
		free(k);
		free(s);
		n++;
	}
	assert_int_equal(n, 2);
	/* the top-level <Prefix> is not a common prefix */
	it = (struct s3_span){ page, strlen(page) };
	assert_true(s3_xml_next(&it, "CommonPrefixes", &item));
	struct buf p = BUF_INIT;
	assert_true(s3_xml_find(&p, item, "Prefix"));
	assert_string_equal(p.ptr, "p/dir/");
	buf_release(&p);
	assert_false(s3_xml_next(&it, "CommonPrefixes", &item));
	expect_text(page, "IsTruncated", "true");
	expect_text(page, "NextContinuationToken", "tok/+=");
}

static void test_xml_escape(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	s3_xml_escape(&b, "\"etag\" <&> 'x' \xc3\xbc");
	assert_string_equal(b.ptr, "&quot;etag&quot; &lt;&amp;&gt; &apos;x&apos; \xc3\xbc");
	struct buf back = BUF_INIT;
	s3_xml_text(&back, (struct s3_span){ b.ptr, b.len });
	assert_string_equal(back.ptr, "\"etag\" <&> 'x' \xc3\xbc");
	buf_release(&b);
	buf_release(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),        cmocka_unit_test(test_query),
		cmocka_unit_test(test_url),           cmocka_unit_test(test_xml_find),
		cmocka_unit_test(test_xml_walk_list_page), cmocka_unit_test(test_xml_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
