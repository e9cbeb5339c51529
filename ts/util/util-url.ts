// util-url.ts: Mongoose's URL helpers and percent-encoding (wasm/src/url.c);
// httpVar() is in http-form.ts (wasm/src/http_form.c).
import { readUtf8 } from "../core/core";
import { dataArg, stage, stringArg, ucore } from "./util-core";

function part(fn: string, url: unknown, which: number): string {
  const s = stringArg(fn, "url", url);
  const [p, n] = stage(s, undefined, 0);
  const k = ucore();
  const off = k.mgx_url_part(p, n, which);
  return off < 0 ? "" : readUtf8(p + off, k.mgx_url_part_len());
}

/** The URL's port, else its scheme's default (http/ws 80, https/wss 443, mqtt 1883, mqtts 8883), else 0. */
export function urlPort(url: string): number {
  const s = stringArg("urlPort", "url", url);
  const [p, n] = stage(s, undefined, 0);
  return ucore().mgx_url_port(p, n);
}

/** The host part ("" when none); an IPv6 literal keeps its brackets: "[::1]". */
export function urlHost(url: string): string {
  return part("urlHost", url, 3);
}

/** The user of "scheme://user:pass@host" ("" when none), not decoded. */
export function urlUser(url: string): string {
  return part("urlUser", url, 1);
}

/** The password of "scheme://user:pass@host" ("" when none), not decoded. */
export function urlPass(url: string): string {
  return part("urlPass", url, 2);
}

/** Path, query and fragment from the first "/" after the host; "/" when none. */
export function urlUri(url: string): string {
  return part("urlUri", url, 5) || "/";
}

/** Whether the scheme implies TLS: https, wss, mqtts, ssl, tls, tcps. */
export function urlIsSsl(url: string): boolean {
  const s = stringArg("urlIsSsl", "url", url);
  const [p, n] = stage(s, undefined, 0);
  return ucore().mgx_url_is_ssl(p, n) !== 0;
}

/**
 * Percent-encode (UTF-8 for strings): letters, digits and `._-$,;~()/`
 * stay, every other byte becomes `%xx`. The result decodes with
 * decodeURIComponent and URLSearchParams alike.
 */
export function urlEncode(data: string | Uint8Array): string {
  const d = dataArg("urlEncode", data);
  const max = typeof d === "string" ? d.length * 3 : d.byteLength;
  const [p, n, , , dst] = stage(d, undefined, max * 3);
  const len = ucore().mgx_url_encode(p, n, dst, n * 3);
  return readUtf8(dst, len);
}

/**
 * Percent-decode (`form`: "+" is a space, as in form bodies and query
 * strings). Undefined when a `%` is not followed by two hex digits. The
 * bytes are read as UTF-8 (invalid sequences become U+FFFD).
 */
export function urlDecode(s: string, opts: { form?: boolean } = {}): string | undefined {
  const str = stringArg("urlDecode", "s", s);
  const [p, n] = stage(str, undefined, 0);
  const len = ucore().mgx_url_decode(p, n, opts?.form ? 1 : 0);
  return len < 0 ? undefined : readUtf8(p, len);
}

