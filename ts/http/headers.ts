// headers.ts: user-supplied response headers -> the "Name: value\r\n" block
// the core writes verbatim. Validation here is what stops header injection.
import { TypeError } from "../core/errors"; // Node's argument-error codes (errors.ts)

/** Extra response headers: an object, [name, value] pairs, or a raw "Name: v\r\n" block. */
export type HeadersInit = Record<string, string | number> | ReadonlyArray<readonly [string, string | number]> | string;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible Latin-1 and tabs/spaces; no CR, LF, NUL or other controls.
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function checkName(name: unknown): string {
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  }
  return name;
}

function checkValue(name: string, value: unknown): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`invalid value for header ${name}: ${value}`);
    return String(value);
  }
  if (typeof value !== "string" || !VALUE.test(value)) {
    throw new TypeError(`invalid value for header ${name}: ${JSON.stringify(value)} ` +
      "(CR, LF, NUL, control characters and characters above U+00FF are not allowed)");
  }
  return value.trim();
}

/**
 * Validate and serialize `headers` to a Latin-1 "Name: value\r\n..." string.
 * Bad names (not an HTTP token) or values (CR/LF/NUL/controls) throw a
 * TypeError naming them.
 */
export function formatHeaders(headers: HeadersInit | undefined): string {
  if (headers === undefined || headers === null) return "";
  if (typeof headers === "string") return formatRaw(headers);
  let out = "";
  const pairs: Iterable<readonly [unknown, unknown]> = Array.isArray(headers)
    ? (headers as ReadonlyArray<readonly [unknown, unknown]>)
    : typeof headers === "object" ? Object.entries(headers) : (() => {
      throw new TypeError(`headers must be an object, an array of pairs or a string, got ${typeof headers}`);
    })();
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(`header entries must be [name, value] pairs, got ${JSON.stringify(pair)}`);
    }
    const name = checkName(pair[0]);
    out += `${name}: ${checkValue(name, pair[1])}\r\n`;
  }
  return out;
}

// The last raw block and what it gave: a handler usually passes the same
// constant block on every request (a pure function of its input, so safe to reuse).
let lastRaw = "";
let lastFormatted = "";

function formatRaw(raw: string): string {
  if (raw === "") return "";
  if (raw === lastRaw) return lastFormatted;
  const lines = raw.split("\r\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let out = "";
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new TypeError(`invalid header line ${JSON.stringify(line)}`);
    const name = checkName(line.slice(0, colon));
    out += `${name}: ${checkValue(name, line.slice(colon + 1))}\r\n`;
  }
  lastRaw = raw;
  lastFormatted = out;
  return out;
}

let lastBlock = "";
let lastName = "";
let lastHas = false;

/** Whether a formatted block already has header `name` (case-insensitive). */
export function hasHeader(block: string, name: string): boolean {
  if (block === "") return false;
  if (block === lastBlock && name === lastName) return lastHas;
  const lower = name.toLowerCase();
  let has = false;
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).toLowerCase() === lower) {
      has = true;
      break;
    }
  }
  lastBlock = block;
  lastName = name;
  lastHas = has;
  return has;
}
