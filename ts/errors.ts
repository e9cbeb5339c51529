// errors.ts: the typed errors the facade throws. Programming mistakes (bad
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

/** Binding a listener failed; `errno` is the system code (EADDRINUSE, EACCES...). */
export class ListenError extends MongooseError {
  /** System error code such as "EADDRINUSE", or "EUNKNOWN". */
  readonly errno: string;
  /** The URL that failed to bind. */
  readonly url: string;
  constructor(url: string, errno: string, cause?: unknown) {
    const why = cause instanceof Error ? cause.message : errno;
    super("ERR_LISTEN", `cannot listen on ${url}: ${why}`, cause === undefined ? undefined : { cause });
    this.errno = errno;
    this.url = url;
  }
}

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
