// utils.mjs: each utility of the core against its Node equivalent, side by
// side in one process (`npm run bench`, case "utils"; alone:
// BENCH_CASES=utils npm run bench, or node tests/bench/utils.mjs). Prints
// calls per second of both and the ratio (ours / Node's: above 1 ours is
// faster), on a small and a larger input; writes build/bench-utils.md.
import { createHash, createHmac, randomBytes as nodeRandom } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 as zlibCrc32 } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MS = Number(process.env.BENCH_UTIL_MS || 150); // per measurement; 3 alternating rounds, best kept

/** Calls per second of fn, measured for about MS milliseconds. */
function rate(fn) {
  let n = 0, sink = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MS) {
    for (let i = 0; i < 64; i++) sink ^= (fn() ? 1 : 0);
    n += 64;
    t = performance.now();
  }
  if (sink === 2) console.log(""); // keep results alive
  return (n * 1000) / (t - t0);
}

function best(fn) {
  return Math.max(rate(fn), rate(fn), rate(fn));
}

export async function benchUtils() {
  const m = createRequire(import.meta.url)(join(root, "dist", "index.cjs"));
  await m.init();
  const small = Buffer.alloc(32, 7), large = Buffer.alloc(16 * 1024, 7);
  const sText = "hello world, é!".repeat(2), lText = "hello world, é!".repeat(1000);
  const doc = JSON.stringify({ user: { name: "Alice", tags: ["a", "b", "c"], age: 30 }, items: [1, 2, 3] });
  const bigDoc = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `n${i}` })), last: { v: 42 } });
  const b64s = small.toString("base64"), b64l = large.toString("base64");
  const encS = encodeURIComponent(sText), encL = encodeURIComponent(lText);
  const form = "a=1&b=2&name=hello+world&z=9", url = "https://user:pw@example.com:8443/api/v1/items?q=1";
  const re = /^\/api\/([^/]*?)\/(.*?)$/;
  const cases = [
    ["md5 32 B", () => m.md5(small), () => createHash("md5").update(small).digest()],
    ["md5 16 KiB", () => m.md5(large), () => createHash("md5").update(large).digest()],
    ["sha1 32 B", () => m.sha1(small), () => createHash("sha1").update(small).digest()],
    ["sha1 16 KiB", () => m.sha1(large), () => createHash("sha1").update(large).digest()],
    ["sha256 32 B", () => m.sha256(small), () => createHash("sha256").update(small).digest()],
    ["sha256 16 KiB", () => m.sha256(large), () => createHash("sha256").update(large).digest()],
    ["hmacSha256 32 B", () => m.hmacSha256("key", small), () => createHmac("sha256", "key").update(small).digest()],
    ["crc32 32 B", () => m.crc32(small), () => zlibCrc32(small)],
    ["crc32 16 KiB", () => m.crc32(large), () => zlibCrc32(large)],
    ["base64Encode 32 B", () => m.base64Encode(small), () => small.toString("base64")],
    ["base64Encode 16 KiB", () => m.base64Encode(large), () => large.toString("base64")],
    ["base64Decode 32 B", () => m.base64Decode(b64s), () => Buffer.from(b64s, "base64")],
    ["base64Decode 16 KiB", () => m.base64Decode(b64l), () => Buffer.from(b64l, "base64")],
    ["urlEncode 30 chars", () => m.urlEncode(sText), () => encodeURIComponent(sText)],
    ["urlEncode 15 K chars", () => m.urlEncode(lText), () => encodeURIComponent(lText)],
    ["urlDecode 30 chars", () => m.urlDecode(encS), () => decodeURIComponent(encS)],
    ["urlDecode 15 K chars", () => m.urlDecode(encL), () => decodeURIComponent(encL)],
    ["jsonGetStr small doc", () => m.jsonGetStr(doc, "$.user.name"), () => JSON.parse(doc).user.name],
    ["jsonGetNum 6 KB doc", () => m.jsonGetNum(bigDoc, "$.last.v"), () => JSON.parse(bigDoc).last.v],
    ["httpVar", () => m.httpVar(form, "name"), () => new URLSearchParams(form).get("name")],
    ["urlHost", () => m.urlHost(url), () => new URL(url).hostname],
    ["match vs RegExp", () => m.match("/api/v1/users/7", "/api/*/#"), () => re.exec("/api/v1/users/7")],
    ["randomBytes 16", () => m.randomBytes(16), () => nodeRandom(16)],
    ["millis vs performance.now", () => m.millis(), () => performance.now()],
  ];
  const rows = [];
  console.log("\nutilities: calls/s, tsmongoose vs Node (ratio > 1: tsmongoose faster)");
  for (const [name, ours, node] of cases) {
    const a = best(ours), b = best(node);
    rows.push({ name, ours: a, node: b, ratio: a / b });
    console.log(`  ${name.padEnd(26)} ${fmt(a).padStart(9)}  ${fmt(b).padStart(9)}  x${(a / b).toFixed(2)}`);
  }
  const md = ["| utility | tsmongoose calls/s | Node calls/s | ratio |", "| --- | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.name} | ${fmt(r.ours)} | ${fmt(r.node)} | ${r.ratio.toFixed(2)} |`)].join("\n") + "\n";
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "bench-utils.md"), md);
  console.log("wrote build/bench-utils.md");
  return rows;
}

function fmt(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchUtils();
