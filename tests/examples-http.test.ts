// examples-http.test.ts: the HTTP examples run as their own Node processes
// (built to build/examples/*.mjs by scripts/build.mjs): the REST server,
// the upload server (a streamed upload far over maxBodySize lands on disk
// intact with bounded memory; curl -F forms and raw bodies), and the clients (plain, basic-auth,
// streaming) against those servers and node:http.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { curl, ensureCurl } from "./helpers/curl";

const ROOT = join(__dirname, "..");
const BUILT = join(ROOT, "build", "examples");
const children = new Set<ChildProcess>();
let tmp: string;

beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), "tsm-ex-http-")); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
});

function script(name: string): string {
  const p = join(BUILT, `${name}.mjs`);
  if (!existsSync(p)) throw new Error(`${p} is missing: run node scripts/build.mjs first`);
  return p;
}

/** Start a server example; resolves with its port once it printed its start-up lines. */
function startServer(name: string, env: Record<string, string> = {}): Promise<{ port: number; child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [script(name)], { cwd: tmp, env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no start-up within 10 s:\n${out}`)), 10_000);
    const check = (): void => {
      const m = /Server running on http:\/\/[^\s]+:(\d+)/.exec(out);
      if (!m || !out.includes("Press Ctrl+C to stop")) return;
      clearTimeout(timer);
      resolve({ port: Number(m[1]), child, out: () => out });
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`${name} exited early (${code}):\n${out}`)); });
  });
}

/** Run a client example to its end. */
function runClient(name: string, args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn(process.execPath, [script(name), ...args], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const out: Buffer[] = [];
  let err = "";
  child.stdout!.on("data", (d: Buffer) => out.push(d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} ${args.join(" ")}: not done in 30 s:\n${err}`)), 30_000);
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out), stderr: err }); });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  child.kill("SIGTERM");
  return exited;
}

test("rest-server: CRUD, credentials; http-client and http-basic-auth-client against it", async () => {
  const srv = await startServer("rest-server");
  const base = `http://127.0.0.1:${srv.port}`;
  const created = await runClient("http-client", [`${base}/api/items`, "POST", '{"name":"first"}']);
  expect(created.code).toBe(0);
  expect(created.stdout.toString()).toBe('HTTP/1.1 201 Created\n{"id":1,"name":"first"}');
  const list = await (await fetch(`${base}/api/items`)).json();
  expect(list).toEqual([{ id: 1, name: "first" }]);
  expect((await fetch(`${base}/api/items/1`, { method: "DELETE" })).status).toBe(204);
  expect((await fetch(`${base}/api/items/1`)).status).toBe(404);
  const missing = await runClient("http-client", [`${base}/api/nothing`]);
  expect(missing.code).toBe(1);
  expect(missing.stdout.toString()).toMatch(/^HTTP\/1.1 404 Not Found\n/);
  const denied = await runClient("http-client", [`${base}/api/secret`]);
  expect(denied.stdout.toString()).toMatch(/^HTTP\/1.1 401 /);
  const ok = await runClient("http-basic-auth-client", [`${base}/api/secret`, "admin", "secret"]);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout.toString().split("\n")[1])).toEqual({ secret: 42, user: "admin" });
  const wrong = await runClient("http-basic-auth-client", [`${base}/api/secret`, "admin", "nope"]);
  expect(wrong.code).toBe(1);
  const bearer = await fetch(`${base}/api/secret`, { headers: { Authorization: "Bearer t0ken" } });
  expect(await bearer.json()).toEqual({ secret: 42, user: "(token)" });
  const refused = await runClient("http-client", ["http://127.0.0.1:1/"]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/ECONNREFUSED/);
  expect(await stop(srv.child)).toBe(0);
}, 120_000); // seven Node processes started one after another: slow on a loaded machine

