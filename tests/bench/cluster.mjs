// cluster.mjs: the "cluster" bench case. Hello-world requests/s through
// node:cluster with 1 and 2 workers, tsmongoose (examples/cluster.ts, i.e.
// runCluster + Manager) beside node:http + node:cluster, in one run. wrk
// shares the cores with the workers here (pinning cannot separate them on a
// 2-core machine): the ratios are what to read, not the absolute numbers.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Agent, request } from "undici";
import { parseWrk, runWrk, wrkArgs } from "./wrk.mjs";

const SERVERS = {
  tsmongoose: (root) => join(root, "build", "examples", "cluster.mjs"),
  "node:http": (_root, here) => join(here, "servers", "node-http-cluster.mjs"),
};

/**
 * Start a cluster primary with `workers`; resolves { port, stop(), reload() }
 * once every worker listens (reload(): SIGHUP, resolves once every old
 * worker has exited).
 */
function startFleet(script, workers) {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: "0", WORKERS: String(workers) }, stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${script}: workers not up in 20 s:\n${out}`)); }, 20_000);
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const ports = [...out.matchAll(/listening on http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      if (ports.length < workers) return;
      clearTimeout(timer);
      resolve({
        port: ports[0],
        reload: () => new Promise((done, fail) => {
          const pids = [...out.matchAll(/worker (\d+) listening/g)].map((m) => Number(m[1]));
          child.kill("SIGHUP");
          const deadline = Date.now() + 30_000;
          const check = setInterval(() => {
            const alive = pids.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
            if (alive.length === 0) { clearInterval(check); done(); }
            else if (Date.now() > deadline) { clearInterval(check); fail(new Error(`old workers ${alive} still alive 30 s after SIGHUP`)); }
          }, 20);
        }),
        stop: () => new Promise((done) => {
          const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
          child.once("exit", () => { clearTimeout(kill); done(); });
          child.kill("SIGTERM");
        }),
      });
    });
  });
}

/**
 * Failed requests of a pooled keep-alive load (undici, 16 connections)
 * across one SIGHUP reload of the fleet: load for 1 s, reload, load until
 * 3 s after the last old worker exited.
 */
async function reloadFailures(script) {
  const fleet = await startFleet(script, 2);
  const agent = new Agent({ connections: 16 });
  const tally = { ok: 0, failed: 0, kinds: {} };
  let stop = false;
  const loop = async () => {
    while (!stop) {
      try {
        const res = await request(`http://127.0.0.1:${fleet.port}/`, { dispatcher: agent });
        await res.body.text();
        if (res.statusCode === 200) tally.ok++;
        else { tally.failed++; tally.kinds[res.statusCode] = (tally.kinds[res.statusCode] ?? 0) + 1; }
      } catch (err) {
        tally.failed++;
        const k = err.code ?? err.message;
        tally.kinds[k] = (tally.kinds[k] ?? 0) + 1;
      }
    }
  };
  const loops = Array.from({ length: 16 }, loop);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    await fleet.reload();
    await new Promise((r) => setTimeout(r, 3000));
  } finally {
    stop = true;
    await Promise.all(loops);
    await agent.close();
    await fleet.stop();
  }
  return tally;
}

/** Runs the case; returns rows { server, workers, rps, p99Ms } and prints a table. */
export async function benchCluster({ root, here, durationS, warmupS, rounds }) {
  const rows = [];
  console.log("cluster: hello world through node:cluster, 1 and 2 workers (wrk -t2 -c50 shares the cores):");
  for (const workers of [1, 2]) {
    for (const [server, scriptOf] of Object.entries(SERVERS)) {
      const runs = [];
      for (let r = 0; r < rounds; r++) {
        const fleet = await startFleet(scriptOf(root, here), workers);
        try {
          const base = { threads: 2, connections: 50, url: `http://127.0.0.1:${fleet.port}/` };
          await runWrk(wrkArgs({ ...base, durationS: warmupS }), (warmupS + 30) * 1000, false);
          runs.push(parseWrk(await runWrk(wrkArgs({ ...base, durationS }), (durationS + 30) * 1000, false)));
        } finally {
          await fleet.stop();
        }
      }
      runs.sort((a, b) => a.rps - b.rps);
      const med = runs[Math.floor(runs.length / 2)];
      rows.push({ server, workers, rps: med.rps, p99Ms: med.p99Ms, errors: runs.reduce((n, x) => n + x.socketErrors + x.non2xx, 0) });
      console.log(`  ${server.padEnd(11)} ${workers} worker(s): ${Math.round(med.rps)} req/s, p99 ${med.p99Ms?.toFixed(2)} ms`);
    }
  }
  const get = (s, w) => rows.find((r) => r.server === s && r.workers === w)?.rps ?? NaN;
  console.log("\n| workers | tsmongoose req/s | node:http + cluster req/s | ratio |\n|---|---|---|---|");
  for (const w of [1, 2]) {
    console.log(`| ${w} | ${Math.round(get("tsmongoose", w))} | ${Math.round(get("node:http", w))} | ${(get("tsmongoose", w) / get("node:http", w)).toFixed(2)}x |`);
  }
  console.log(`scaling 1 -> 2 workers: tsmongoose ${(get("tsmongoose", 2) / get("tsmongoose", 1)).toFixed(2)}x, ` +
    `node:http ${(get("node:http", 2) / get("node:http", 1)).toFixed(2)}x\n`);
  console.log("reload (SIGHUP) of 2 workers under a pooled keep-alive load (undici, 16 connections):");
  const reloads = {};
  for (const [server, scriptOf] of Object.entries(SERVERS)) {
    const t = await reloadFailures(scriptOf(root, here));
    reloads[server] = t;
    console.log(`  ${server.padEnd(11)} ${t.ok} ok, ${t.failed} failed ${t.failed ? JSON.stringify(t.kinds) : ""}`);
  }
  console.log("");
  return { rows, reloads };
}
