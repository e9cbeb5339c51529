// fetch-hono.test.ts: a real Hono app (from npm) on tsmongoose's serve() and
// on @hono/node-server, the same requests to both, the answers compared;
// and examples/hono-app.ts run as its own process and stopped by a signal
// while an event stream is in flight.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { serve, type FetchServer } from "tsmongoose";
import { Hono } from "hono";
import { streamText } from "hono/streaming";
import { getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { serve as nodeServe } from "@hono/node-server";
import { ready } from "./helpers/server";

/** The app under test: routes, params, query, JSON in and out, middleware, cookies, a stream, errors, a 404. */
function makeApp(): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    c.header("X-Powered-By", "middleware");
    await next();
    c.res.headers.set("X-After", c.req.method);
  });
  app.use("/admin/*", async (c, next) => {
    if (c.req.header("authorization") !== "Bearer ok") return c.json({ error: "unauthorized" }, 401);
    await next();
  });
  app.get("/", (c) => c.text("hello"));
  app.get("/json", (c) => c.json({ message: "Hello, World!", n: 42, list: [1, 2, 3] }));
  app.get("/users/:id/posts/:post", (c) => c.json({ ...c.req.param(), q: c.req.query("q") ?? null, tags: c.req.queries("tag") ?? [] }));
  app.post("/echo", async (c) => c.json({ got: await c.req.json(), type: c.req.header("content-type") }, 201));
  app.post("/form", async (c) => c.json(await c.req.parseBody()));
  app.get("/cookies", (c) => {
    setCookie(c, "a", "1", { path: "/" });
    setCookie(c, "b", "two", { httpOnly: true });
    return c.text(`seen=${getCookie(c, "seen") ?? "none"}`);
  });
  app.get("/admin/panel", (c) => c.text("secret"));
  app.get("/stream", (c) => streamText(c, async (s) => {
    for (let i = 0; i < 5; i++) {
      await s.writeln(`line ${i}`);
      await s.sleep(5);
    }
  }));
  app.get("/html", (c) => c.html("<h1>hi</h1>"));
  app.get("/redirect", (c) => c.redirect("/json"));
  app.get("/boom", () => { throw new Error("boom"); });
  app.get("/teapot", () => { throw new HTTPException(418, { message: "short and stout" }); });
  app.onError((err, c) => (err instanceof HTTPException ? err.getResponse() : c.text(`error: ${err.message}`, 500)));
  return app;
}

interface Answer { status: number; body: string; headers: Record<string, string>; cookies: string[] }

async function ask(base: string, path: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(base + path, { redirect: "manual", ...init });
  const headers: Record<string, string> = {};
  for (const k of ["content-type", "x-powered-by", "x-after", "location"]) {
    const v = res.headers.get(k);
    if (v !== null) headers[k] = v;
  }
  return { status: res.status, body: await res.text(), headers, cookies: res.headers.getSetCookie() };
}

const REQUESTS: [string, RequestInit?][] = [
  ["/"],
  ["/json"],
  ["/users/7/posts/hello-world?q=search%20me&tag=a&tag=b"],
  ["/echo", { method: "POST", body: JSON.stringify({ a: 1, b: ["x", "é"] }), headers: { "content-type": "application/json" } }],
  ["/form", { method: "POST", body: new URLSearchParams({ name: "Ada", lang: "en" }) }],
  ["/cookies", { headers: { cookie: "seen=yes; other=1" } }],
  ["/admin/panel"],
  ["/admin/panel", { headers: { authorization: "Bearer ok" } }],
  ["/stream"],
  ["/html"],
  ["/redirect"],
  ["/boom"],
  ["/teapot"],
  ["/no/such/route"],
  ["/json", { method: "HEAD" }],
  ["/json", { method: "DELETE" }],
];

