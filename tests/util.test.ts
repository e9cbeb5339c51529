// util.test.ts: the utilities of the C core through the facade. Each is
// checked differentially against the platform (node:crypto, zlib, Buffer,
// URL/URLSearchParams, JSON.parse, RegExp) on generated inputs of every
// length from 0 to a few KB, plus edge cases; the "reference twins" blocks
// repeat the reference library's own utility tests case for case.
import { createHash, createHmac } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import {
  base64Decode, base64Encode, crc32, globMatch, hmacSha256, httpVar, jsonGet, jsonGetBool, jsonGetLong, jsonGetNum,
  jsonGetStr, logGet, logSet, match, md5, millis, randomBytes, randomStr, sha1, sha256, urlDecode, urlEncode, urlHost,
  urlIsSsl, urlPass, urlPort, urlUri, urlUser, MG_LL_DEBUG, MG_LL_ERROR, MG_LL_NONE,
} from "tsmongoose";
import * as api from "tsmongoose";

/**
 * A second copy of the package with TSMONGOOSE_UTIL_ACCEL=0: every call
 * stays in the core. The Node entry hands inputs of ACCEL_MIN (512) bytes
 * and more to node:crypto/zlib/Buffer, so the differential runs check both.
 */
function coreOnly(): typeof api {
  const saved = process.env.TSMONGOOSE_UTIL_ACCEL;
  process.env.TSMONGOOSE_UTIL_ACCEL = "0";
  let mod: typeof api | undefined;
  try {
    jest.isolateModules(() => {
      mod = require("tsmongoose") as typeof api;
    });
  } finally {
    if (saved === undefined) delete process.env.TSMONGOOSE_UTIL_ACCEL;
    else process.env.TSMONGOOSE_UTIL_ACCEL = saved;
  }
  return mod!;
}
const core = coreOnly();
test("the core-only copy is a separate instance of the package", () => {
  expect(core.sha256).not.toBe(api.sha256);
  expect(hex(core.sha256(new Uint8Array(600)))).toBe(hex(api.sha256(new Uint8Array(600))));
});
const builds: [string, typeof api][] = [["core only", core], ["node entry", api]];

/** A small seeded PRNG (mulberry32): the generated inputs are the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** A random string of code points (no lone surrogates), some ASCII, some BMP, some astral. */
function text(r: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.6) s += String.fromCharCode(32 + Math.floor(r() * 95));
    else if (k < 0.7) s += String.fromCharCode(Math.floor(r() * 32));
    else if (k < 0.9) s += String.fromCharCode(0xa0 + Math.floor(r() * 0xd000));
    else s += String.fromCodePoint(0x10000 + Math.floor(r() * 0xfffff));
  }
  return s;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/**
 * Differential checks collect their mismatches and assert once at the end:
 * thousands of expect() calls would cost more than the functions tested.
 */
