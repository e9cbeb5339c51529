// test_util.c: json.c, url.c, base64.c, md5/sha1/sha256/crc32.c, match.c,
// util.c: known answers and edge cases (the facade's differential tests
// cover random inputs against Node).
#include <stdlib.h>

#include "../src/base64.h"
#include "../src/hash.h"
#include "../src/json.h"
#include "../src/match.h"
#include "../src/url.h"
#include "../src/util.h"
#include "host_fake.h"
#include "test.h"

static struct mg_str S(const char *s) {
  return mg_str_s(s);
}

// The JSON text found at `path`, or "" (static buffer).
static const char *jget(const char *json, const char *path) {
  static char out[256];
  int len, off = mg_json_get(S(json), S(path), &len);
  if (off < 0) return "";
  memcpy(out, json + off, (size_t) len);
  out[len] = '\0';
  return out;
}

static void json_paths(void) {
  const char *doc = " {\"a\": {\"b\": [1, 2, {\"c\": \"x\"}], \"d\": true}, \"e\": null, \"a\": 5} ";
  ASSERT_STR(jget(doc, "$.a.b"), "[1, 2, {\"c\": \"x\"}]");
  ASSERT_STR(jget(doc, "$.a.b[0]"), "1");
  ASSERT_STR(jget(doc, "$.a.b[2].c"), "\"x\"");
  ASSERT_STR(jget(doc, "$.a.d"), "true");
  ASSERT_STR(jget(doc, "$.e"), "null");
  ASSERT_INT(mg_json_get(S(doc), S("$.a.b[3]"), NULL), MG_JSON_NOT_FOUND);
  ASSERT_INT(mg_json_get(S(doc), S("$.zz"), NULL), MG_JSON_NOT_FOUND);
  ASSERT_INT(mg_json_get(S(doc), S("$.a.b.c"), NULL), MG_JSON_NOT_FOUND);
  ASSERT_INT(mg_json_get(S(doc), S("$.a["), NULL), MG_JSON_NOT_FOUND);
  ASSERT_INT(mg_json_get(S(doc), S("a"), NULL), MG_JSON_NOT_FOUND);
  ASSERT_INT(mg_json_get(S(doc), S("$"), NULL), 1);
  ASSERT_STR(jget("[[1,[2,3]],4]", "$[0][1][1]"), "3");
}

static void json_rejects_invalid(void) {
  static const char *const bad[] = {"", " ", "{", "[1,]", "{\"a\":}", "{\"a\" 1}", "01", "1.", "-",
                                    "1e", "\"\\x\"", "\"a", "tru", "nul", "[1 2]", "{\"a\":1,}",
                                    "\"\x01\"", "{} x", "\"\\u12G4\"", "+1", ".5", "[1]]"};
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (mg_json_get(S(bad[i]), S("$"), NULL) != MG_JSON_INVALID) {
      test_fail(__FILE__, __LINE__, "accepted invalid JSON [%s]", bad[i]);
      return;
    }
  }
  // Invalid after the value that was asked for: still invalid.
  ASSERT_INT(mg_json_get(S("{\"a\":1,\"b\":}"), S("$.a"), NULL), MG_JSON_INVALID);
}

static void json_too_deep(void) {
  char doc[2 * MG_JSON_MAX_DEPTH + 10];
  size_t i, n = MG_JSON_MAX_DEPTH + 1;
  for (i = 0; i < n; i++) doc[i] = '[', doc[2 * n - 1 - i] = ']';
  ASSERT_INT(mg_json_get(mg_str_n(doc, 2 * n), S("$"), NULL), MG_JSON_TOO_DEEP);
  ASSERT(mg_json_get(mg_str_n(doc + 1, 2 * n - 2), S("$"), NULL) >= 0);
}

static void json_numbers_and_bools(void) {
  double d = 0;
  bool b = false;
  ASSERT(mg_json_get_num(S("{\"x\": -12.5e-1}"), S("$.x"), &d));
  ASSERT(d == -1.25);
  ASSERT(mg_json_get_num(S("[0.1]"), S("$[0]"), &d) && d == 0.1);
  ASSERT(mg_json_get_num(S("[123456789012]"), S("$[0]"), &d) && d == 123456789012.0);
  ASSERT(mg_json_get_num(S("[1E300]"), S("$[0]"), &d) && (d / 1e300 - 1) < 1e-14 && (d / 1e300 - 1) > -1e-14);
  ASSERT(mg_json_get_num(S("[5e-320]"), S("$[0]"), &d) && d > 0 && d < 1e-319);
  ASSERT(mg_json_get_num(S("[-0]"), S("$[0]"), &d) && d == 0);
  ASSERT(!mg_json_get_num(S("[\"1\"]"), S("$[0]"), &d));
  ASSERT(mg_json_get_bool(S("[false]"), S("$[0]"), &b) && !b);
  ASSERT(mg_json_get_bool(S("{\"t\":true}"), S("$.t"), &b) && b);
  ASSERT(!mg_json_get_bool(S("[null]"), S("$[0]"), &b));
}

