// lazy-builtins-child.cjs: the process of tests/lazy-builtins.test.ts.
// Loads the package (forked by the test, so it has an IPC channel) (argv[2]: "cjs" or "esm" bundle), serves one HTTP
// request from a raw node:net client (net is loaded anyway), and prints
// one JSON line: which of the watched built-ins it had loaded then, and
// again after a large crc32() and sha256() (which should load zlib and
// crypto), with their results.
"use strict";
const net = require("node:net");
const path = require("node:path");

const WATCHED = ["tls", "_tls_wrap", "cluster", "child_process", "zlib", "crypto", "dgram", "v8", "os", "dns", "fs/promises"];
const loadedNow = () => WATCHED.filter((m) => process.moduleLoadList.includes(`NativeModule ${m}`));
// A forked process's IPC channel has loaded child_process, dgram and v8 already.
const atStart = loadedNow();
const loaded = () => loadedNow().filter((m) => !atStart.includes(m));

function get(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    let text = "";
    s.setEncoding("latin1");
    s.on("data", (d) => { text += d; });
    s.on("end", () => resolve(text));
    s.on("error", reject);
  });
}

async function main() {
  const dist = path.join(__dirname, "..", "..", "dist");
  const t = process.argv[2] === "esm" ? await import(path.join(dist, "index.mjs")) : require(path.join(dist, "index.cjs"));
  await t.init();
  const mgr = new t.Manager((c, ev) => { if (ev === t.MG_EV_HTTP_MSG) c.reply(200, "ok"); });
  const listener = mgr.listen("http://127.0.0.1:0");
  mgr.setAutoDrive(true, { tickMs: 50 });
  const reply = await get(listener.localAddr.port);
  const served = loaded();
  const big = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
  const crc = t.crc32(big);
  const sha = Buffer.from(t.sha256(big)).toString("hex");
  mgr.close();
  console.log(JSON.stringify({ reply: reply.startsWith("HTTP/1.1 200") && reply.endsWith("ok"), served, after: loaded(), crc, sha }));
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