class Diffs {
  readonly list: string[] = [];
  eq(what: string, got: unknown, want: unknown): void {
    if (!Object.is(got, want) && this.list.length < 20) this.list.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  deep(what: string, got: unknown, want: unknown): void {
    this.eq(what, JSON.stringify(got), JSON.stringify(want));
  }
}

// The core at every length 0..2100; the node entry at every length 0..1100
// (across its 512-byte switch to the platform) plus a few long inputs.
describe.each(builds)("hashes, CRC-32 and base64 against node:crypto, zlib and Buffer (%s)", (build, m) => {
  const lengths = build === "core only" ? [...Array(2101).keys()] : [...Array(1101).keys(), 4096, 8191, 65536, 100_001];
  const { md5, sha1, sha256, hmacSha256, crc32, base64Encode, base64Decode } = m;
  test("md5, sha1, sha256, hmacSha256, crc32, base64Encode/Decode of random bytes", () => {
    const r = rng(1);
    const d$ = new Diffs();
    for (const n of lengths) {
      const d = bytes(r, n);
      d$.eq(`md5 ${n}`, hex(md5(d)), createHash("md5").update(d).digest("hex"));
      d$.eq(`sha1 ${n}`, hex(sha1(d)), createHash("sha1").update(d).digest("hex"));
      d$.eq(`sha256 ${n}`, hex(sha256(d)), createHash("sha256").update(d).digest("hex"));
      const key = d.subarray(0, n % 150); // keys shorter and longer than the 64-byte block
      d$.eq(`hmac ${n}`, hex(hmacSha256(key, d)), createHmac("sha256", key).update(d).digest("hex"));
      d$.eq(`crc32 ${n}`, crc32(d), zlibCrc32(d));
      const b64 = base64Encode(d);
      d$.eq(`base64 ${n}`, b64, Buffer.from(d).toString("base64"));
      d$.eq(`unbase64 ${n}`, hex(base64Decode(b64)!), hex(d));
      d$.eq(`unbase64 unpadded ${n}`, hex(base64Decode(b64.replace(/=+$/, ""))!), hex(d)); // unpadded
    }
    expect(d$.list).toEqual([]);
  }, 90_000); // a bounded loop; generous for a busy machine

  test("strings are hashed and encoded as UTF-8", () => {
    const r = rng(2);
    const d$ = new Diffs();
    for (let n = 0; n <= 600; n++) {
      const t = text(r, n);
      const utf8 = Buffer.from(t, "utf8");
      d$.eq(`sha256 ${n}`, hex(sha256(t)), createHash("sha256").update(utf8).digest("hex"));
      d$.eq(`md5 ${n}`, hex(md5(t)), createHash("md5").update(utf8).digest("hex"));
      d$.eq(`base64 ${n}`, base64Encode(t), utf8.toString("base64"));
      d$.eq(`crc32 ${n}`, crc32(t), zlibCrc32(utf8));
    }
    expect(d$.list).toEqual([]);
  });

  test("crc32 chains: crc32(b, crc32(a)) === crc32(a + b) at every split", () => {
    const d = bytes(rng(3), 300);
    for (let i = 0; i <= d.length; i += 7) expect(crc32(d.subarray(i), crc32(d.subarray(0, i)))).toBe(crc32(d));
    expect(() => crc32("x", -1)).toThrow(RangeError);
    expect(() => crc32("x", 2 ** 32)).toThrow(RangeError);
  });

  test("base64Decode: what it accepts Buffer decodes the same; everything else is undefined", () => {
    const r = rng(4);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    let accepted = 0, rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor(r() * 24);
      let s = "";
      for (let k = 0; k < n; k++) s += r() < 0.03 ? " -_\n*"[Math.floor(r() * 5)] : alphabet[Math.floor(r() * alphabet.length)];
      const ours = base64Decode(s);
      if (ours === undefined) {
        rejected++;
        continue;
      }
      accepted++;
      expect(hex(ours)).toBe(Buffer.from(s, "base64").toString("hex"));
      // Canonical: encoding the bytes again gives the input (padded).
      expect(base64Encode(ours)).toBe(s.padEnd(Math.ceil(s.length / 4) * 4, "="));
    }
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
    for (const bad of ["Z", "Zg=", "Zh==", "Zm 9v", "Zm9v\n", "Zm-_", "Zg==Zg==", "===="]) expect(base64Decode(bad)).toBeUndefined();
  });

  test("bad arguments are TypeErrors naming the value", () => {
    expect(() => md5(42 as unknown as string)).toThrow(TypeError);
    expect(() => sha256(null as unknown as string)).toThrow(/null/);
    expect(() => base64Decode(new Uint8Array(1) as unknown as string)).toThrow(TypeError);
  });
});

