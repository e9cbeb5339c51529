// hello-cpu.mjs: CPU per hello-world request of the core and the facade
// alone, without sockets or the kernel (whose write() is most of a request's
// cost in the wrk benches and whose noise hides small gains).
//
// A synchronous in-process Network: 50 accepted connections, each fed one
// keep-alive GET at a time; send() takes every byte. Reports µs of process
// CPU per request, per build, in alternating rounds.
//
//   node tests/bench/hello-cpu.mjs                    this checkout's dist/
//   node tests/bench/hello-cpu.mjs old/dist dist      two builds side by side
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const CONNS = 50;
const PER_ROUND = Number(process.env.HELLO_REQUESTS ?? 200_000);
const ROUNDS = Number(process.env.HELLO_ROUNDS ?? 5);
const REQ = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n");
const HELLO = "Hello, world!";

async function setup(dist) {
  const m = await import(pathToFileURL(resolve(dist, "index.mjs")).href);
  await m.init();
  let events = null, listenerId = 0, sent = 0;
  const network = {
    name: "bench",
    listen(id, ep, ev) { events = ev; listenerId = id; return { host: "127.0.0.1", port: 1 }; },
    adopt() {},
    connect() { throw new Error("not used"); },
    send(id, data) { sent += data.length; return data.length; },
    pause() {},
    close() {},
    localAddr() { return { host: "127.0.0.1", port: 1 }; },
    remoteAddr(id) { return { host: "127.0.0.1", port: 10000 + id }; },
  };
  const mgr = new m.Manager((conn, ev, hm) => {
    if (ev === m.MG_EV_HTTP_MSG) conn.reply(200, hm.uri === "/" ? HELLO : "?");
  }, { network });
  mgr.setAutoDrive(true); // activity is handled as it arrives, like the servers' run()
  mgr.listen("http://127.0.0.1:1");
  const ids = [];
  for (let i = 0; i < CONNS; i++) ids.push(events.accepted(listenerId, {}));
  const run = (n) => {
    const before = sent;
    for (let i = 0; i < n; i++) events.data(ids[i % CONNS], REQ);
    return sent - before;
  };
  if (run(CONNS) < CONNS * 40) throw new Error(`${dist}: no replies (is the output flushed synchronously?)`);
  return { run, close: () => { mgr.setAutoDrive(false); mgr.close(); } };
}

const dists = process.argv.length > 2 ? process.argv.slice(2) : [new URL("../../dist", import.meta.url).pathname];
const builds = [];
for (const d of dists) builds.push({ dist: d, us: [], ...(await setup(d)) });
for (const b of builds) b.run(PER_ROUND / 4); // warm-up: the JIT settles
for (let r = 0; r < ROUNDS; r++) {
  for (const b of builds) {
    const t0 = process.cpuUsage();
    b.run(PER_ROUND);
    const t = process.cpuUsage(t0);
    b.us.push((t.user + t.system) / PER_ROUND);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const b of builds) {
  console.log(`${b.dist}: median ${median(b.us).toFixed(3)}, best ${Math.min(...b.us).toFixed(3)} µs CPU/request (rounds: ${b.us.map((x) => x.toFixed(3)).join(" ")})`);
  b.close();
}
if (builds.length === 2) {
  const ratio = (f) => (f(builds[1].us) / f(builds[0].us)).toFixed(3);
  console.log(`second/first: median ${ratio(median)}, best ${ratio((a) => Math.min(...a))}`);
}
