// url.ts: listen/connect URLs -> the Endpoint a Network understands.
import { InvalidUrlError, TypeError } from "./errors"; // Node's argument-error codes (errors.ts)
import type { Endpoint } from "../../shim/network";
import { protocols } from "./protocols";

/** Schemes the facade serves today. */
const SUPPORTED = new Set(["http", "tcp", "mem", "udp"]);
/** Schemes the API reserves; they arrive with their issue. */
const RESERVED = new Set(["https", "ws", "wss", "mqtt", "mqtts", "tls", "ssl"]);
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, mqtt: 1883, mqtts: 8883 };

/**
 * Parse "http://127.0.0.1:0", "tcp://[::1]:9000", "mem://name"... A URL that
 * does not parse, lacks a host or a needed port, or uses another scheme
 * throws a TypeError naming it. http defaults to port 80; tcp needs a port
 * (0 = any free port).
 */
export function parseEndpoint(url: string): Endpoint {
  if (typeof url !== "string") throw new TypeError(`url must be a string, got ${typeof url}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidUrlError(url, `invalid URL ${JSON.stringify(url)}`);
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  // A TLS scheme (https, wss, mqtts, tls, ssl) is TLS over TCP: the core
  // speaks the protocol on the plaintext, whichever module drives it.
  const ok = SUPPORTED.has(scheme) || isTlsScheme(scheme);
  if (!ok && RESERVED.has(scheme)) throw new InvalidUrlError(url, `${scheme}:// is not supported yet (url ${JSON.stringify(url)})`);
  if (!ok) throw new InvalidUrlError(url, `unsupported URL scheme ${JSON.stringify(scheme)} in ${JSON.stringify(url)}`);
  let host = u.hostname;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (scheme === "mem") {
    // mem://name: the name may carry no port; keep it verbatim.
    if (!host) throw new InvalidUrlError(url, `mem:// URL needs a name: ${JSON.stringify(url)}`);
    let name: string;
    try {
      name = decodeURIComponent(host);
    } catch {
      throw new InvalidUrlError(url, `bad mem:// name in ${JSON.stringify(url)}`);
    }
    return { scheme, host: name, port: u.port ? Number(u.port) : 0 };
  }
  if (!host) throw new InvalidUrlError(url, `URL has no host: ${JSON.stringify(url)}`);
  let port: number;
  if (u.port !== "") port = Number(u.port);
  else if (scheme in DEFAULT_PORTS) port = DEFAULT_PORTS[scheme];
  else throw new InvalidUrlError(url, `${scheme}:// URL needs a port (0 = any free port): ${JSON.stringify(url)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidUrlError(url, `bad port in ${JSON.stringify(url)}`);
  return { scheme, host, port };
}

/** Whether a scheme speaks HTTP unless the caller says otherwise. */
export function defaultHttp(scheme: string): boolean {
  return scheme === "http" || scheme === "https" || scheme === "ws" || scheme === "wss";
}

/** A TLS scheme, when TLS is loaded (tls/register.ts); without it no TLS URL parses. */
function isTlsScheme(scheme: string): boolean {
  return protocols.tls !== undefined && protocols.tls.isTlsScheme(scheme);
}
