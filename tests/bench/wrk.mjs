// Runs wrk and parses its report (with --latency) into numbers.
import { spawn } from "node:child_process";

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "812.00us" -> 0.812 (milliseconds). */
export function parseDuration(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: unparsable duration '${text}'`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** "1.23MB" -> bytes. */
function parseSize(text) {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  return m ? Number(m[1]) * SIZE[m[2]] : NaN;
}

/** Parses wrk's stdout into { rps, requests, p50Ms, p75Ms, p90Ms, p99Ms, ... }. */
export function parseWrk(out) {
  const num = (re) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`wrk: no Requests/sec line in output:\n${out}`);
  const pct = {};
  for (const m of out.matchAll(/^\s+(50|75|90|99)%\s+(\S+)/gm)) pct[m[1]] = parseDuration(m[2]);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const transfer = /Transfer\/sec:\s+(\S+)/.exec(out);
  return {
    rps: Number(rps[1]),
    requests: num(/(\d+) requests in/),
    p50Ms: pct["50"], p75Ms: pct["75"], p90Ms: pct["90"], p99Ms: pct["99"],
    socketErrors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    socketErrorDetail: errors ? errors[0] : "",
    non2xx: num(/Non-2xx or 3xx responses:\s+(\d+)/),
    transferPerSec: transfer ? parseSize(transfer[1]) : NaN,
  };
}

/** The wrk argument list for one run. */
export function wrkArgs({ threads, connections, durationS, url, script }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, "--latency"];
  if (script) args.push("-s", script);
  args.push(url);
  return args;
}

/** Runs wrk to completion (on CPU 1 when `pin`); resolves with its stdout. `onStart(pid)`: told wrk's pid. */
export function runWrk(args, timeoutMs, pin, onStart) {
  return new Promise((resolve, reject) => {
    const child = pin
      ? spawn("taskset", ["-c", "1", "wrk", ...args], { stdio: ["ignore", "pipe", "pipe"] })
      : spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    if (onStart && child.pid) onStart(child.pid); // taskset execs wrk: the same pid
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`wrk ${args.join(" ")} exited ${code}: ${err || out}`));
    });
  });
}
