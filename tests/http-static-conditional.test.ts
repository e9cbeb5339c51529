// http-static-conditional.test.ts: conditional requests on static files
// (RFC 9110 13) through real clients over loopback: each step of 13.2.2's
// order (If-Match, else If-Unmodified-Since -> 412; If-None-Match, else
// If-Modified-Since -> 304; If-Range with Range -> 206 or the whole file),
// and Range on HEAD (a 200 HEAD). curl and fetch see every case; then the
// same cases go to nginx, serve-static and sirv serving the same directory,
// and the status codes are compared: where a peer differs, the test names
// the case and says why it is the peer that departs from the RFC.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import serveStatic from "serve-static";
import sirv from "sirv";
import { MG_EV_HTTP_MSG } from "tsmongoose";
import { startServer, stopAllServers } from "./helpers/server";
import { curl, ensureCurl, parseCurlI } from "./helpers/curl";
import { asHttp } from "./helpers/http";
import { requireTool } from "./helpers/tools";
import { freePort } from "./helpers/mqtt-peers";

const BODY = "0123456789abcdefghij";
const MTIME = new Date("2024-05-06T07:08:09Z");
const LM = MTIME.toUTCString();
const OLDER = new Date(MTIME.getTime() - 1000).toUTCString();
const DAY_BEFORE = new Date(MTIME.getTime() - 86_400_000).toUTCString();
const DAY_AFTER = new Date(MTIME.getTime() + 86_400_000).toUTCString();

