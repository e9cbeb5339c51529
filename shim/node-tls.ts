// node-tls.ts: TLS for the Node networks, over node:tls. Both transports
// hand a connection's socket here when TLS starts on it (node-handle.ts
// first turns its libuv handle into a net.Socket) and keep driving the
// TLSSocket that comes back like any other net.Socket (node-socket.ts):
// plaintext in `data`, plaintext into write(), end() sends close_notify
// before the FIN.
//
// The core never sees encryption: it hears of a finished handshake
// (onSecure -> NetworkEvents.tlsReady) and of a failed one (an 'error' whose
// message tlsFailure() names). Credentials become SecureContexts once per
// TlsParams object (ts/tls.ts reuses one per listener), so an accept costs
// no PEM parsing; a hot reload is a new TlsParams object.
import type * as tls from "node:tls";
import { isIP } from "node:net";
import type * as net from "node:net";
import { MongooseError } from "./errors";
import { nodeTls } from "./builtins"; // node:tls costs ~3 MB of RSS: loaded by the first TLS connection
import type { Pem, TlsCredentials, TlsParams } from "./tls-params";

/** Nothing below TLS 1.2 is offered or accepted. */
const MIN_VERSION = "TLSv1.2";

const contexts = new WeakMap<TlsCredentials, tls.SecureContext>();

function pem(v: Pem | undefined): string | Buffer | undefined {
  if (v === undefined || typeof v === "string") return v;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** The SecureContext of `creds` (built once per credentials object). */
function contextOf(creds: TlsCredentials): tls.SecureContext {
  let ctx = contexts.get(creds);
  if (ctx === undefined) {
    try {
      ctx = nodeTls().createSecureContext({ cert: pem(creds.cert), key: pem(creds.key), ca: pem(creds.ca), minVersion: MIN_VERSION });
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new MongooseError("ERR_TLS_CREDENTIALS", `TLS: unusable certificate, key or CA: ${e.message}${e.code ? ` (${e.code})` : ""}`);
    }
    contexts.set(creds, ctx);
  }
  return ctx;
}

/** Build (and cache) every SecureContext `p` needs; throws MongooseError ERR_TLS_CREDENTIALS. */
export function prepareTls(p: TlsParams): void {
  contextOf(p);
  if (p.sni) for (const creds of p.sni.values()) contextOf(creds);
}

/** The credentials for `servername`: an exact entry, else "*.rest" for one leading label. */
function sniLookup(sni: ReadonlyMap<string, TlsCredentials>, servername: string): TlsCredentials | undefined {
  const name = servername.toLowerCase();
  const exact = sni.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf(".");
  return dot > 0 ? sni.get(`*${name.slice(dot)}`) : undefined;
}

/**
 * An Error whose message names why the handshake failed: "TLS handshake
 * failed (CERT_HAS_EXPIRED): certificate has expired". The code comes first
 * because the core keeps at most 199 bytes of an error message.
 */
export function tlsFailure(err: Error & { code?: string; reason?: string }): Error {
  // OpenSSL's messages carry addresses and source paths, Node's identity
  // check repeats itself: `reason`, where there is one, is the part that says why.
  const why = typeof err.reason === "string" && err.reason !== "" ? err.reason : err.message.trim();
  const code = err.code ? ` (${err.code})` : "";
  return Object.assign(new Error(`TLS handshake failed${code}: ${why}`, { cause: err }), { code: err.code });
}

type Verifiable = tls.TLSSocket & { _handle?: { verifyError?: () => (Error & { code?: string }) | null } };

/**
 * A server's 'secure': as tls.Server does, reject a client certificate that
 * does not verify against `ca` (OpenSSL only insists that one is sent).
 */
function clientCertError(s: tls.TLSSocket): Error | undefined {
  const verify = (s as Verifiable)._handle?.verifyError;
  const err = typeof verify === "function" ? verify.call((s as Verifiable)._handle) : null;
  return err ? Object.assign(new Error(`client certificate rejected: ${err.message}`), { code: err.code }) : undefined;
}

/**
 * Start TLS over the connected socket `raw` (its own listeners must be gone):
 * the TLSSocket that replaces it. `onSecure` runs (this = the TLSSocket)
 * once the handshake is done and the peer verified; a failure or a
 * handshake over `p.handshakeTimeoutMs` destroys the socket with an error.
 */
export function startTls(raw: net.Socket, p: TlsParams, pending: readonly Uint8Array[],
  onSecure: (this: tls.TLSSocket) => void): tls.TLSSocket {
  let s: tls.TLSSocket;
  if (p.server) {
    const mutual = p.ca !== undefined;
    const sni = p.sni;
    s = new (nodeTls().TLSSocket)(raw, {
      isServer: true,
      secureContext: contextOf(p),
      requestCert: mutual,
      rejectUnauthorized: mutual,
      ALPNProtocols: p.alpn.length > 0 ? [...p.alpn] : undefined,
      SNICallback: sni === undefined || sni.size === 0 ? undefined : (servername, cb) => {
        const creds = sniLookup(sni, servername);
        try {
          cb(null, creds === undefined ? undefined : contextOf(creds));
        } catch (err) {
          cb(err as Error, undefined);
        }
      },
    });
    s.once("secure", function (this: tls.TLSSocket) {
      const err = mutual ? clientCertError(this) : undefined;
      if (err) this.destroy(err);
      else onSecure.call(this);
    });
  } else {
    const name = p.name ?? "localhost";
    s = nodeTls().connect({
      socket: raw,
      secureContext: contextOf(p),
      host: name,
      servername: isIP(name) === 0 ? name : undefined, // SNI carries names only (RFC 6066)
      rejectUnauthorized: !p.skipVerification,
      ALPNProtocols: p.alpn.length > 0 ? [...p.alpn] : undefined,
    });
    s.once("secureConnect", onSecure);
  }
  // Bytes read before the switch belong to the handshake: feed them in first.
  const ssl = (s as unknown as { ssl?: { receive?: (b: Buffer) => void } }).ssl;
  for (const chunk of pending) {
    if (typeof ssl?.receive === "function") ssl.receive(Buffer.from(chunk));
  }
  if (p.handshakeTimeoutMs > 0) {
    const timer = setTimeout(() => {
      if (!s.destroyed) {
        s.destroy(Object.assign(new Error(`no handshake within ${p.handshakeTimeoutMs} ms`), { code: "ERR_TLS_HANDSHAKE_TIMEOUT" }));
      }
    }, p.handshakeTimeoutMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    s.once(p.server ? "secure" : "secureConnect", clear);
    s.once("close", clear);
  }
  return s;
}