describe("URLs against URL and URLSearchParams", () => {
  test("urlEncode output decodes back with decodeURIComponent and URLSearchParams, every length", () => {
    const r = rng(5);
    const d$ = new Diffs();
    for (let n = 0; n <= 800; n++) {
      const t = text(r, n);
      const enc = urlEncode(t);
      d$.eq(`charset ${n}`, /^[A-Za-z0-9._~%-]*$/.test(enc), true);
      d$.eq(`decodeURIComponent ${n}`, decodeURIComponent(enc), t);
      d$.eq(`URLSearchParams ${n}`, new URLSearchParams(`v=${enc}`).get("v"), t);
      d$.eq(`urlDecode ${n}`, urlDecode(enc), t);
    }
    expect(d$.list).toEqual([]);
  });

  test("urlDecode agrees with decodeURIComponent, and with URLSearchParams in form mode", () => {
    const r = rng(6);
    const d$ = new Diffs();
    for (let n = 0; n <= 800; n++) {
      const t = text(r, n);
      d$.eq(`plain ${n}`, urlDecode(encodeURIComponent(t)), t);
      const form = new URLSearchParams({ v: t }).toString().slice(2); // "+" for spaces
      d$.eq(`form ${n}`, urlDecode(form, { form: true }), t);
    }
    expect(d$.list).toEqual([]);
    expect(urlDecode("a+b")).toBe("a+b");
    expect(urlDecode("%4")).toBeUndefined();
    expect(urlDecode("%zz")).toBeUndefined();
    expect(urlDecode("100%")).toBeUndefined();
  });

  test("url parts agree with WHATWG URL on generated URLs", () => {
    const r = rng(7);
    const d$ = new Diffs();
    const word = (n: number): string => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(r() * 36)]).join("");
    const schemes: [string, number][] = [["http", 80], ["https", 443], ["ws", 80], ["wss", 443]];
    for (let i = 0; i < 1500; i++) {
      const [scheme, dflt] = schemes[i % 4];
      const user = r() < 0.5 ? word(1 + Math.floor(r() * 8)) : "";
      const pass = user && r() < 0.5 ? word(1 + Math.floor(r() * 8)) : "";
      const host = r() < 0.2 ? "[::1]" : r() < 0.5 ? `10.${i % 256}.0.${i % 7}` : `${word(3)}.example`;
      const port = r() < 0.5 ? String(1 + Math.floor(r() * 65534)) : "";
      const path = r() < 0.7 ? `/${word(Math.floor(r() * 10))}/${word(3)}` : "";
      const query = r() < 0.3 ? `?q=${word(4)}` : "";
      const url = `${scheme}://${user}${pass ? `:${pass}` : ""}${user ? "@" : ""}${host}${port ? `:${port}` : ""}${path}${query}`;
      const u = new URL(url);
      d$.eq(`host ${url}`, urlHost(url), u.hostname);
      d$.eq(`user ${url}`, urlUser(url), u.username);
      d$.eq(`pass ${url}`, urlPass(url), u.password);
      d$.eq(`port ${url}`, urlPort(url), u.port ? Number(u.port) : dflt);
      d$.eq(`uri ${url}`, urlUri(url), path || query ? `${path}${query}` : "/");
      d$.eq(`ssl ${url}`, urlIsSsl(url), scheme === "https" || scheme === "wss");
    }
    expect(d$.list).toEqual([]);
  });

  test("httpVar agrees with URLSearchParams (first occurrence) on generated forms", () => {
    const r = rng(8);
    const d$ = new Diffs();
    for (let i = 0; i < 1000; i++) {
      const params = new URLSearchParams();
      const names = ["a", "bb", "name", "x1"];
      for (let k = 0; k < 1 + Math.floor(r() * 5); k++) params.append(names[Math.floor(r() * names.length)], text(r, Math.floor(r() * 12)));
      const body = params.toString();
      for (const n of names) d$.eq(`${n} in ${body}`, httpVar(body, n) ?? null, params.get(n));
    }
    expect(d$.list).toEqual([]);
    expect(httpVar("a=%zz", "a")).toBe(new URLSearchParams("a=%zz").get("a")); // a bad escape stays as written
  });
});

/** Every path to every value of `v` (Mongoose syntax) with the value. */
function paths(v: unknown, at = "$", out: [string, unknown][] = []): [string, unknown][] {
  out.push([at, v]);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, `${at}[${i}]`, out));
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, `${at}.${k}`, out);
  return out;
}

