// http-static-cache.test.ts: the small-file cache of serveDir/serveFile over
// node:fs (ts/http/static-cache.ts). A changed file is served fresh and a
// deleted one answers 404 within the revalidation interval (polled against a
// deadline of interval + margin, never a fixed sleep); a rewrite that keeps
// size and mtime is still seen (inode/ctime marks); the cache never holds
// more than its caps while many distinct files are served; conditionals,
// ranges and HEAD answer from cached bytes exactly as from the file; the
// options are checked.
import { mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MG_EV_HTTP_MSG, staticCacheUsage } from "tsmongoose";
import { startServer, stopAllServers, type TestServer } from "./helpers/server";
import { asHttp, patternBytes } from "./helpers/http";

let www: string;
afterEach(() => stopAllServers());
beforeEach(() => {
  www = mkdtempSync(join(tmpdir(), "tsm-static-cache-"));
});
afterEach(() => rmSync(www, { recursive: true, force: true }));

/** Margin for a busy machine on top of the interval a change may take. */
const MARGIN_MS = 10_000;

function server(cache: unknown): Promise<TestServer> {
  return startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = asHttp(data);
    if (hm.uri === "/the-file") c.serveFile(hm, join(www, "f.txt"), { cache } as never);
    else c.serveDir(hm, www, { cache } as never);
  });
}

async function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers, method });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** GET `url` until `ok` holds; throws after `ms`. Returns the last answer. */
async function pollUntil(url: string, ok: (r: { status: number; body: string }) => boolean, ms: number): Promise<{ status: number; body: string; tookMs: number }> {
  const start = Date.now();
  for (;;) {
    const r = await get(url);
    if (ok(r)) return { ...r, tookMs: Date.now() - start };
    if (Date.now() - start > ms) throw new Error(`still ${r.status} ${JSON.stringify(r.body)} after ${ms} ms`);
    await new Promise((res) => setImmediate(res));
  }
}

describe("invalidation", () => {
  test.each(["/f.txt", "/the-file"])("%s: a changed file is served fresh within the interval, a deleted one becomes 404", async (uri) => {
    const INTERVAL = 300;
    const srv = await server({ revalidateMs: INTERVAL });
    writeFileSync(join(www, "f.txt"), "one");
    expect(await get(srv.base + uri)).toMatchObject({ status: 200, body: "one" });
    expect(await get(srv.base + uri)).toMatchObject({ status: 200, body: "one" }); // from the cache
    expect(staticCacheUsage().bytes).toBeGreaterThanOrEqual(3);
    writeFileSync(join(www, "f.txt"), "two, longer");
    const changed = await pollUntil(srv.base + uri, (r) => r.body === "two, longer", INTERVAL + MARGIN_MS);
    expect(changed.status).toBe(200);
    unlinkSync(join(www, "f.txt"));
    const gone = await pollUntil(srv.base + uri, (r) => r.status === 404, INTERVAL + MARGIN_MS);
    expect(gone.body).not.toContain("two");
    // Created again: found again.
    writeFileSync(join(www, "f.txt"), "three");
    await pollUntil(srv.base + uri, (r) => r.status === 200 && r.body === "three", INTERVAL + MARGIN_MS);
  });

  test("a rewrite that keeps the size and puts the mtime back is still seen (inode/ctime)", async () => {
    const srv = await server({ revalidateMs: 50 });
    const file = join(www, "same.txt");
    const T = new Date("2024-05-06T07:08:09Z");
    writeFileSync(file, "AAAA");
    utimesSync(file, T, T);
    const first = await get(`${srv.base}/same.txt`);
    expect(first.body).toBe("AAAA");
    writeFileSync(file, "BBBB");
    utimesSync(file, T, T);
    const r = await pollUntil(`${srv.base}/same.txt`, (x) => x.body === "BBBB", 50 + MARGIN_MS);
    // Same size and second: the validators cannot tell, the bytes must.
    expect((await get(`${srv.base}/same.txt`)).headers.get("etag")).toBe(first.headers.get("etag"));
    expect(r.status).toBe(200);
  });

  test("cache: false reads the file on every request", async () => {
    const srv = await server(false);
    writeFileSync(join(www, "f.txt"), "one");
    expect((await get(`${srv.base}/f.txt`)).body).toBe("one");
    writeFileSync(join(www, "f.txt"), "two");
    expect((await get(`${srv.base}/f.txt`)).body).toBe("two"); // at once, no interval
    unlinkSync(join(www, "f.txt"));
    expect((await get(`${srv.base}/f.txt`)).status).toBe(404);
  });
});

