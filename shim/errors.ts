// errors.ts: the typed errors tsmongoose throws, facade and hosts alike (a leaf:
// it imports nothing; ts/core/errors.ts re-exports it). Programming mistakes (bad
// arguments) are TypeError/RangeError; conditions a correct program can still
// meet at run time are MongooseError subclasses with a stable `code`.

/** Base class of every error tsmongoose throws on purpose; `code` is stable. */
export class MongooseError extends Error {
  /** Machine-readable error code, e.g. "ERR_CONNECTION_CLOSED". */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A method was called on a Connection after its MG_EV_CLOSE was delivered. */
export class ConnectionClosedError extends MongooseError {
  /** Id of the closed connection. */
  readonly connectionId: number;
  constructor(connectionId: number, operation: string) {
    super("ERR_CONNECTION_CLOSED", `connection ${connectionId} is closed (called ${operation})`);
    this.connectionId = connectionId;
  }
}

/** A method was called on a Manager after close(). */
export class ManagerClosedError extends MongooseError {
  constructor(operation: string) {
    super("ERR_MANAGER_CLOSED", `manager is closed (called ${operation})`);
  }
}

/**
 * Binding a listener failed. As with Node's net errors, `code` is the system
 * code (`err.code === "EADDRINUSE"`), `errno` its negative number as Node
 * gives it (-98 on Linux), `syscall` is "listen". Networks without system
 * numbers (the memory network) leave `errno` undefined.
 */
export class ListenError extends MongooseError {
  /** Node's negative system error number (util.getSystemErrorMap()), or undefined off the OS network. */
  readonly errno: number | undefined;
  /** The system call that failed: "listen". */
  readonly syscall = "listen";
  /** The URL that failed to bind. */
  readonly url: string;
  /** `code`: the system code ("EADDRINUSE"); the number comes from `cause.errno` when it has one. */
  constructor(url: string, code: string, cause?: unknown) {
    const why = cause instanceof Error ? cause.message : code;
    super(code, `cannot listen on ${url}: ${why}`, cause === undefined ? undefined : { cause });
    const n = (cause as { errno?: unknown } | undefined)?.errno;
    this.errno = typeof n === "number" ? n : undefined;
    this.url = url;
  }
}

/**
 * A second response for one request: reply()/replyJson()/httpStart() after
 * the request was answered (or its streamed response started). Nothing is
 * sent. Same code as node:http's.
 */
export class HeadersSentError extends MongooseError {
  constructor(connectionId: number, operation: string) {
    super("ERR_HTTP_HEADERS_SENT",
      `${operation}: connection ${connectionId} already answered its request (one response per request)`);
  }
}

/**
 * A reply the core cannot take (larger than limits.maxReplySize, or more
 * than linear memory holds). The client gets 500 + Connection: close.
 */
export class ReplyTooLargeError extends MongooseError {
  /** Body size in bytes that was refused. */
  readonly size: number;
  constructor(size: number, why: string) {
    super("ERR_REPLY_TOO_LARGE", `reply body of ${size} bytes refused: ${why}; the client got 500 + Connection: close`);
    this.size = size;
  }
}

/**
 * A URL that says TLS (https://, wss://, mqtts://, tls://, ssl://) on a
 * connection that would otherwise carry plaintext: thrown by listen() when
 * nothing could start TLS, and the `cause` of the MG_EV_ERROR that closes a
 * connection with no TLS once its MG_EV_ACCEPT / MG_EV_CONNECT handler returned.
 */
export class TlsNotConfiguredError extends MongooseError {
  constructor(message: string) {
    super("ERR_TLS_NOT_CONFIGURED", message);
  }
}

// Argument errors carry Node's codes. Modules that validate arguments import
// these two under the global names (`import { TypeError, RangeError } from
// "./errors"`), so every `new TypeError(...)` there gets its code while
// staying an instance of the global class.
const GlobalTypeError = globalThis.TypeError;
const GlobalRangeError = globalThis.RangeError;

/** Options of the coded argument errors: `code` overrides the class's default. */
interface CodedErrorOptions { cause?: unknown; code?: string }

/** Constructor of an argument error that carries Node's `code`. */
type CodedErrorClass<E extends Error> = new (message?: string, options?: CodedErrorOptions) => E & { readonly code: string };

/**
 * A TypeError with Node's `code`: "ERR_INVALID_ARG_TYPE" (a wrong kind of
 * argument) unless options.code says "ERR_INVALID_ARG_VALUE" (args.ts).
 */
const ArgTypeError: CodedErrorClass<globalThis.TypeError> = class TypeError extends GlobalTypeError {
  /** Node's code, "ERR_INVALID_ARG_TYPE" by default. */
  readonly code: string;
  constructor(message?: string, options?: CodedErrorOptions) {
    super(message, options);
    this.name = "TypeError";
    this.code = options?.code ?? "ERR_INVALID_ARG_TYPE";
  }
};

/**
 * A RangeError with Node's `code`: "ERR_OUT_OF_RANGE" (a number outside its
 * range) unless options.code says "ERR_INVALID_ARG_VALUE" (args.ts).
 */
const ArgRangeError: CodedErrorClass<globalThis.RangeError> = class RangeError extends GlobalRangeError {
  /** Node's code, "ERR_OUT_OF_RANGE" by default. */
  readonly code: string;
  constructor(message?: string, options?: CodedErrorOptions) {
    super(message, options);
    this.name = "RangeError";
    this.code = options?.code ?? "ERR_OUT_OF_RANGE";
  }
};

/** A TypeError for a URL that does not parse or cannot be used; `code` "ERR_INVALID_URL". */
export class InvalidUrlError extends GlobalTypeError {
  /** Node's code for a bad URL. */
  readonly code: string = "ERR_INVALID_URL";
  /** The URL given. */
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.name = "TypeError";
    this.input = input;
  }
}

// Bundlers may rename the class expressions (TypeError2): keep the names.
Object.defineProperty(ArgTypeError, "name", { value: "TypeError" });
Object.defineProperty(ArgRangeError, "name", { value: "RangeError" });

export { ArgTypeError as TypeError, ArgRangeError as RangeError };

/** A message view (HttpMessage...) was used after its handler call returned. */
export class MessageExpiredError extends MongooseError {
  constructor(what: string) {
    super("ERR_MESSAGE_EXPIRED",
      `${what} used after its handler returned: message views are valid only during the ` +
      `handler call (copy what you need, e.g. msg.bodyText, before any await)`);
  }
}

/** Describe a value for an error message without dumping huge strings. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  return Object.prototype.toString.call(value);
}
