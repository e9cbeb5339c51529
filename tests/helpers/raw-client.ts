// raw-client.ts: a byte-level HTTP/1.x client over node:net for the cases
// real clients refuse to produce (pipelining, malformed input, 100-continue
// timing) and a parser for the responses it reads back.
import * as net from "node:net";

/** One parsed response. */
export interface RawResponse {
  proto: string;
  status: number;
  reason: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Raw header lines in order, as [name, value]. */
  headerList: [string, string][];
  body: Buffer;
  /** True when the body was sent with Transfer-Encoding: chunked. */
  chunked: boolean;
}

/** Result of parsing a byte stream of responses. */
export interface ParseResult {
  responses: RawResponse[];
  /** Bytes after the last complete response. */
  rest: Buffer;
}

/**
 * Parse consecutive HTTP/1.x responses from `buf`. `noBody[i]` marks
 * responses to HEAD requests (headers only). 1xx responses are returned too.
 * A response without length that runs to EOF is completed only when `eof`.
 */
export function parseResponses(buf: Buffer, noBody: boolean[] = [], eof = false): ParseResult {
  const responses: RawResponse[] = [];
  let pos = 0;
  let finalIndex = 0; // index among non-1xx responses (for noBody)
  for (;;) {
    const headEnd = buf.indexOf("\r\n\r\n", pos);
    if (headEnd < 0) break;
    const lines = buf.subarray(pos, headEnd).toString("latin1").split("\r\n");
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string> = {};
    const headerList: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      if (i <= 0) throw new Error(`bad header line: ${JSON.stringify(line)}`);
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      headerList.push([name, value]);
      const k = name.toLowerCase();
      headers[k] = k in headers ? `${headers[k]}, ${value}` : value;
    }
    const status = Number(m[2]);
    let p = headEnd + 4;
    const res: RawResponse = { proto: m[1], status, reason: m[3] ?? "", headers, headerList, body: Buffer.alloc(0), chunked: false };
    if (status >= 100 && status < 200) {
      responses.push(res);
      pos = p;
      continue;
    }
    const headOnly = noBody[finalIndex] === true || status === 204 || status === 304;
    if (!headOnly && /chunked/i.test(headers["transfer-encoding"] ?? "")) {
      const parts: Buffer[] = [];
      let done = false;
      for (;;) {
        const le = buf.indexOf("\r\n", p);
        if (le < 0) break;
        const size = parseInt(buf.subarray(p, le).toString("latin1").split(";")[0], 16);
        if (Number.isNaN(size)) throw new Error("bad chunk size");
        if (size === 0) {
          // Skip trailers up to the empty line.
          const te = buf.indexOf("\r\n\r\n", le);
          if (te >= 0 && te === le) { p = le + 4; done = true; }
          else if (te >= 0) { p = te + 4; done = true; }
          break;
        }
        if (buf.length < le + 2 + size + 2) break;
        parts.push(buf.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
      }
      if (!done) break;
      res.body = Buffer.concat(parts);
      res.chunked = true;
    } else if (!headOnly && headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (buf.length < p + n) break;
      res.body = buf.subarray(p, p + n);
      p += n;
    } else if (!headOnly) {
      // Body until EOF.
      if (!eof) break;
      res.body = buf.subarray(p);
      p = buf.length;
    }
    responses.push(res);
    finalIndex++;
    pos = p;
  }
  return { responses, rest: buf.subarray(pos) };
}

/** A raw TCP client that records everything it receives. */
export class RawClient {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private total = 0;
  private waiters = new Set<() => void>();
  /** True once the peer ended or the socket closed. */
  ended = false;
  closed = false;
  /** First socket error (ECONNRESET, EPIPE...), if any. */
  error: Error | undefined;
  /** Time (Date.now()) when the first byte arrived. */
  firstByteAt = 0;
  /** Local port of the client socket (the server's remoteAddr.port), kept after close. */
  readonly localPort: number;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.localPort = socket.localPort ?? 0;
    socket.on("data", (d: Buffer) => {
      if (!this.firstByteAt) this.firstByteAt = Date.now();
      this.chunks.push(d);
      this.total += d.length;
      this.wake();
    });
    socket.on("end", () => { this.ended = true; this.wake(); });
    socket.on("close", () => { this.closed = true; this.ended = true; this.wake(); });
    socket.on("error", (e) => { this.error ??= e; this.wake(); });
  }

  /** Connect to host:port (127.0.0.1 by default). */
  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host });
      s.once("connect", () => { s.off("error", reject); resolve(new RawClient(s)); });
      s.once("error", reject);
    });
  }

  /** Everything received so far. */
  get data(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Number of bytes received so far. */
  get received(): number { return this.total; }

  /** Write bytes; ignores EPIPE-style failures (recorded in `error`). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) { resolve(); return; }
      this.socket.write(data, () => resolve());
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Wait until `cond()` holds (checked on every arrival/end); rejects after timeoutMs. */
  waitUntil(cond: () => boolean, timeoutMs = 5000, what = "data"): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (cond()) { done(); resolve(); }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`RawClient: timed out after ${timeoutMs} ms waiting for ${what}; got ${this.total} bytes` +
          ` (ended=${this.ended}): ${JSON.stringify(this.data.subarray(0, 300).toString("latin1"))}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
    });
  }

  /** Wait until the peer closes (EOF or reset). */
  waitEnd(timeoutMs = 5000): Promise<void> {
    return this.waitUntil(() => this.ended, timeoutMs, "end of stream");
  }

  /** Wait until `n` final (non-1xx) responses were parsed; returns all parsed responses. */
  async responses(n: number, opts: { noBody?: boolean[]; timeoutMs?: number } = {}): Promise<RawResponse[]> {
    const count = () => {
      const r = parseResponses(this.data, opts.noBody, this.ended).responses;
      return r.filter((x) => x.status >= 200).length;
    };
    await this.waitUntil(() => count() >= n || this.ended, opts.timeoutMs ?? 5000, `${n} responses`);
    const all = parseResponses(this.data, opts.noBody, this.ended).responses;
    if (all.filter((x) => x.status >= 200).length < n) {
      throw new Error(`connection ended after ${all.length} responses, wanted ${n}: ` +
        JSON.stringify(this.data.subarray(0, 400).toString("latin1")));
    }
    return all;
  }

  /** Final (non-1xx) responses only. */
  async finalResponses(n: number, opts: { noBody?: boolean[]; timeoutMs?: number } = {}): Promise<RawResponse[]> {
    return (await this.responses(n, opts)).filter((r) => r.status >= 200);
  }

  /** Destroy the socket. */
  destroy(): void { this.socket.destroy(); }
}

/** Open a raw connection, send `request`, read `n` responses, close. */
export async function rawRequest(port: number, request: string | Buffer, n = 1, host = "127.0.0.1"): Promise<RawResponse[]> {
  const c = await RawClient.connect(port, host);
  try {
    await c.write(request);
    return await c.finalResponses(n);
  } finally {
    c.destroy();
  }
}

/** A minimal GET request head. */
export function getReq(path: string, extra = "", proto = "HTTP/1.1"): string {
  return `GET ${path} ${proto}\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
}
