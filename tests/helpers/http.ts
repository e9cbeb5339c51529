// http.ts: small helpers shared by the HTTP suites.
import { createHash } from "node:crypto";
import type { Connection, HttpMessage } from "tsmongoose";

/** Everything a test may want to assert about a request, copied out of the view. */
export interface RequestInfo {
  method: string;
  uri: string;
  query: string;
  proto: string;
  headers: [string, string][];
  bodyLen: number;
  bodySha: string;
  bodyText: string;
}

/** Copy the interesting parts of an HttpMessage (views die with the handler call). */
export function requestInfo(hm: HttpMessage): RequestInfo {
  const body = hm.body;
  return {
    method: hm.method,
    uri: hm.uri,
    query: hm.query,
    proto: hm.proto,
    headers: hm.headers().map(([n, v]) => [n, v] as [string, string]),
    bodyLen: body.length,
    bodySha: sha256(body),
    bodyText: body.length <= 4096 ? hm.bodyText : "",
  };
}

/** Hex SHA-256 of bytes. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Deterministic pseudo-random bytes (all 256 values appear). */
export function patternBytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Read a fetch Response body as server-sent events. */
export async function readSse(res: Response): Promise<{ event: string; data: string }[]> {
  const text = await res.text();
  const out: { event: string; data: string }[] = [];
  for (const block of text.split(/\n\n/)) {
    if (!block.trim()) continue;
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    out.push({ event, data: data.join("\n") });
  }
  return out;
}

/** Type guard helper: the data of MG_EV_HTTP_MSG. */
export function asHttp(data: unknown): HttpMessage {
  return data as HttpMessage;
}

/** Shorthand used by handlers that only care about the connection. */
export type Conn = Connection;
