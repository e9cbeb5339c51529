// index.ts: the public API, shared by the Node and browser entry points.
// Must not import any node: module (the browser bundle includes it).
import "./registry"; // installs the host hooks the core calls

export { init } from "./loader";
export { Manager, type ManagerOptions, type ConnectOptions, type TimerOptions } from "./manager";
export type { PollOptions } from "./abort";
export type { ClientOptions, ResolveOptions } from "./client";
export type { BodySink } from "./http-stream";
export type { ErrorHandler, ManagerObserver } from "./engine";
export {
  ConnectionError, type EventDataMap, type EventData, type EventNumber, type HandlerArgs, type ShortHandler, type WithShortHandler,
} from "./event-data";
export { CHANNELS } from "./diagnostics";
export { Connection, type Handler, type ConnectionRole } from "./connection";
export { HttpMessage } from "./http-message";
export { httpVar, httpParseMultipart, type Creds, type MultipartPart, type MultipartResult } from "./http-form";
export { Timer, type TimerCallback } from "./timer";
export {
  MongooseError, ConnectionClosedError, ManagerClosedError, ListenError, MessageExpiredError,
  HeadersSentError, ReplyTooLargeError, InvalidUrlError,
} from "./errors";
export * from "./constants";
export { DEFAULT_LIMITS, type Limits } from "./limits";
export type { HeadersInit } from "./headers";
export type { Network, NetworkEvents, Address, Endpoint, ListenOptions } from "../shim/network";
export type { WasmSource } from "./platform";
export type { ShutdownOptions, ShutdownReport, ShutdownHook, ForcedConnection, RunOptions } from "./extensions";
export { wakeup, type WakeupHandle } from "./wakeup";
export { AsyncManager, SHUTDOWN_WAITING, SHUTDOWN_FORCED, type AsyncManagerOptions } from "./async-manager";
export { memoryNetwork, MemoryNetwork, MEMORY_WINDOW_BYTES } from "../shim/memory";
export type { MemoryNetworkOptions, MemoryNetworkError } from "../shim/memory";
export { PackedFs } from "../shim/packed-fs";
export type { FileSystem, FileStat } from "../shim/fs";
export { HOST_REPLY_MIN, type ServeDirOptions, type ServeFileOptions } from "./static";