describe("a Hono app on tsmongoose answers as it does on @hono/node-server", () => {
  let ours: FetchServer;
  let theirs: ReturnType<typeof nodeServe>;
  let oursBase = "", theirsBase = "";

  beforeAll(async () => {
    await ready();
    ours = serve({ fetch: makeApp().fetch, port: 0, hostname: "127.0.0.1", signals: [], errorHandler: () => undefined });
    oursBase = ours.url;
    // node-server keeps the globals tsmongoose installed (both are lightweight Response classes).
    theirs = await new Promise((resolve) => {
      const s = nodeServe({ fetch: makeApp().fetch, port: 0, hostname: "127.0.0.1", overrideGlobalObjects: false }, () => resolve(s));
    });
    theirsBase = `http://127.0.0.1:${(theirs.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    ours?.manager.close();
    await new Promise<void>((resolve) => {
      if (!theirs) return resolve();
      theirs.close(() => resolve());
      (theirs as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  });

  for (const [path, init] of REQUESTS) {
    test(`${init?.method ?? "GET"} ${path}`, async () => {
      const a = await ask(oursBase, path, init);
      const b = await ask(theirsBase, path, init);
      // The one documented difference: the core gives an empty body without
      // a Content-Type the default text/plain (docs/fetch.md).
      if (a.body === "" && b.headers["content-type"] === undefined && a.headers["content-type"] === "text/plain") {
        delete a.headers["content-type"];
      }
      expect(a).toEqual(b);
      expect(a.status).toBeGreaterThanOrEqual(200);
    });
  }

  test("the answers are the app's (not two identical failures)", async () => {
    expect(await ask(oursBase, "/json")).toMatchObject({ status: 200, body: JSON.stringify({ message: "Hello, World!", n: 42, list: [1, 2, 3] }) });
    expect(JSON.parse((await ask(oursBase, "/users/7/posts/p?tag=a&tag=b")).body)).toEqual({ id: "7", post: "p", q: null, tags: ["a", "b"] });
    expect((await ask(oursBase, "/stream")).body).toBe("line 0\nline 1\nline 2\nline 3\nline 4\n");
    expect((await ask(oursBase, "/cookies")).cookies).toEqual(["a=1; Path=/", "b=two; Path=/; HttpOnly"]);
    expect((await ask(oursBase, "/no/such/route")).status).toBe(404);
  });

  test("50 concurrent requests over keep-alive connections all answered correctly", async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(oursBase, `/users/${i}/posts/x`)));
    answers.forEach((a, i) => expect(JSON.parse(a.body)).toEqual({ id: String(i), post: "x", q: null, tags: [] }));
  });
});

describe("examples/hono-app.ts", () => {
  const script = join(__dirname, "..", "build", "examples", "hono-app.mjs");
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  test("serves its routes; SIGTERM mid-stream: the stream finishes, the report is printed, exit 0", async () => {
    if (!existsSync(script)) throw new Error(`${script} is missing: run node scripts/build.mjs first`);
    const proc = spawn(process.execPath, [script], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", EVENTS: "4", EVENT_MS: "150" }, stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let out = "", err = "";
    proc.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
    proc.stderr!.setEncoding("utf8").on("data", (d: string) => { err += d; });
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => proc.on("exit", (code, signal) => r({ code, signal })));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line within 10 s:\n${out}${err}`)), 10_000);
      const check = (): void => {
        const m = /Server running on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m && out.includes("Press Ctrl+C to stop")) { clearTimeout(timer); resolve(Number(m[1])); }
      };
      proc.stdout!.on("data", check);
      void exited.then(() => reject(new Error(`exited early:\n${out}${err}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const hello = await fetch(`${base}/`);
    expect([hello.status, await hello.text()]).toEqual([200, "Hello from Hono on tsmongoose!\n"]);
    expect(hello.headers.get("x-response-time")).toMatch(/^\d+\.\dms$/);
    expect(await (await fetch(`${base}/users/42`)).json()).toEqual({ id: 42, name: "user 42" });
    const echo = await fetch(`${base}/echo`, { method: "POST", body: JSON.stringify({ x: [1] }), headers: { "content-type": "application/json" } });
    expect([echo.status, await echo.json()]).toEqual([201, { received: { x: [1] } }]);
    const missing = await fetch(`${base}/nope`);
    expect([missing.status, await missing.json()]).toEqual([404, { error: "not found", path: "/nope" }]);
    // An event stream in flight when SIGTERM arrives runs to its end.
    const events = await fetch(`${base}/events`);
    expect(events.headers.get("content-type")).toBe("text/event-stream");
    const reader = events.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("data: 1");
    const t0 = Date.now();
    proc.kill("SIGTERM");
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text.match(/^data: \d+$/gm)).toEqual(["data: 1", "data: 2", "data: 3", "data: 4"]);
    const status = await exited;
    expect(status).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(out).toContain("Received SIGTERM, finishing requests in flight...");
    const report = JSON.parse(/shutdown report: (.*)/.exec(out)![1]) as { signal: string; completed: number; forced: unknown[] };
    expect(report.signal).toBe("SIGTERM");
    expect(report.completed).toBeGreaterThanOrEqual(1);
    expect(report.forced).toEqual([]);
    expect(out).toContain("Server stopped cleanly");
    expect(err).toBe("");
  }, 30_000);
});