function randomValue(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 4 || k < 0.35) {
    const t = Math.floor(r() * 7);
    if (t === 0) return null;
    if (t === 1) return r() < 0.5;
    if (t === 2) return Math.floor((r() - 0.5) * 2 ** 40);
    if (t === 3) return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    return text(r, Math.floor(r() * 20));
  }
  if (k < 0.65) return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(r() * 5); i++) o[`k${Math.floor(r() * 1000)}_${i}`] = randomValue(r, depth + 1);
  return o;
}

/** JSON text with every non-ASCII character escaped as \uXXXX (astral ones as surrogate pairs). */
function asciiJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, null, indent).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

describe("JSON against JSON.parse on a generated corpus", () => {
  test("every path of every document: value, type-specific getters, decoded strings", () => {
    const r = rng(9);
    const d$ = new Diffs();
    let checked = 0;
    for (let i = 0; i < 250; i++) {
      const v = randomValue(r, 0);
      const docs = [JSON.stringify(v), JSON.stringify(v, null, 2), asciiJson(v), asciiJson(v, 1)];
      for (const doc of docs) {
        for (const [path, want] of paths(v)) {
          const token = jsonGet(doc, path);
          d$.deep(`jsonGet ${path} in ${doc}`, token === undefined ? undefined : JSON.parse(token), want);
          d$.eq(`jsonGetNum ${path} in ${doc}`, jsonGetNum(doc, path), typeof want === "number" ? want : undefined);
          if (typeof want === "number") d$.eq(`jsonGetLong ${path} in ${doc}`, jsonGetLong(doc, path), Math.trunc(want));
          d$.eq(`jsonGetStr ${path} in ${doc}`, jsonGetStr(doc, path), typeof want === "string" ? want : undefined);
          d$.eq(`jsonGetBool ${path} in ${doc}`, jsonGetBool(doc, path), typeof want === "boolean" ? want : undefined);
          checked++;
        }
        d$.eq(`missing key in ${doc}`, jsonGet(doc, "$.no_such_key"), undefined);
        d$.eq(`missing index in ${doc}`, jsonGet(doc, "$[99999]"), undefined);
      }
    }
    expect(d$.list).toEqual([]);
    expect(checked).toBeGreaterThan(3000);
  }, 90_000);

  test("invalid JSON: undefined exactly when JSON.parse throws, never a crash", () => {
    const r = rng(10);
    const d$ = new Diffs();
    let invalid = 0;
    for (let i = 0; i < 3000; i++) {
      let doc = JSON.stringify(randomValue(r, 0));
      const cut = Math.floor(r() * (doc.length + 1));
      const op = Math.floor(r() * 4);
      if (op === 0) doc = doc.slice(0, cut);
      else if (op === 1) doc = doc.slice(0, cut) + "{}[],:\"\\ x01-.eE"[Math.floor(r() * 17)] + doc.slice(cut);
      else if (op === 2) doc = doc.slice(0, cut) + doc.slice(cut + 1);
      let valid = true;
      try {
        JSON.parse(doc);
      } catch {
        valid = false;
        invalid++;
      }
      d$.eq(`valid ${doc}`, jsonGet(doc, "$") !== undefined, valid);
    }
    expect(d$.list).toEqual([]);
    expect(invalid).toBeGreaterThan(500);
  });

  test("edge cases: bytes input, surrogates, deep nesting, bad paths", () => {
    expect(jsonGetStr('"\\ud83d\\ude00"', "$")).toBe("\u{1f600}");
    expect(jsonGetStr('"\\ud800x"', "$")).toBe("\ufffdx"); // a lone surrogate cannot be UTF-8
    expect(jsonGetStr(new TextEncoder().encode('{"k":"v\\n"}'), "$.k")).toBe("v\n");
    expect(jsonGet("[".repeat(100) + "]".repeat(100), "$")).toBeDefined();
    expect(jsonGet("[".repeat(200) + "]".repeat(200), "$")).toBeUndefined(); // deeper than MG_JSON_MAX_DEPTH
    expect(jsonGet('{"a":1,"a":2}', "$.a")).toBe("1"); // the first of duplicate keys
    expect(() => jsonGet("{}", "a")).toThrow(TypeError);
    expect(() => jsonGet("{}", 1 as unknown as string)).toThrow(TypeError);
    expect(jsonGet('{"a":1}', "$.a[")).toBeUndefined();
    expect(jsonGetNum('{"a":"x"}', "$.a", 5)).toBe(5);
  });
});