test("http-streaming-client prints a large body as it arrives", async () => {
  const chunk = Buffer.alloc(64 * 1024, "x");
  const total = 64; // 4 MiB in pieces, the last one late
  const s = http.createServer((req, res) => {
    res.setHeader("Content-Length", chunk.length * total);
    let i = 0;
    const write = (): void => {
      while (i < total - 1) {
        i++;
        if (!res.write(chunk)) {
          res.once("drain", write);
          return;
        }
      }
      setTimeout(() => res.end(chunk), 20);
    };
    write();
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  try {
    const r = await runClient("http-streaming-client", [`http://127.0.0.1:${(s.address() as AddressInfo).port}/big`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("head: HTTP/1.1 200 OK");
    expect(r.stderr).toContain(`done: ${chunk.length * total} body bytes`);
    expect(r.stdout.length).toBe(chunk.length * total);
  } finally {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}, 60_000);

test("upload: the page posts a file; 96 MiB streamed to disk intact with bounded memory; 413 without streaming", async () => {
  const srv = await startServer("upload", { UPLOAD_DIR: join(tmp, "up") });
  const base = `http://127.0.0.1:${srv.port}`;
  const page = await (await fetch(`${base}/`)).text();
  expect(page).toContain('<input type="file"');
  expect(page).toContain('fetch("/upload?name="');
  // A body of 96 MiB, sent in pieces by node:http (chunked), hashed as sent.
  const piece = Buffer.alloc(1 << 20);
  const hash = createHash("sha256");
  const reply = await new Promise<string>((resolve, reject) => {
    const req = http.request(`${base}/upload?name=big.bin`, { method: "POST" }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => { body += d; }).on("end", () => resolve(body));
    });
    req.on("error", reject);
    let i = 0;
    const write = (): void => {
      while (i < 96) {
        for (let k = 0; k < piece.length; k += 4096) piece[k] = (i * 31 + k) & 0xff;
        hash.update(piece);
        i++;
        if (!req.write(piece)) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
  const answer = JSON.parse(reply) as { name: string; bytes: number; rssMb: number };
  expect(answer.bytes).toBe(96 << 20);
  const file = join(tmp, "up", "big.bin");
  expect(statSync(file).size).toBe(96 << 20);
  expect(createHash("sha256").update(readFileSync(file)).digest("hex")).toBe(hash.digest("hex"));
  // Bounded: far below the body's size (Node + the core's 64 MiB-max linear memory).
  expect(answer.rssMb).toBeLessThan(160);
  // Same server, a route that does not stream: 413 past maxBodySize (1 MiB).
  const big = await fetch(`${base}/other`, { method: "POST", body: Buffer.alloc(2 << 20) }).catch((e: unknown) => e);
  expect(big instanceof Response ? big.status : String(big)).toBe(413);
  // A name with a path cannot leave UPLOAD_DIR.
  const sneaky = await (await fetch(`${base}/upload?name=..%2F..%2Fescape.txt`, { method: "POST", body: "x" })).json();
  expect(sneaky.name).toBe("escape.txt");
  expect(existsSync(join(tmp, "up", "escape.txt"))).toBe(true);
  expect(await stop(srv.child)).toBe(0);
}, 60_000);

test("upload: curl -F stores the file part's content only, named safely; curl --data-binary stores the raw body", async () => {
  ensureCurl();
  const up = join(tmp, "up-curl");
  const srv = await startServer("upload", { UPLOAD_DIR: up });
  const base = `http://127.0.0.1:${srv.port}`;
  // Content that looks like a form on its own: CRLFs, dashes, a partial boundary.
  const content = Buffer.concat([Buffer.from("line 1\r\n--\r\n--X\r\n\r\n"), Buffer.alloc(300_000, 7), Buffer.from("\r\nend\r\n")]);
  const src = join(tmp, "photo.bin");
  writeFileSync(src, content);
  const form = await curl(["-sS", "-F", "note=hello", "-F", `file=@${src};filename=../../we ird$name.bin`, `${base}/upload`]);
  expect(form.code).toBe(0);
  const answer = JSON.parse(form.stdout.toString());
  expect(answer).toMatchObject({ name: "we ird_name.bin", bytes: content.length });
  expect(readFileSync(join(up, "we ird_name.bin")).equals(content)).toBe(true); // no boundaries, no part headers
  const raw = await curl(["-sS", "--data-binary", `@${src}`, `${base}/upload?name=raw.bin`]);
  expect(JSON.parse(raw.stdout.toString())).toMatchObject({ name: "raw.bin", bytes: content.length });
  expect(readFileSync(join(up, "raw.bin")).equals(content)).toBe(true);
  // A raw body without a name, a form without a file: 400, nothing stored.
  const noName = await curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", `@${src}`, `${base}/upload`]);
  expect(noName.stdout.toString()).toBe("400");
  const noFile = await curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", "note=hello", `${base}/upload`]);
  expect(noFile.stdout.toString()).toBe("400");
  expect(readdirSync(up).sort()).toEqual(["raw.bin", "we ird_name.bin"]);
  expect(await stop(srv.child)).toBe(0);
}, 60_000);

test("http-client: a missing or bad URL prints the usage line and exits 1, without a stack trace", async () => {
  for (const args of [[], ["not a url"], ["ftp://127.0.0.1/x"]]) {
    const r = await runClient("http-client", args);
    expect({ args, code: r.code }).toEqual({ args, code: 1 });
    expect(r.stderr).toContain("usage: http-client.mjs http://HOST[:PORT]/PATH [METHOD [BODY]]");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frames
  }
}, 60_000);
