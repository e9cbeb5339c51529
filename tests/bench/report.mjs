// Formats bench results: the console tables and the markdown for the README.

export const LABEL = { tsmongoose: "tsmongoose", "node-http": "node:http", "raw-net": "raw node:net",
  "raw-handle": "raw TCP handle" };

const fmtMs = (ms) => (ms === undefined || Number.isNaN(ms) ? "-" : ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(2)} ms`);
const fmtRps = (n) => Math.round(n).toLocaleString("en-US");
const fmtMB = (b) => (Number.isFinite(b) ? (b / 1024 ** 2).toFixed(1) : "-");
const ratio = (a, b) => (a && b ? a / b : NaN);

/** Rows of [case, server, req/s, p50, p99, MB/s, errors]. */
function throughputRows(results) {
  return results.map((r) => [r.caseTitle, LABEL[r.server], fmtRps(r.rps), fmtMs(r.p50Ms), fmtMs(r.p99Ms),
    fmtMB(r.transferPerSec), String(r.socketErrors + r.non2xx)]);
}

/** Per case: ours against node:http and against the raw ceiling. */
export function ratios(results) {
  const out = [];
  for (const caseId of [...new Set(results.map((r) => r.caseId))]) {
    const get = (s) => results.find((r) => r.caseId === caseId && r.server === s);
    const ours = get("tsmongoose"), node = get("node-http"), raw = get("raw-net"), handle = get("raw-handle");
    out.push({
      caseId, caseTitle: (ours ?? node ?? raw).caseTitle,
      oursVsNodeHttp: ratio(ours?.rps, node?.rps),
      oursVsRaw: ratio(ours?.rps, raw?.rps),
      nodeHttpVsRaw: ratio(node?.rps, raw?.rps),
      oursVsRawHandle: ratio(ours?.rps, handle?.rps),
      p99Ours: ours?.p99Ms, p99NodeHttp: node?.p99Ms,
      cpuOurs: ours?.cpuUsPerReq, cpuRawHandle: handle?.cpuUsPerReq, userOurs: ours?.userUsPerReq, userRawHandle: handle?.userUsPerReq,
    });
  }
  return out;
}

function ratioRows(rs) {
  const x = (v) => (Number.isNaN(v) ? "-" : `${v.toFixed(2)}x`);
  const pc = (v) => (Number.isNaN(v) ? "-" : `${(v * 100).toFixed(0)}%`);
  return rs.map((r) => [r.caseTitle, x(r.oursVsNodeHttp), pc(r.oursVsRaw), pc(r.nodeHttpVsRaw), pc(r.oursVsRawHandle),
    `${fmtMs(r.p99Ours)} vs ${fmtMs(r.p99NodeHttp)}`]);
}

function memoryRows(mem) {
  return mem.map((m) => [LABEL[m.server], String(m.open), `${(m.rssBefore / 1024 ** 2).toFixed(1)} MB`,
    `${(m.rssAfter / 1024 ** 2).toFixed(1)} MB`, `${(m.rssPerConn / 1024).toFixed(1)} KB`,
    `${(m.heapPerConn / 1024).toFixed(1)} KB`]);
}

const TP_HEAD = ["case", "server", "req/s", "p50", "p99", "MB/s read", "errors"];
const RATIO_HEAD = ["case", "ours / node:http", "ours / raw", "node:http / raw", "ours / raw handle",
  "p99 ours vs node:http"];
const MEM_HEAD = ["server", "idle conns", "RSS before", "RSS after", "RSS per conn", "JS heap per conn"];

/** A plain-text table with aligned columns. */
function textTable(head, rows) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

function mdTable(head, rows) {
  return [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** Target verdicts for the hello-world hot path. */
export function targets(rs) {
  const h = rs.find((r) => r.caseId === "hello");
  if (!h || Number.isNaN(h.oursVsNodeHttp) || Number.isNaN(h.oursVsRaw)) return [];
  return [
    { name: ">= 1.5x node:http req/s", value: `${h.oursVsNodeHttp.toFixed(2)}x`, met: h.oursVsNodeHttp >= 1.5 },
    { name: ">= 85% of the raw node:net ceiling", value: `${(h.oursVsRaw * 100).toFixed(0)}%`, met: h.oursVsRaw >= 0.85 },
    { name: "p99 no worse than node:http", value: `${fmtMs(h.p99Ours)} vs ${fmtMs(h.p99NodeHttp)}`, met: h.p99Ours <= h.p99NodeHttp },
    // issue #24: held against the ceiling of the transport we use, not a peer.
    ...(Number.isNaN(h.oursVsRawHandle) ? [] : [{ name: ">= 0.9x the raw TCP-handle ceiling (issue #24)",
      value: `${h.oursVsRawHandle.toFixed(2)}x`, met: h.oursVsRawHandle >= 0.9 }]),
  ];
}

/** The whole report as text (console) or markdown (README). */
export function render(report, markdown) {
  const table = markdown ? mdTable : textTable;
  const m = report.machine;
  const parts = [];
  const machine = `${m.cpu}, ${m.cores} cores, ${m.os}, Node ${m.node}, ${m.wrk}`;
  parts.push(markdown ? `Machine: ${machine}. Date: ${report.date}.` : `Machine: ${machine}\nDate: ${report.date}`);
  const notes = Object.entries(report.notes ?? {}).map(([s, n]) => `${LABEL[s]}: ${n}`);
  notes.push(report.pinned ? "placement: each server on CPU 0, wrk on CPU 1 (taskset)" : "placement: server and wrk share all cores");
  const first = report.results.filter((r) => r.caseId === report.results[0]?.caseId);
  if (first.length) notes.push(`response head bytes (${first[0].caseTitle}): ${first.map((r) => `${LABEL[r.server]} ${r.responseHeadBytes}`).join(", ")}`);
  if (report.roundsNote) notes.push(report.roundsNote);
  if (notes.length) parts.push(notes.map((n) => (markdown ? `- ${n}` : n)).join("\n"));
  const cmds = [...report.commands, ...(report.uploadLua ? ["", "upload.lua:", ...report.uploadLua.trimEnd().split("\n")] : [])];
  parts.push(markdown ? "Load generator (one wrk at a time, each server in its own process):\n\n```\n" +
    cmds.join("\n") + "\n```" : "wrk commands (one at a time):\n  " + cmds.join("\n  "));
  parts.push(table(TP_HEAD, throughputRows(report.results)));
  const rs = ratios(report.results);
  parts.push(table(RATIO_HEAD, ratioRows(rs)));
  if (report.memory.length) {
    parts.push((markdown ? "" : "Memory per idle keep-alive connection:\n") + table(MEM_HEAD, memoryRows(report.memory)));
  }
  const t = targets(rs);
  if (t.length) {
    const lines = t.map((x) => `${markdown ? "- " : "  "}${x.met ? "met" : "NOT met"}: ${x.name} (${x.value})`);
    const h = rs.find((r) => r.caseId === "hello");
    if (h && !Number.isNaN(h.nodeHttpVsRaw)) {
      lines.push(`${markdown ? "- " : "  "}for scale: the raw node:net ceiling is ${(1 / h.nodeHttpVsRaw).toFixed(2)}x node:http on this machine`);
    }
    if (h && h.cpuOurs > 0 && h.cpuRawHandle > 0) {
      lines.push(`${markdown ? "- " : "  "}server CPU per request: ours ${h.cpuOurs.toFixed(2)} us, raw TCP handle ${h.cpuRawHandle.toFixed(2)} us ` +
        `(the ceiling's cost is ${(h.cpuRawHandle / h.cpuOurs).toFixed(2)}x ours: the rate ratio a CPU-bound run would show)` +
        (h.userOurs > 0 && h.userRawHandle > 0 ? `; of it user time ${h.userOurs.toFixed(2)} us vs ${h.userRawHandle.toFixed(2)} us, ` +
          `system time ${(h.cpuOurs - h.userOurs).toFixed(2)} us vs ${(h.cpuRawHandle - h.userRawHandle).toFixed(2)} us (the same read and write; ` +
          `its cost moves with how the load generator's packets interleave)` : ""));
    }
    parts.push("Targets (hello world):\n" + (markdown ? "\n" : "") + lines.join("\n"));
  }
  return parts.join("\n\n") + "\n";
}
