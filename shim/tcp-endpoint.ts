// tcp-endpoint.ts: what both Node networks check of a TCP endpoint.
import { TypeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { isIP } from "node:net";
import type { Endpoint } from "./network";

/** Schemes carried over TCP (a TLS one like https:// is TLS over TCP: node-tls.ts). */
const TCP_SCHEMES = new Set(["http", "tcp", "https", "tls", "ssl", "wss", "mqtts"]);

/** Whether `scheme` is a TCP one, or its TLS form ("wss" for "ws"). */
function isTcpScheme(scheme: string): boolean {
  return TCP_SCHEMES.has(scheme) || (scheme.endsWith("s") && TCP_SCHEMES.has(scheme.slice(0, -1)));
}

/** The endpoint as a URL string, for error messages. */
export function endpointUrl(ep: Endpoint): string {
  return `${ep.scheme}://${ep.host.includes(":") ? `[${ep.host}]` : ep.host}:${ep.port}`;
}

/**
 * Throws a TypeError unless `ep` is a TCP endpoint (http:// or tcp://) on an
 * IP address; answers the host and its family (4 or 6). As in Mongoose, a
 * listener takes an address, not a name to resolve: "localhost" is 127.0.0.1.
 */
export function tcpListenHost(ep: Endpoint): { host: string; family: number } {
  if (!isTcpScheme(ep.scheme)) {
    throw new TypeError(`the node network cannot listen on ${ep.scheme}:// (url ${endpointUrl(ep)})`);
  }
  const host = ep.host === "localhost" ? "127.0.0.1" : ep.host;
  const family = isIP(host);
  if (family === 0) {
    throw new TypeError(`listen needs an IP address or localhost, got host ${JSON.stringify(ep.host)} ` +
      `(url ${endpointUrl(ep)}); resolve the name first, e.g. with dns.lookup()`);
  }
  return { host, family };
}

/** Throws a TypeError unless `ep` can be connected to over TCP. */
export function checkTcpConnect(ep: Endpoint): void {
  if (!isTcpScheme(ep.scheme)) {
    throw new TypeError(`the node network cannot connect to ${ep.scheme}://`);
  }
}

/** Bytes queued in a socket above which send() takes nothing until it drains. */
export const HIGH_WATER = 256 * 1024;
/** How long a gracefully closed socket waits for the peer's FIN before it is destroyed. */
export const LINGER_MS = 2000;