let dir = "";
beforeAll(() => {
  ensureCurl();
  dir = mkdtempSync(join(tmpdir(), "tsm-cond-"));
  writeFileSync(join(dir, "a.txt"), BODY);
  utimesSync(join(dir, "a.txt"), MTIME, MTIME);
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
afterEach(() => stopAllServers());

/** One request: method and headers, given the server's own Etag. */
interface Case {
  name: string;
  head?: boolean;
  headers: (etag: string) => Record<string, string>;
  /** The status RFC 9110 asks for (200: the whole file; 206: bytes 0-4). */
  want: 200 | 206 | 304 | 412;
}

const R = { Range: "bytes=0-4" };
const CASES: Case[] = [
  // Step 1: If-Match, strong comparison.
  { name: "If-Match: the tag", headers: (e) => ({ "If-Match": e }), want: 200 },
  { name: "If-Match: a list with the tag", headers: (e) => ({ "If-Match": `"nope", ${e}` }), want: 200 },
  { name: "If-Match: *", headers: () => ({ "If-Match": "*" }), want: 200 },
  { name: "If-Match: another tag", headers: () => ({ "If-Match": '"nope"' }), want: 412 },
  { name: "If-Match: the tag marked weak", headers: (e) => ({ "If-Match": `W/${e}` }), want: 412 },
  // Step 2: If-Unmodified-Since, only without If-Match.
  { name: "If-Unmodified-Since: older", headers: () => ({ "If-Unmodified-Since": OLDER }), want: 412 },
  { name: "If-Unmodified-Since: Last-Modified", headers: () => ({ "If-Unmodified-Since": LM }), want: 200 },
  { name: "If-Unmodified-Since: not a date", headers: () => ({ "If-Unmodified-Since": "yesterday" }), want: 200 },
  { name: "If-Match true: If-Unmodified-Since ignored", headers: (e) => ({ "If-Match": e, "If-Unmodified-Since": OLDER }), want: 200 },
  // Step 3: If-None-Match, weak comparison; 412 before it.
  { name: "If-None-Match: the tag", headers: (e) => ({ "If-None-Match": e }), want: 304 },
  { name: "If-None-Match: the tag marked weak", headers: (e) => ({ "If-None-Match": `W/${e}` }), want: 304 },
  { name: "If-None-Match: *", headers: () => ({ "If-None-Match": "*" }), want: 304 },
  { name: "If-Match false before If-None-Match", headers: (e) => ({ "If-Match": '"nope"', "If-None-Match": e }), want: 412 },
  { name: "If-Unmodified-Since false before If-Modified-Since", headers: () => ({ "If-Unmodified-Since": OLDER, "If-Modified-Since": LM }), want: 412 },
  // Step 4: If-Modified-Since, only without If-None-Match.
  { name: "If-Modified-Since: Last-Modified", headers: () => ({ "If-Modified-Since": LM }), want: 304 },
  { name: "If-Modified-Since: older", headers: () => ({ "If-Modified-Since": OLDER }), want: 200 },
  { name: "If-None-Match false: If-Modified-Since ignored", headers: () => ({ "If-None-Match": '"nope"', "If-Modified-Since": LM }), want: 200 },
  // Step 5: If-Range with Range.
  { name: "Range", headers: () => R, want: 206 },
  { name: "If-Range: the tag", headers: (e) => ({ ...R, "If-Range": e }), want: 206 },
  { name: "If-Range: Last-Modified", headers: () => ({ ...R, "If-Range": LM }), want: 206 },
  { name: "If-Range: another tag", headers: () => ({ ...R, "If-Range": '"x"' }), want: 200 },
  { name: "If-Range: the tag marked weak", headers: (e) => ({ ...R, "If-Range": `W/${e}` }), want: 200 },
  { name: "If-Range: an older date", headers: () => ({ ...R, "If-Range": DAY_BEFORE }), want: 200 },
  { name: "If-Range: a later date", headers: () => ({ ...R, "If-Range": DAY_AFTER }), want: 200 },
  { name: "If-Range false drops an unsatisfiable Range", headers: () => ({ Range: "bytes=100-", "If-Range": '"x"' }), want: 200 },
  { name: "If-None-Match before If-Range", headers: (e) => ({ ...R, "If-Range": e, "If-None-Match": e }), want: 304 },
  { name: "If-Match true, then If-Range", headers: (e) => ({ ...R, "If-Match": e, "If-Range": e }), want: 206 },
  // HEAD: range handling is defined for GET only.
  { name: "HEAD with Range", head: true, headers: () => R, want: 200 },
  { name: "HEAD with Range and a true If-Range", head: true, headers: (e) => ({ ...R, "If-Range": e }), want: 200 },
  { name: "HEAD with a false If-Match", head: true, headers: () => ({ "If-Match": '"nope"' }), want: 412 },
];

interface Answer { status: number; body: string; contentRange?: string }

/** `c` through curl (-I for HEAD). */
async function viaCurl(url: string, c: Case, etag: string): Promise<Answer> {
  const hs = Object.entries(c.headers(etag)).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const r = await curl(["-s", c.head ? "-I" : "-i", ...hs, url]);
  if (r.code !== 0) throw new Error(`curl ${c.name}: exit ${r.code} ${r.stderr}`);
  const { final, body } = parseCurlI(r.stdout);
  return { status: final.status, body: body.toString(), contentRange: final.headers["content-range"] };
}

async function viaFetch(url: string, c: Case, etag: string): Promise<Answer> {
  const res = await fetch(url, { method: c.head ? "HEAD" : "GET", headers: c.headers(etag) });
  return { status: res.status, body: await res.text(), contentRange: res.headers.get("content-range") ?? undefined };
}

/** The server's Etag for the file (each peer has its own format). */
async function etagOf(url: string): Promise<string> {
  const res = await fetch(url);
  await res.arrayBuffer();
  const etag = res.headers.get("etag");
  if (etag === null) throw new Error(`no Etag from ${url}`);
  return etag;
}

/** What a correct answer to `c` looks like, besides its status. */
function checkAnswer(c: Case, a: Answer): void {
  const what = `${c.name}: ${JSON.stringify(a)}`;
  const body = c.head || a.status === 304 || a.status === 412 ? "" : a.status === 206 ? BODY.slice(0, 5) : BODY;
  expect({ what, status: a.status, body: a.status === 412 ? "" : a.body }).toEqual({ what, status: c.want, body });
  expect({ what, contentRange: a.contentRange }).toEqual({ what, contentRange: a.status === 206 ? `bytes 0-4/${BODY.length}` : undefined });
}

/** serveDir of the directory; "/one" is serveFile of a.txt. */
async function ourServer(path = "/a.txt"): Promise<string> {
  const srv = await startServer((conn, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = asHttp(data);
    if (hm.uri === "/one") conn.serveFile(hm, join(dir, "a.txt"));
    else conn.serveDir(hm, dir);
  });
  return `${srv.base}${path}`;
}

describe("preconditions in RFC 9110 13.2.2's order (serveDir)", () => {
  test("curl: every case gets the status and body the RFC asks for", async () => {
    const url = await ourServer();
    const etag = await etagOf(url);
    expect(etag).toMatch(/^"[0-9a-f]+\.[0-9a-f]+"$/);
    for (const c of CASES) checkAnswer(c, await viaCurl(url, c, etag));
  });

  test("fetch: every case gets the status and body the RFC asks for", async () => {
    const url = await ourServer();
    const etag = await etagOf(url);
    for (const c of CASES) {
      const a = await viaFetch(url, c, etag);
      // A 412 body is text for a person; only its absence on HEAD matters.
      if (a.status === 412 && !c.head) a.body = "";
      checkAnswer(c, a);
    }
  });

  test("serveFile evaluates the same preconditions", async () => {
    const url = await ourServer("/one");
    const etag = await etagOf(url);
    for (const name of ["If-Match: another tag", "If-Unmodified-Since: older", "If-None-Match: the tag",
      "If-Range: the tag", "If-Range: another tag", "HEAD with Range"]) {
      const c = CASES.find((x) => x.name === name)!;
      checkAnswer(c, await viaCurl(url, c, etag));
    }
  });

  test("a 412 is a complete response: the connection serves the next request", async () => {
    const url = await ourServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (headers: Record<string, string>): Promise<{ status: number; body: string; socket: net.Socket }> =>
      new Promise((resolve, reject) => {
        http.get(url, { agent, headers }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => { body += d; }).on("end", () =>
            resolve({ status: res.statusCode ?? 0, body, socket: res.socket }));
        }).on("error", reject);
      });
    try {
      const a = await get({ "If-Match": '"nope"' });
      const b = await get({ "If-Range": '"nope"', Range: "bytes=0-4" });
      expect([a.status, b.status, b.body]).toEqual([412, 200, BODY]);
      expect(b.socket).toBe(a.socket);
    } finally {
      agent.destroy();
    }
  });
});

