// ws-deflate.mjs: permessage-deflate, tsmongoose vs the `ws` npm package,
// both ways, side by side in one run: round trips per second of a
// compressible 16 KiB JSON-like text message over 10 connections (one
// message in flight each).
//   server side: a `ws` client with compression (this process) against the
//     tsmongoose server (wsUpgrade(..., { deflate: true })) and the `ws`
//     server (perMessageDeflate: true), each a child process;
//   client side: the tsmongoose client (wsConnect offers by default) and a
//     `ws` client against one `ws` server with compression.
// No thresholds: it prints the rates and their ratios. Run alone
// (`node tests/bench/ws-deflate.mjs`) or from ws.mjs (BENCH_WS_SIZES
// includes "deflate", the default). BENCH_DURATION / BENCH_ROUNDS as ws.mjs.
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { init, Manager, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_TEXT } from "tsmongoose";

const here = dirname(fileURLToPath(import.meta.url));
const CONNS = 10;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

/** A 16 KiB message that compresses the way logs and JSON do (about 5-10x). */
function message(seed) {
  const rows = [];
  for (let i = 0; rows.join(",").length < 16 * 1024; i++) {
    rows.push(JSON.stringify({ id: seed * 1000 + i, user: `user${(i * 7919) % 113}`, status: i % 3 ? "ok" : "retry", ms: (i * 37) % 250 }));
  }
  return `[${rows.join(",")}]`.slice(0, 16 * 1024);
}

function server(file) {
  const child = fork(join(here, "servers", file), [], { env: { ...process.env, WS_DEFLATE: "1" }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file}: not ready within 20 s`)), 20_000);
    child.on("message", (m) => {
      if (m?.type !== "ready") return;
      clearTimeout(timer);
      resolve({ port: m.port, stop: () => new Promise((r) => { child.once("exit", r); child.send({ type: "stop" }); }) });
    });
  });
}

/** `ws` clients with compression: round trips per second against `port`. */
async function wsClients(port, ms) {
  const socks = await Promise.all(Array.from({ length: CONNS }, () => new Promise((resolve, reject) => {
    const s = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    s.once("open", () => resolve(s));
    s.once("error", reject);
  })));
  let count = 0, stop = false;
  const t0 = performance.now();
  await Promise.all(socks.map((s, k) => new Promise((resolve) => {
    let i = 0;
    s.on("message", () => {
      count++;
      if (stop) return resolve();
      s.send(message(k + (i++ % 4)));
    });
    s.send(message(k));
  })).concat([new Promise((r) => setTimeout(() => { stop = true; r(); }, ms))]));
  const secs = (performance.now() - t0) / 1000;
  for (const s of socks) s.terminate();
  return count / secs;
}

/** tsmongoose clients (permessage-deflate offered by default): round trips per second. */
async function ourClients(port, ms) {
  await init();
  let count = 0, stop = false, open = 0;
  const mgr = new Manager((conn, ev, data) => {
    if (ev === MG_EV_WS_OPEN) { open++; conn.wsSend(message(conn.id % 7), WEBSOCKET_OP_TEXT); }
    if (ev === MG_EV_WS_MSG && !stop) { count++; void data; conn.wsSend(message(count % 4), WEBSOCKET_OP_TEXT); }
  });
  const running = mgr.run({ signals: [] });
  for (let i = 0; i < CONNS; i++) mgr.wsConnect(`ws://127.0.0.1:${port}/`);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  stop = true;
  const secs = (performance.now() - t0) / 1000;
  mgr.close();
  await running.catch(() => undefined);
  if (open !== CONNS) throw new Error(`tsmongoose client: ${open} of ${CONNS} connections opened`);
  return count / secs;
}

export async function wsDeflateBench(opts = {}) {
  const ms = (opts.durationS ?? Number(process.env.BENCH_DURATION || 10)) * 1000;
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS || 3);
  const rows = { ourServer: [], wsServer: [], ourClient: [], wsClient: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [key, file] of [["ourServer", "ws-tsmongoose.mjs"], ["wsServer", "ws-ws.mjs"]]) {
      const s = await server(file);
      try { rows[key].push(await wsClients(s.port, ms)); } finally { await s.stop(); }
    }
    const s = await server("ws-ws.mjs");
    try {
      rows.ourClient.push(await ourClients(s.port, ms));
      rows.wsClient.push(await wsClients(s.port, ms));
    } finally { await s.stop(); }
    console.log(`  deflate round ${r + 1}: servers ${rows.ourServer.at(-1).toFixed(0)} / ${rows.wsServer.at(-1).toFixed(0)}, clients ${rows.ourClient.at(-1).toFixed(0)} / ${rows.wsClient.at(-1).toFixed(0)} rt/s (tsmongoose / ws)`);
  }
  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]));
  const lines = ["", `| permessage-deflate, 16 KiB JSON text, ${CONNS} connections | tsmongoose rt/s | ws rt/s | ratio |`, "|---|---:|---:|---:|",
    `| server (ws clients compress) | ${m.ourServer.toFixed(0)} | ${m.wsServer.toFixed(0)} | ${(m.ourServer / m.wsServer).toFixed(2)}x |`,
    `| client (against a ws server) | ${m.ourClient.toFixed(0)} | ${m.wsClient.toFixed(0)} | ${(m.ourClient / m.wsClient).toFixed(2)}x |`];
  console.log(lines.join("\n"));
  return { rounds, durationS: ms / 1000, ...m, table: lines.join("\n") };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await wsDeflateBench();
}
