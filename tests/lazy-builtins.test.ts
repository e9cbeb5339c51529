// lazy-builtins.test.ts: what an idle server carries (issue 24, "Memory
// under storms"). Importing the package and serving HTTP loads none of the
// Node built-ins a plain HTTP server does not use (node:tls ~3 MB of RSS,
// node:cluster and child_process ~2 MB, node:zlib ~1.4 MB, crypto, dgram,
// v8, os, dns, fs/promises); shim/builtins.ts loads each on first use. Checked in a child
// process (the test process has loaded them all), forked with an IPC
// channel like a cluster worker but not one, for both bundles, from
// process.moduleLoadList: what got loaded, not RSS. TLS, cluster and
// permessage-deflate still working is the job of their own suites.
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as zlib from "node:zlib";

interface Report { reply: boolean; served: string[]; after: string[]; crc: number; sha: string }

/** Run the child with `format`'s bundle; forked, so it has an IPC channel as a cluster worker would. */
function run(format: "cjs" | "esm"): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, "helpers", "lazy-builtins-child.cjs"), [format], { silent: true });
    let stdout = "", stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
    const t = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(t);
      if (code !== 0) return reject(new Error(`child (${format}) exited with ${code}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Report);
    });
  });
}

const big = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);

/** CRC-32 (IEEE) bit by bit: the reference the platform's result is held to. */
function crc32Ref(d: Uint8Array): number {
  let c = ~0;
  for (const b of d) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

test.each(["cjs", "esm"] as const)("%s bundle: serving HTTP loads no tls, cluster, zlib, crypto, dgram, v8, os, dns, fs/promises; a large crc32/sha256 loads zlib/crypto", async (format) => {
  const r = await run(format);
  expect(r.reply).toBe(true);
  expect(r.served).toEqual([]);
  // The first large input goes to the platform: zlib.crc32 where Node has it (20.15+), always crypto.
  const zlibCrc = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  expect(r.after).toEqual(expect.arrayContaining(zlibCrc ? ["crypto", "zlib"] : ["crypto"]));
  expect(r.after).not.toContain("tls");
  expect(r.after).not.toContain("cluster");
  expect(r.crc).toBe(crc32Ref(big));
  expect(r.sha).toBe(createHash("sha256").update(big).digest("hex"));
});