// ---- differential: the same cases against other servers ----------------------


let nginx: ChildProcess | undefined;
const nodeServers: http.Server[] = [];
async function stopNginx(): Promise<void> {
  const n = nginx;
  nginx = undefined;
  if (n && n.exitCode === null && n.signalCode === null) {
    const exited = new Promise((r) => n.once("exit", r));
    n.kill("SIGKILL");
    await exited;
  }
}
afterEach(async () => {
  await stopNginx();
  await Promise.all(nodeServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** nginx serving the directory; a new port when another process took the free one first. */
async function startNginx(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNginxOnce();
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

async function startNginxOnce(): Promise<string> {
  const bin = requireTool("nginx");
  const conf = join(dir, "nginx");
  const port = await freePort();
  writeFileSync(`${conf}.conf`, `daemon off; master_process off; worker_processes 1;
pid ${conf}.pid; error_log ${conf}.err warn;
events { worker_connections 64; }
http {
  access_log off; default_type application/octet-stream;
  client_body_temp_path ${conf}.body; proxy_temp_path ${conf}.proxy; fastcgi_temp_path ${conf}.fcgi;
  uwsgi_temp_path ${conf}.uwsgi; scgi_temp_path ${conf}.scgi;
  server { listen 127.0.0.1:${port}; root ${dir}; }
}
`);
  nginx = spawn(bin, ["-p", dir, "-c", `${conf}.conf`], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}/a.txt`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return url;
    } catch {
      // not listening yet
    }
    if (nginx.exitCode !== null || Date.now() > deadline) {
      let log = "";
      try { log = readFileSync(`${conf}.err`, "utf8"); } catch { /* none */ }
      const code = nginx.exitCode;
      await stopNginx();
      throw new Error(`nginx did not come up (exit ${code}): ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startNode(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  nodeServers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as net.AddressInfo).port}/a.txt`;
}

/** The middlewares' `next`: their error's status (serve-static passes its 412 on), else 404. */
const next = (res: http.ServerResponse) => (err?: { status?: number }) => {
  res.statusCode = err?.status ?? 404;
  res.end();
};

/**
 * Each case's status from the server at `url`, through curl. The cases are
 * built from the opaque tag: serve-static and sirv send weak tags (W/"...").
 */
async function statuses(url: string): Promise<Record<string, number>> {
  const etag = (await etagOf(url)).replace(/^W\//, "");
  const out: Record<string, number> = {};
  for (const c of CASES) out[c.name] = (await viaCurl(url, c, etag)).status;
  return out;
}

/** The cases where a peer answers otherwise than we do: case -> its status. */
function differences(ours: Record<string, number>, peer: Record<string, number>): Record<string, number> {
  return Object.fromEntries(CASES.filter((c) => ours[c.name] !== peer[c.name]).map((c) => [c.name, peer[c.name]]));
}

const IGNORES_PRECONDITIONS = "sirv evaluates If-None-Match only (by exact string against its weak tag), nothing else";
/** Where each peer departs from us (and from RFC 9110): case -> [its status, why]. */
const DEPARTURES: Record<string, Record<string, [number, string]>> = {
  nginx: {
    "If-Unmodified-Since: not a date": [412, "13.1.4: a field that is not a valid HTTP-date MUST be ignored"],
    "If-Match true: If-Unmodified-Since ignored": [412, "13.1.4: MUST be ignored when the request has If-Match"],
    "HEAD with Range": [206, "14.2: a Range on a method without range handling (all but GET) MUST be ignored"],
    "HEAD with Range and a true If-Range": [206, "14.2, as above"],
  },
  "serve-static": {
    "If-Match: the tag marked weak": [200, "13.1.1: If-Match uses the strong comparison; send compares weakly"],
    "If-Range: the tag": [200, "its tag is weak, never good for If-Range (13.1.5): right for it; ours is strong"],
    "If-Match true, then If-Range": [200, "as above: its weak tag cannot satisfy If-Range"],
    "If-Range: the tag marked weak": [206, "13.1.5: a weak tag is never a match; send looks for its tag as a substring"],
    "If-Range: a later date": [206, "13.1.5: a date must be an exact match; send takes any date not older"],
    "HEAD with Range": [206, "14.2: a Range on HEAD MUST be ignored"],
  },
  sirv: Object.fromEntries(([
    ["If-Match: another tag", 200], ["If-Match: the tag marked weak", 200], ["If-Unmodified-Since: older", 200],
    ["If-None-Match: the tag", 200], ["If-None-Match: *", 200], ["If-Match false before If-None-Match", 200],
    ["If-Unmodified-Since false before If-Modified-Since", 200], ["If-Modified-Since: Last-Modified", 200],
    ["If-Range: another tag", 206], ["If-Range: the tag marked weak", 206], ["If-Range: an older date", 206],
    ["If-Range: a later date", 206], ["If-Range false drops an unsatisfiable Range", 416],
    ["If-None-Match before If-Range", 206], ["HEAD with Range", 206], ["HEAD with Range and a true If-Range", 206],
    ["HEAD with a false If-Match", 200],
  ] as [string, number][]).map(([name, st]) => [name, [st, IGNORES_PRECONDITIONS]])),
};

describe("differential: the same directory served by nginx, serve-static and sirv", () => {
  test("status codes per case: the peers differ only where they depart from RFC 9110", async () => {
    const ours = await statuses(await ourServer());
    expect(ours).toEqual(Object.fromEntries(CASES.map((c) => [c.name, c.want])));
    const peers: Record<string, Record<string, number>> = {
      nginx: await statuses(await startNginx()),
      "serve-static": await statuses(await startNode((req, res) => serveStatic(dir, { fallthrough: false })(req, res, next(res)))),
      sirv: await statuses(await startNode((req, res) => sirv(dir, { etag: true })(req, res, next(res)))),
    };
    for (const [name, st] of Object.entries(peers)) {
      const known = Object.fromEntries(Object.entries(DEPARTURES[name]).map(([c, [status]]) => [c, status]));
      expect({ peer: name, differs: differences(ours, st) }).toEqual({ peer: name, differs: known });
    }
  });
});