describe("match and globMatch against RegExp", () => {
  const toRegex = (p: string): RegExp =>
    new RegExp(`^${[...p].map((c) => (c === "?" ? "(.)" : c === "*" ? "([^/]*?)" : c === "#" ? "(.*?)" : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("")}$`, "s");

  // Like Mongoose, the matcher backtracks into the last wildcard only: exact
  // for "#" patterns (with "?") and for "*" patterns without "?" (a "/" must
  // then meet a literal "/"). match("ba/a", "*?*?*") is the known miss.
  test("'#'/'?' patterns and '*' patterns: same verdict and captures as the lazy RegExp", () => {
    const r = rng(11);
    const d$ = new Diffs();
    const pick = (s: string): string => s[Math.floor(r() * s.length)];
    for (let i = 0; i < 6000; i++) {
      const p = Array.from({ length: Math.floor(r() * 7) }, () => pick(i % 2 ? "ab/?##" : "ab/**")).join("");
      const s = Array.from({ length: Math.floor(r() * 9) }, () => pick("ab/")).join("");
      const m = toRegex(p).exec(s);
      const ours = match(s, p);
      d$.deep(`match(${JSON.stringify(s)}, ${JSON.stringify(p)})`, ours, m ? m.slice(1) : undefined);
      d$.eq(`globMatch(${JSON.stringify(s)}, ${JSON.stringify(p)})`, globMatch(s, p), m !== null);
    }
    expect(d$.list).toEqual([]);
    expect(match("ba/a", "*?*?*")).toBeUndefined();
  });
});

describe("clock, randomness and logging", () => {
  test("millis is the core's monotonic clock", () => {
    const a = millis();
    const b = millis();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a - performance.now())).toBeLessThan(1000);
  });

  test("randomBytes / randomStr: lengths, alphabet, spread", () => {
    for (const n of [0, 1, 16, 1000, 70000]) {
      expect(randomBytes(n).length).toBe(n);
      expect(randomStr(n)).toMatch(new RegExp(`^[0-9A-Za-z]{${n}}$`));
    }
    const counts = new Map<string, number>();
    for (const c of randomStr(62 * 200)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(n).toBeGreaterThan(100); // expected 200 each
    expect(() => randomBytes(-1)).toThrow(RangeError);
    expect(() => randomStr(1.5)).toThrow(RangeError);
  });

  test("logSet/logGet: levels round-trip, out-of-range levels and bad sinks throw", () => {
    try {
      logSet(MG_LL_DEBUG, () => {});
      expect(logGet()).toBe(MG_LL_DEBUG);
      logSet(MG_LL_NONE);
      expect(logGet()).toBe(MG_LL_NONE);
      expect(() => logSet(5)).toThrow(RangeError);
      expect(() => logSet(-1)).toThrow(RangeError);
      expect(() => logSet(1, "x" as unknown as () => void)).toThrow(TypeError);
    } finally {
      logSet(MG_LL_ERROR, null);
    }
  });
});

