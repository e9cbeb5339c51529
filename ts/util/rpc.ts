// rpc.ts: a JSON-RPC 2.0 dispatcher, as Mongoose's mg_rpc: the request is
// picked apart with the core's JSON scanner (jsonGet*), so `params` reach
// the method as JSON text, and a method answers with ok(resultJson) or
// err(code, message) — or simply returns (or resolves to) a value, which
// becomes the result through JSON.stringify.
import { MongooseError, describe, TypeError, RangeError } from "../core/errors";
import { jsonGet, jsonGetStr } from "./util-json";

/** Standard JSON-RPC 2.0 error codes. */
export const RPC_PARSE_ERROR = -32700;
/** The request is not a valid Request object. */
export const RPC_INVALID_REQUEST = -32600;
/** No such method. */
export const RPC_METHOD_NOT_FOUND = -32601;
/** Invalid method parameters (for methods to use). */
export const RPC_INVALID_PARAMS = -32602;
/** The method failed (threw or rejected). */
export const RPC_INTERNAL_ERROR = -32603;

/** A method: answers through `req.ok()`/`req.err()`, or returns the result value (or a promise of it). */
export type RpcMethod = (req: RpcReq) => unknown;
// A method returning undefined without answering is the reference's "handler
// forgot to respond": an internal error, never a silent null result.

/** One request being handled. */
export class RpcReq {
  /** The whole request frame (JSON text). */
  readonly frame: string;
  /** The method name. */
  readonly method: string;
  /** The `params` member as JSON text ("" when absent). */
  readonly params: string;
  /** The `id` member as JSON text; undefined for a notification (no response). */
  readonly id: string | undefined;
  #response: string | undefined;

  /** @internal Made by Rpc.process. */
  constructor(frame: string, method: string, params: string, id: string | undefined) {
    this.frame = frame;
    this.method = method;
    this.params = params;
    this.id = id;
  }

  /** Whether ok() or err() was called. */
  get answered(): boolean {
    return this.#response !== undefined;
  }

  /** @internal The response frame ("" for a notification), once answered. */
  get _response(): string | undefined {
    return this.#response;
  }

  /** Answer with `resultJson` (JSON text, e.g. `"42"` or `'{"a":1}'`). A second answer throws (ERR_RPC_ANSWERED). */
  ok(resultJson: string): void {
    if (typeof resultJson !== "string") throw new TypeError(`RpcReq.ok: resultJson must be JSON text, got ${describe(resultJson)}`);
    if (jsonGet(resultJson, "$") === undefined) throw new TypeError(`RpcReq.ok: resultJson is not valid JSON: ${describe(resultJson)}`);
    this.#answer(`"result":${resultJson}`);
  }

  /** Answer with an error object `{ code, message }`. A second answer throws (ERR_RPC_ANSWERED). */
  err(code: number, message: string): void {
    if (!Number.isInteger(code)) throw new RangeError(`RpcReq.err: code must be an integer, got ${describe(code)}`);
    if (typeof message !== "string") throw new TypeError(`RpcReq.err: message must be a string, got ${describe(message)}`);
    this.#answer(`"error":{"code":${code},"message":${JSON.stringify(message)}}`);
  }

  #answer(member: string): void {
    if (this.#response !== undefined) {
      throw new MongooseError("ERR_RPC_ANSWERED", `RpcReq: a response for ${this.method} was already sent`);
    }
    this.#response = this.id === undefined ? "" : `{"jsonrpc":"2.0","id":${this.id},${member}}`;
  }
}

function errorFrame(id: string, code: number, message: string): string {
  return `{"jsonrpc":"2.0","id":${id},"error":{"code":${code},"message":${JSON.stringify(message)}}}`;
}

/**
 * A JSON-RPC 2.0 dispatcher: `rpc.add("sum", (req) => ...)`, then
 * `await rpc.process(frame)` gives the response frame ("" for
 * notifications). Errors follow the spec: -32700 parse error, -32600
 * invalid request, -32601 unknown method, -32603 a method that threw.
 * Batches (arrays) are answered with -32600. A method that neither answers
 * nor returns a value (nor a promise of one) gets -32603.
 */
export class Rpc {
  readonly #methods = new Map<string, RpcMethod>();

  /** Register (or replace) `method`. */
  add(method: string, fn: RpcMethod): void {
    if (typeof method !== "string" || method === "") throw new TypeError(`Rpc.add: method must be a non-empty string, got ${describe(method)}`);
    if (typeof fn !== "function") throw new TypeError(`Rpc.add: fn must be a function, got ${describe(fn)}`);
    this.#methods.set(method, fn);
  }

  /** Names of the registered methods. */
  get methods(): string[] {
    return [...this.#methods.keys()];
  }

  /**
   * Handle one request frame. Returns the response frame at once when the
   * method answered synchronously, else a promise of it; `await` works for
   * both. A notification (no `id`) yields "".
   */
  process(frame: string | Uint8Array): string | Promise<string> {
    const text = typeof frame === "string" ? frame : frame instanceof Uint8Array ? new TextDecoder().decode(frame) : undefined;
    if (text === undefined) throw new TypeError(`Rpc.process: frame must be a string or Uint8Array, got ${describe(frame)}`);
    const root = jsonGet(text, "$");
    if (root === undefined) return errorFrame("null", RPC_PARSE_ERROR, "Parse error");
    if (root.charCodeAt(0) !== 0x7b /* { */) return errorFrame("null", RPC_INVALID_REQUEST, "Invalid Request");
    const idText = jsonGet(text, "$.id");
    const idOk = idText === undefined || idText === "null" || /^["\-0-9]/.test(idText);
    const id = idOk ? idText : "null";
    const method = jsonGetStr(text, "$.method");
    const version = jsonGetStr(text, "$.jsonrpc");
    if (!idOk || method === undefined || (version !== undefined && version !== "2.0")) {
      return errorFrame(id ?? "null", RPC_INVALID_REQUEST, "Invalid Request");
    }
    const fn = this.#methods.get(method);
    if (fn === undefined) return id === undefined ? "" : errorFrame(id, RPC_METHOD_NOT_FOUND, "Method not found");
    const req = new RpcReq(text, method, jsonGet(text, "$.params") ?? "", id);
    let result: unknown;
    try {
      result = fn(req);
    } catch (err) {
      return finish(req, undefined, err, true);
    }
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      return Promise.resolve(result).then((v) => finish(req, v), (err: unknown) => finish(req, undefined, err, true));
    }
    return finish(req, result);
  }
}

/** The response once the method returned (or threw). */
function finish(req: RpcReq, value: unknown, err?: unknown, failed = err !== undefined): string {
  if (!req.answered) {
    if (failed) {
      req.err(RPC_INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
    } else if (value === undefined) {
      req.err(RPC_INTERNAL_ERROR, `method ${req.method} did not answer`);
    } else {
      const json = JSON.stringify(value);
      if (json === undefined) req.err(RPC_INTERNAL_ERROR, `method ${req.method} returned a value JSON cannot carry`);
      else req.ok(json);
    }
  }
  return req._response ?? "";
}
