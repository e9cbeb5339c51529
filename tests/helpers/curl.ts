// curl.ts: run the real curl binary against a test server.
//
// curl runs asynchronously (execFile, never execFileSync): the server under
// test lives in this same process and must keep polling while curl talks
// to it. curl is installed by the set-up (scripts/tools.sh), never here.
import { execFile } from "node:child_process";
import { requireTool } from "./tools";

/** Fail at once, naming the set-up step, when curl is missing. */
export function ensureCurl(): void {
  requireTool("curl");
}

/** What a curl run produced. */
export interface CurlResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** Run curl with `args` (add `-s` yourself); resolves even when curl fails. */
export function curl(args: string[], timeoutMs = 15_000): Promise<CurlResult> {
  ensureCurl();
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile("curl", ["--max-time", String(Math.ceil(timeoutMs / 1000)), ...args],
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs + 2000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: stdout as Buffer, stderr: (stderr as Buffer).toString(), ms: Date.now() - t0 });
      });
  });
}

/** One response block of `curl -i` output. */
export interface CurlResponse {
  status: number;
  proto: string;
  headers: Record<string, string>;
}

/**
 * Split `curl -i` output into its header blocks (a 100 Continue block comes
 * first when the server sent one) and the body of the final response.
 */
export function parseCurlI(out: Buffer): { blocks: CurlResponse[]; final: CurlResponse; body: Buffer } {
  const blocks: CurlResponse[] = [];
  let pos = 0;
  for (;;) {
    const end = out.indexOf("\r\n\r\n", pos);
    if (end < 0) throw new Error(`curl output has no header block: ${JSON.stringify(out.subarray(pos, pos + 200).toString())}`);
    const lines = out.subarray(pos, end).toString("latin1").split("\r\n");
    const m = /^(HTTP\/[\d.]+) (\d{3})/.exec(lines[0]);
    if (!m) throw new Error(`bad status line from curl: ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const block = { status: Number(m[2]), proto: m[1], headers };
    blocks.push(block);
    pos = end + 4;
    if (block.status >= 200) break;
  }
  return { blocks, final: blocks[blocks.length - 1], body: out.subarray(pos) };
}