// The reference library's utility tests, case for case, in our API's terms.
describe("reference twins", () => {
  test("json", () => {
    const user = '{"user": {"name": "Alice", "age": 30}}';
    expect(jsonGet(user, "$.user.name")).toBe('"Alice"');
    expect(jsonGet(user, "$.user.age")).toBe("30");
    expect(jsonGet(user, "$.user.missing")).toBeUndefined();
    const nums = '{"count": 42, "price": 19.99, "invalid": "text"}';
    expect(jsonGetNum(nums, "$.count")).toBe(42);
    expect(jsonGetNum(nums, "$.price")).toBe(19.99);
    expect(jsonGetNum(nums, "$.invalid")).toBeUndefined();
    expect(jsonGetNum(nums, "$.missing")).toBeUndefined();
    expect(jsonGetNum(nums, "$.missing", 999)).toBe(999);
    const bools = '{"enabled": true, "disabled": false, "invalid": "yes"}';
    expect(jsonGetBool(bools, "$.enabled")).toBe(true);
    expect(jsonGetBool(bools, "$.disabled")).toBe(false);
    expect(jsonGetBool(bools, "$.invalid")).toBeUndefined();
    expect(jsonGetBool(bools, "$.missing", true)).toBe(true);
    const longs = '{"id": 12345, "negative": -99, "float": 3.14}';
    expect(jsonGetLong(longs, "$.id")).toBe(12345);
    expect(jsonGetLong(longs, "$.negative")).toBe(-99);
    expect(jsonGetLong(longs, "$.float")).toBe(3);
    expect(jsonGetLong(longs, "$.missing")).toBe(0);
    expect(jsonGetLong(longs, "$.missing", 777)).toBe(777);
    const strs = '{"message": "Hello, World!", "escaped": "Line 1\\nLine 2", "unicode": "\\u0048\\u0065\\u006c\\u006c\\u006f"}';
    expect(jsonGetStr(strs, "$.message")).toBe("Hello, World!");
    expect(jsonGetStr(strs, "$.escaped")).toBe("Line 1\nLine 2");
    expect(jsonGetStr(strs, "$.unicode")).toBe("Hello");
    expect(jsonGetStr(strs, "$.missing")).toBeUndefined();
    const items = '{"items": [{"id": 1}, {"id": 2}, {"id": 3}]}';
    expect([0, 1, 2].map((i) => jsonGet(items, `$.items[${i}].id`))).toEqual(["1", "2", "3"]);
    expect(jsonGet(items, "$.items[99]")).toBeUndefined();
    expect(jsonGetNum('{"a": {"b": {"c": {"d": 42}}}}', "$.a.b.c.d")).toBe(42);
    expect(jsonGet(Buffer.from('{"key": "value"}'), "$.key")).toBe('"value"');
    const complex = `{"users": [{"name": "Alice", "age": 30, "active": true}, {"name": "Bob", "age": 25, "active": false}],
      "metadata": {"total": 2, "version": "1.0"}}`;
    expect(jsonGetStr(complex, "$.users[0].name")).toBe("Alice");
    expect(jsonGetNum(complex, "$.users[0].age")).toBe(30);
    expect(jsonGetBool(complex, "$.users[0].active")).toBe(true);
    expect(jsonGetStr(complex, "$.users[1].name")).toBe("Bob");
    expect(jsonGetLong(complex, "$.metadata.total")).toBe(2);
    expect(jsonGetStr(complex, "$.metadata.version")).toBe("1.0");
  });

  test("match", () => {
    expect(match("hello", "hello")).toEqual([]);
    expect(match("hello", "world")).toBeUndefined();
    expect(match("", "")).toEqual([]);
    expect(match("abc", "a?c")).toEqual(["b"]);
    expect(match("abc", "???")).toEqual(["a", "b", "c"]);
    expect(match("ab", "???")).toBeUndefined();
    expect(match("foo", "*")).toEqual(["foo"]);
    expect(match("foo/bar", "*/bar")).toEqual(["foo"]);
    expect(match("foo/bar", "*")).toBeUndefined();
    expect(match("/api/users", "/api/*")).toEqual(["users"]);
    expect(match("foo/bar/baz", "#")).toEqual(["foo/bar/baz"]);
    expect(match("/a/b/c.txt", "#.txt")).toEqual(["/a/b/c"]);
    expect(match("/api/users/42", "/api/*/??")).toEqual(["users", "4", "2"]);
    expect(match("/users/alice", "/users/*")).toEqual(["alice"]);
  });

  test("url parse", () => {
    expect(urlPort("http://example.com:8080/path")).toBe(8080);
    expect(["http", "https", "ws", "wss"].map((s) => urlPort(`${s}://example.com/path`))).toEqual([80, 443, 80, 443]);
    expect(urlPort("mqtt://example.com")).toBe(1883);
    expect(urlPort("mqtts://example.com")).toBe(8883);
    expect(urlHost("http://example.com/path")).toBe("example.com");
    expect(urlHost("http://example.com:8080/path")).toBe("example.com");
    expect(urlHost("http://192.168.1.1:80/")).toBe("192.168.1.1");
    expect(urlHost("http://user:pass@example.com/")).toBe("example.com");
    expect(urlUser("http://admin:secret@example.com/")).toBe("admin");
    expect(urlUser("http://example.com/")).toBe("");
    expect(urlUser("http://admin@example.com/")).toBe("admin");
    expect(urlPass("http://admin:secret@example.com/")).toBe("secret");
    expect(urlPass("http://example.com/")).toBe("");
    expect(urlUri("http://example.com/api/v1")).toBe("/api/v1");
    expect(urlUri("http://example.com/")).toBe("/");
    expect(urlUri("http://example.com")).toBe("/");
    expect(urlUri("http://example.com/search?q=test")).toBe("/search?q=test");
    expect(["https", "http", "wss", "ws", "mqtts"].map((s) => urlIsSsl(`${s}://example.com`))).toEqual([true, false, true, false, true]);
  });

  test("url encode and http var", () => {
    expect(urlEncode("hello world")).toBe("hello%20world");
    expect(urlEncode("test@example.com")).toBe("test%40example.com");
    expect(urlEncode("a+b")).toBe("a%2bb");
    expect(urlEncode("a&b=c")).toBe("a%26b%3dc");
    expect(urlEncode("100%")).toBe("100%25");
    expect(urlEncode("hello世界")).toBe("hello%e4%b8%96%e7%95%8c");
    expect(urlEncode("")).toBe("");
    expect(urlEncode("abc123")).toBe("abc123");
    expect(urlEncode("test-file_name.txt")).toBe("test-file_name.txt");
    expect(httpVar("foo=bar&baz=qux", "foo")).toBe("bar");
    expect(httpVar("foo=bar&baz=qux", "baz")).toBe("qux");
    expect(httpVar("foo=bar", "missing")).toBeUndefined();
    expect(httpVar("foo=&bar=1", "foo")).toBe("");
    expect(httpVar("msg=hello+world", "msg")).toBe("hello world");
    expect(httpVar(Buffer.from("key=val"), "key")).toBe("val");
    expect(httpVar("", "foo")).toBeUndefined();
  });

  test("base64, crc32, random, millis", () => {
    expect(base64Encode(new Uint8Array(0))).toBe("");
    expect(base64Encode("hello")).toBe("aGVsbG8=");
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64Encode(all)).toBe(Buffer.from(all).toString("base64"));
    expect([base64Encode("a"), base64Encode("ab"), base64Encode("abc")]).toEqual(["YQ==", "YWI=", "YWJj"]);
    expect(base64Decode("")).toEqual(new Uint8Array(0));
    expect(Buffer.from(base64Decode("aGVsbG8=")!).toString()).toBe("hello");
    expect(base64Decode(base64Encode(all))).toEqual(all);
    expect(crc32("")).toBe(0);
    expect(crc32("hello")).toBe(zlibCrc32("hello"));
    expect(crc32("lo", crc32("hel"))).toBe(crc32("hello"));
    expect(randomBytes(0)).toEqual(new Uint8Array(0));
    expect(hex(randomBytes(32))).not.toBe(hex(randomBytes(32)));
    expect(randomStr(0)).toBe("");
    expect(randomStr(32)).not.toBe(randomStr(32));
    expect(millis()).toBeGreaterThan(0);
  });
});
