// fetch-url.ts: the absolute URL of a request for fetch handlers
// (ts/fetch.ts), spelled as `new Request(url).url` would spell it, built
// without a URL parse for the common plain request-target, and the
// lightweight Request made from the core's message.
import { FetchRequest, RequestError, findHeader, normalizeMethod } from "./fetch-request";
import type { Connection } from "../core/connection";
import type { HttpMessage } from "../http/http-message";

// A request-target used verbatim in the URL: what WHATWG URL parsing leaves
// unchanged (no dot segments, nothing it would percent-encode).
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?]|$)/;
/** A Host header value a URL can be made of. */
export const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::\d{0,5})?$/;

/** Host header -> its URL form (lower case, default port dropped), cached: a server sees few hosts. */
const hostCache = new Map<string, string>();

function normalHost(scheme: string, host: string): string {
  const key = scheme === "https" ? "s" + host : host;
  let v = hostCache.get(key);
  if (v !== undefined) return v;
  if (!HOST.test(host)) throw new RequestError(`invalid Host header ${JSON.stringify(host)}`);
  let u: URL;
  try {
    u = new URL(`${scheme}://${host}/`);
  } catch {
    throw new RequestError(`invalid Host header ${JSON.stringify(host)}`);
  }
  v = u.host;
  if (hostCache.size >= 256) hostCache.clear();
  hostCache.set(key, v);
  return v;
}

/** The request's absolute URL from its target and Host, as `new Request(url).url` would spell it. */
function requestUrl(scheme: string, target: string, host: string): string {
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    if (target === "*") return `${scheme}://${normalHost(scheme, host)}/`;
    try {
      const u = new URL(target); // absolute-form (proxies): the target names the host
      if (u.protocol === "http:" || u.protocol === "https:") return u.href;
    } catch {
      // fall through
    }
    throw new RequestError(`unsupported request target ${JSON.stringify(target.slice(0, 80))}`);
  }
  const url = `${scheme}://${normalHost(scheme, host)}${target}`;
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) return url;
  try {
    return new URL(url).href;
  } catch {
    throw new RequestError(`invalid request target ${JSON.stringify(target.slice(0, 80))}`);
  }
}

/** The listener's address as a Host value (for requests without one). */
function localHost(conn: Connection): string {
  const a = conn.localAddr;
  if (!a.address) return "localhost";
  const h = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return a.port ? `${h}:${a.port}` : h;
}

/** Build the lightweight Request while `hm` is valid. Throws RequestError for a head no URL can be made of. */
export function newRequest(conn: Connection, hm: HttpMessage, hostname: string | undefined): FetchRequest {
  const head = hm.head;
  const method = normalizeMethod(hm.method);
  let eol = head.indexOf("\r\n");
  if (eol < 0) eol = head.length;
  const sp1 = head.indexOf(" ");
  const sp2 = head.lastIndexOf(" ", eol);
  const target = head.slice(sp1 + 1, sp2 > sp1 ? sp2 : eol);
  const from = eol + 2;
  const host = findHeader(head, from, "host") || hostname || localHost(conn);
  const url = requestUrl(conn.isTls ? "https" : "http", target, host);
  const body = method === "GET" || method === "HEAD" ? null : hm.body;
  return new FetchRequest(method, url, head, from, body);
}
