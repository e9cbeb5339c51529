// ws-chat-example.test.ts: examples/ws-chat.ts (built to
// build/examples/ws-chat.mjs) runs as its own process: it serves its page,
// broadcasts every message to every WebSocket client (the `ws` package),
// and on SIGINT closes each of them with 1001 and exits 0.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";

const SCRIPT = join(__dirname, "..", "build", "examples", "ws-chat.mjs");
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > end) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

test("serves the page, broadcasts to every client, closes them with 1001 on SIGINT, exits 0", async () => {
  expect(existsSync(SCRIPT)).toBe(true);
  child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
  await until(() => out.includes("Press Ctrl+C to stop"), 10_000, `start-up; output: ${out}`);
  const port = Number(/Server running on http:\/\/[^\s]+:(\d+)/.exec(out)![1]);

  const page = await fetch(`http://127.0.0.1:${port}/`);
  expect(page.headers.get("content-type")).toMatch(/text\/html/);
  expect(await page.text()).toContain('new WebSocket("ws://" + location.host + "/websocket")');

  const got: string[][] = [[], [], []];
  const closes: number[] = [];
  const clients: WebSocket[] = [];
  for (let i = 0; i < 3; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/websocket`);
    ws.on("message", (d) => got[i].push(d.toString()));
    ws.on("close", (code) => closes.push(code));
    await new Promise((r, j) => { ws.once("open", r); ws.once("error", j); });
    clients.push(ws);
  }
  await until(() => got[0].length === 3, 5000, "join notices");
  expect(got[0][2]).toMatch(/^\* user\d+ joined \(3 here\)$/);
  clients[1].send("hello, all");
  await until(() => got.every((g) => g.some((m) => m.endsWith(": hello, all"))), 5000, "the broadcast");
  clients[2].close();
  await until(() => got[0].some((m) => / left$/.test(m)), 5000, "the leave notice");

  child.kill("SIGINT");
  expect(await exited).toBe(0);
  await until(() => closes.length === 3, 5000, "client closes");
  expect(closes.sort()).toEqual([1001, 1001, 1005]);
  expect(out).toContain("closing 2 WebSocket(s) with 1001");
  expect(out).toMatch(/shutdown report: .*"drained":2/);
  expect(out).toContain("Chat stopped");
});