test("memory stays within maxBytes and maxEntries while many distinct files are served", async () => {
  // 60 files (and as many .gz misses) against 40 entries; about 80 KiB of
  // them against 32 KiB: both caps bind in turn.
  const caps = { maxBytes: 32 * 1024, maxEntries: 40, maxFileSize: 8 * 1024, revalidateMs: 60_000 };
  const srv = await server(caps);
  const files = Array.from({ length: 60 }, (_, i) => patternBytes(1000 + i * 100, i + 1)); // 1000 .. 6900 bytes
  files.forEach((b, i) => writeFileSync(join(www, `f${i}.bin`), b));
  writeFileSync(join(www, "big.bin"), patternBytes(9000, 99)); // over maxFileSize: never kept
  let peakBytes = 0;
  let peakEntries = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < files.length; i++) {
      const res = await fetch(`${srv.base}/f${i}.bin`);
      expect(Buffer.from(await res.arrayBuffer()).equals(files[i])).toBe(true);
      const u = staticCacheUsage();
      peakBytes = Math.max(peakBytes, u.bytes);
      peakEntries = Math.max(peakEntries, u.entries);
      expect(u.bytes).toBeLessThanOrEqual(caps.maxBytes);
      expect(u.entries).toBeLessThanOrEqual(caps.maxEntries);
    }
  }
  expect(peakBytes).toBeGreaterThan(caps.maxBytes / 2); // the cache was in use, up to its cap
  expect(peakEntries).toBe(caps.maxEntries);
  const before = staticCacheUsage().bytes;
  const big = await fetch(`${srv.base}/big.bin`);
  expect(Buffer.from(await big.arrayBuffer()).equals(readFileSync(join(www, "big.bin")))).toBe(true);
  expect(staticCacheUsage().bytes).toBeLessThanOrEqual(before); // not kept: only its stat entry
});

test("conditionals, ranges and HEAD answer from cached bytes as from the file", async () => {
  const srv = await server({ revalidateMs: 60_000 });
  const body = patternBytes(5000, 3);
  writeFileSync(join(www, "c.bin"), body);
  const url = `${srv.base}/c.bin`;
  const first = await fetch(url);
  expect(Buffer.from(await first.arrayBuffer()).equals(body)).toBe(true);
  const etag = first.headers.get("etag")!;
  expect(staticCacheUsage().bytes).toBeGreaterThanOrEqual(5000);
  const again = await fetch(url);
  expect(Buffer.from(await again.arrayBuffer()).equals(body)).toBe(true);
  expect(again.headers.get("etag")).toBe(etag);
  expect((await get(url, { "if-none-match": etag })).status).toBe(304);
  const part = await fetch(url, { headers: { range: "bytes=100-199" } });
  expect(part.status).toBe(206);
  expect(part.headers.get("content-range")).toBe("bytes 100-199/5000");
  expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(100, 200))).toBe(true);
  const tail = await fetch(url, { headers: { range: "bytes=-10", "if-range": etag } });
  expect(Buffer.from(await tail.arrayBuffer()).equals(body.subarray(4990))).toBe(true);
  const stale = await fetch(url, { headers: { range: "bytes=0-9", "if-range": '"other"' } });
  expect(stale.status).toBe(200);
  expect((await stale.arrayBuffer()).byteLength).toBe(5000);
  expect((await get(url, { range: "bytes=9000-" })).status).toBe(416);
  const head = await get(url, {}, "HEAD");
  expect(head.status).toBe(200);
  expect(head.headers.get("content-length")).toBe("5000");
  expect(head.body).toBe("");
});

test("cache options are checked", async () => {
  let err: unknown;
  const srv = await startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = asHttp(data);
    const bad: Record<string, unknown> = { "/t": { cache: true }, "/n": { cache: { maxBytes: "1" } },
      "/r": { cache: { revalidateMs: -1 } }, "/f": { cache: { maxEntries: 1.5 } } };
    try {
      c.serveDir(hm, www, bad[hm.uri] as never);
    } catch (e) {
      err = e;
      c.reply(500, "");
    }
  });
  const expected: [string, string, string, RegExp][] = [
    ["/t", "TypeError", "ERR_INVALID_ARG_TYPE", /cache must be false or an object, got true/],
    ["/n", "TypeError", "ERR_INVALID_ARG_TYPE", /cache\.maxBytes must be a number/],
    ["/r", "RangeError", "ERR_OUT_OF_RANGE", /cache\.revalidateMs .*got -1/],
    ["/f", "RangeError", "ERR_OUT_OF_RANGE", /cache\.maxEntries .*got 1\.5/],
  ];
  for (const [uri, name, code, msg] of expected) {
    err = undefined;
    expect((await get(srv.base + uri)).status).toBe(500);
    expect(err).toMatchObject({ name, code });
    expect((err as Error).message).toMatch(msg);
  }
});