static void json_unescape(void) {
  char out[64];
  const char *in = "a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\ud800x";
  long n = mg_json_unescape(in, strlen(in), out);
  ASSERT(n > 0);
  out[n] = '\0';
  ASSERT_STR(out, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx");
  ASSERT_INT(mg_json_unescape("\\q", 2, out), -1);
  ASSERT_INT(mg_json_unescape("\\u12", 4, out), -1);
  ASSERT_INT(mg_json_unescape("\\", 1, out), -1);
}

static void url_parts(void) {
  struct mg_url_parts p;
  mg_url_split(S("https://us%20er:p@ss@[::1]:8443/a/b?q=1#f"), &p);
  ASSERT(mg_strcmp(p.scheme, S("https")) == 0);
  ASSERT(mg_strcmp(p.user, S("us%20er")) == 0);
  ASSERT(mg_strcmp(p.pass, S("p@ss")) == 0);
  ASSERT(mg_strcmp(p.host, S("[::1]")) == 0);
  ASSERT(mg_strcmp(p.port, S("8443")) == 0);
  ASSERT(mg_strcmp(p.uri, S("/a/b?q=1#f")) == 0);
  mg_url_split(S("example.com"), &p);
  ASSERT(mg_strcmp(p.host, S("example.com")) == 0 && p.uri.len == 0 && p.scheme.len == 0);
  ASSERT_INT(mg_url_port(S("http://a")), 80);
  ASSERT_INT(mg_url_port(S("wss://a")), 443);
  ASSERT_INT(mg_url_port(S("mqtt://a")), 1883);
  ASSERT_INT(mg_url_port(S("mqtts://a")), 8883);
  ASSERT_INT(mg_url_port(S("udp://a:123")), 123);
  ASSERT_INT(mg_url_port(S("tcp://a")), 0);
  ASSERT_INT(mg_url_port(S("http://a:99999")), 0);
  ASSERT(mg_url_is_ssl(S("HTTPS://x")) && mg_url_is_ssl(S("tls://x")) && !mg_url_is_ssl(S("http://x")));
}

static void url_codec(void) {
  char out[64];
  long n;
  size_t m = mg_url_encode("a b/\xc3\xa9~", 7, out, sizeof(out));
  out[m] = '\0';
  ASSERT_STR(out, "a%20b%2f%c3%a9~");
  m = mg_url_encode("$,;()/-._~Az9", 13, out, sizeof(out));
  out[m] = '\0';
  ASSERT_STR(out, "%24%2c%3b%28%29%2f-._~Az9");
  ASSERT_INT(mg_url_encode("  ", 2, out, 5), 0);  // needs 6
  n = mg_url_decode("a%20b+c%2B", 10, out, true);
  out[n] = '\0';
  ASSERT_STR(out, "a b c+");
  n = mg_url_decode("a+b", 3, out, false);
  out[n] = '\0';
  ASSERT_STR(out, "a+b");
  ASSERT_INT(mg_url_decode("%2", 2, out, false), -1);
  ASSERT_INT(mg_url_decode("%zz", 3, out, false), -1);
  ASSERT_INT(mg_url_decode("a%", 2, out, false), -1);
}

static void base64_codec(void) {
  char out[64];
  unsigned char bin[64];
  static const char *const vec[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                                       {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                       {"foobar", "Zm9vYmFy"}};
  static const char *const bad[] = {"Z", "Zg=", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==",
                                    "Zm 9v", "Zm9v\n", "Zm-v", "Zg=a"};
  size_t i;
  for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
    size_t n = mg_base64_encode((const unsigned char *) vec[i][0], strlen(vec[i][0]), out);
    long d;
    out[n] = '\0';
    ASSERT_STR(out, vec[i][1]);
    d = mg_base64_decode(vec[i][1], strlen(vec[i][1]), bin);
    ASSERT_INT(d, (long) strlen(vec[i][0]));
    ASSERT(memcmp(bin, vec[i][0], (size_t) d) == 0);
  }
  ASSERT_INT(mg_base64_decode("Zm8", 3, bin), 2);  // unpadded
  ASSERT_INT(mg_base64_decode("Zg", 2, bin), 1);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (mg_base64_decode(bad[i], strlen(bad[i]), bin) != -1) {
      test_fail(__FILE__, __LINE__, "accepted bad base64 [%s]", bad[i]);
      return;
    }
  }
}

