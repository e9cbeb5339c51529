// tls-params.ts: what a Network is told when TLS starts on a connection
// (built and checked by ts/tls.ts; node-tls.ts turns it into node:tls).

/** PEM text or bytes. */
export type Pem = string | Uint8Array;

/** A certificate, its key, and optionally the CA that verifies peers. */
export interface TlsCredentials {
  cert?: Pem;
  key?: Pem;
  ca?: Pem;
}

/** One TLS start: server or client side, credentials and verification. */
export interface TlsParams extends TlsCredentials {
  /** Server side (accepted connection) or client side. */
  readonly server: boolean;
  /** Client: the name verified against the certificate and sent as SNI (not for IP addresses). */
  readonly name?: string;
  /** Client: accept any certificate (no chain or name check). Only when asked for by name. */
  readonly skipVerification: boolean;
  /** Server: certificates by server name ("example.com", "*.example.com"), picked by SNI. */
  readonly sni?: ReadonlyMap<string, TlsCredentials>;
  /** ALPN protocols offered/accepted ("http/1.1"), none when empty. */
  readonly alpn: readonly string[];
  /** The handshake must complete within this many ms (0 = no limit). */
  readonly handshakeTimeoutMs: number;
}