static void hex(const unsigned char *d, size_t n, char *out) {
  static const char h[] = "0123456789abcdef";
  size_t i;
  for (i = 0; i < n; i++) out[2 * i] = h[d[i] >> 4], out[2 * i + 1] = h[d[i] & 15];
  out[2 * n] = '\0';
}

static void hashes(void) {
  unsigned char d[32];
  char h[65];
  struct mg_sha256_ctx c;
  static char million[1001];
  int i;
  mgx_md5("", 0, d), hex(d, 16, h);
  ASSERT_STR(h, "d41d8cd98f00b204e9800998ecf8427e");
  mgx_md5("The quick brown fox jumps over the lazy dog", 43, d), hex(d, 16, h);
  ASSERT_STR(h, "9e107d9d372bb6826bd81d3542a419d6");
  mgx_sha1("abc", 3, d), hex(d, 20, h);
  ASSERT_STR(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
  mgx_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d), hex(d, 20, h);
  ASSERT_STR(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  mgx_sha256("abc", 3, d), hex(d, 32, h);
  ASSERT_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // One million 'a' fed in uneven pieces (FIPS 180 test vector).
  memset(million, 'a', sizeof(million));
  mg_sha256_init(&c);
  for (i = 0; i < 1000; i++) mg_sha256_update(&c, million, i % 2 ? 999 : 1001);
  mg_sha256_final(&c, d), hex(d, 32, h);
  ASSERT_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // RFC 4231 test case 2, and a key longer than the block (case 6).
  mg_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d), hex(d, 32, h);
  ASSERT_STR(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  memset(million, 0xaa, 131);
  mg_hmac_sha256(million, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
  hex(d, 32, h);
  ASSERT_STR(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void crc(void) {
  ASSERT_INT(mg_crc32(0, "", 0), 0);
  ASSERT_INT(mg_crc32(0, "123456789", 9), 0xcbf43926u);
  ASSERT_INT(mg_crc32(mg_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
}

static bool m(const char *s, const char *p) {
  return mg_match(S(s), S(p), NULL, 0);
}

static void patterns(void) {
  struct mg_str caps[4];
  ASSERT(m("", "") && m("a", "a") && !m("a", "b") && !m("", "a") && !m("a", ""));
  ASSERT(m("abc", "a?c") && !m("ac", "a?c") && m("a/c", "a?c"));
  ASSERT(m("", "*") && m("abc", "*") && !m("a/b", "*") && m("a/b", "#") && m("", "#"));
  ASSERT(m("/api/v1/users", "/api/*/#") && !m("/api/v1", "/api/*/#") && m("/api/v1/", "/api/*/#"));
  ASSERT(m("abcbd", "a*bd") && m("xaaab", "*a*b") && !m("abc", "*d"));
  ASSERT(mg_match(S("/api/v1/u/x"), S("/api/*/#"), caps, 4));
  ASSERT(mg_strcmp(caps[0], S("v1")) == 0 && mg_strcmp(caps[1], S("u/x")) == 0);
  ASSERT(caps[2].buf == NULL && caps[2].len == 0);
  ASSERT(mg_match(S("abc"), S("?b?"), caps, 4));
  ASSERT(mg_strcmp(caps[0], S("a")) == 0 && mg_strcmp(caps[1], S("c")) == 0);
  ASSERT(mg_match(S("foo.bar.baz"), S("*.*"), caps, 1));  // fewer slots than wildcards
  ASSERT(mg_strcmp(caps[0], S("foo")) == 0);
}

static void random_strings(void) {
  char buf[300];
  size_t i;
  mg_random_str(buf, sizeof(buf));
  for (i = 0; i < sizeof(buf); i++) {
    char c = buf[i];
    ASSERT((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
  }
  mgx_log_set(99);
  ASSERT_INT(mgx_log_get(), MG_LL_VERBOSE);
  mgx_log_set(-5);
  ASSERT_INT(mgx_log_get(), MG_LL_NONE);
  mgx_log_set(MG_LL_ERROR);
}

void suite_util(void) {
  RUN(json_paths);
  RUN(json_rejects_invalid);
  RUN(json_too_deep);
  RUN(json_numbers_and_bools);
  RUN(json_unescape);
  RUN(url_parts);
  RUN(url_codec);
  RUN(base64_codec);
  RUN(hashes);
  RUN(crc);
  RUN(patterns);
  RUN(random_strings);
}
