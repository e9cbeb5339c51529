// index.ts: the public API, shared by the Node and browser entry points.
// Must not import any node: module (the browser bundle includes it).
import "./core/registry"; // installs the host hooks the core calls
// Every protocol, so that Connection's and Manager's protocol methods work
// for whoever imports the package (the core itself loads without them).
import "./http/register";
import "./ws/register";
import "./mqtt/register";
import "./tls/register";
import "./dgram/register";

export { init } from "./core/loader";
export { Manager, type ManagerOptions, type ConnectOptions, type TimerOptions } from "./core/manager";
export type { PollOptions } from "./lifecycle/abort";
export type { ClientOptions, ResolveOptions } from "./core/client";
export type { BodySink } from "./http/http-stream";
export type { ErrorHandler } from "./core/engine";
export type { ManagerObserver } from "./core/observers";
export {
  ConnectionError, type EventDataMap, type EventData, type EventNumber, type HandlerArgs, type ShortHandler, type WithShortHandler,
} from "./core/event-data";
export { CHANNELS } from "./lifecycle/diagnostics";
export { Connection, type Handler, type ConnectionRole, type RecvDataOptions } from "./core/connection";
export { HttpMessage } from "./http/http-message";
export { httpVar, httpParseMultipart, type Creds, type MultipartPart, type MultipartResult } from "./http/http-form";
export { MqttSession, type MqttConnectOptions, type MqttListenOptions, type MqttPubOptions, type MqttSubOptions, type MqttAckOptions } from "./mqtt/mqtt";
export {
  MqttMessage, type MqttProperty, type MqttConnectInfo, type MqttTopicFilter,
  MQTT_PROP_TYPE_BYTE, MQTT_PROP_TYPE_STRING, MQTT_PROP_TYPE_STRING_PAIR, MQTT_PROP_TYPE_BINARY_DATA, MQTT_PROP_TYPE_VARIABLE_INT, MQTT_PROP_TYPE_INT, MQTT_PROP_TYPE_SHORT, MQTT_CMD_CONNECT, MQTT_CMD_CONNACK, MQTT_CMD_PUBLISH, MQTT_CMD_PUBACK, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_PUBCOMP, MQTT_CMD_SUBSCRIBE, MQTT_CMD_SUBACK, MQTT_CMD_UNSUBSCRIBE, MQTT_CMD_UNSUBACK, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP, MQTT_CMD_DISCONNECT, MQTT_CMD_AUTH,
} from "./mqtt/mqtt-message";
export { MqttBroker } from "./mqtt/broker/broker";
export { MemorySessionStore } from "./mqtt/broker/session-store";
export { validTopicName, validTopicFilter, topicMatches, TopicTree } from "./mqtt/broker/topics";
export type {
  MqttBrokerMessage, MqttBrokerOptions, MqttBrokerLimits, MqttBrokerStats, MqttBrokerBus, MqttBusMessage, MqttSessionStore,
  MqttStoredSession, MqttStoredSubscription, MqttAuthInfo, MqttAuthClient, MqttBrokerCloseOptions, MqttBrokerPublishOptions,
} from "./mqtt/broker/types";
export { WsMessage, type WsConnectOptions, type WsUpgradeOptions } from "./ws/ws";
export { Timer, type TimerCallback } from "./core/timer";
export {
  MongooseError, ConnectionClosedError, ManagerClosedError, ListenError, MessageExpiredError,
  HeadersSentError, ReplyTooLargeError, InvalidUrlError, TlsNotConfiguredError,
} from "./core/errors";
export * from "./core/constants";
export { DEFAULT_LIMITS, type Limits } from "./core/limits";
export type { TlsOpts, TlsCredentials, Pem } from "./tls/tls";
export type { HeadersInit } from "./http/headers";
export type { Network, NetworkEvents, Address, Endpoint, ListenOptions } from "../shim/network";
export type { WasmSource } from "./core/platform";
export type { ShutdownOptions, ShutdownReport, ShutdownHook, ForcedConnection, RunOptions } from "./core/extensions";
export { wakeup, type WakeupHandle } from "./lifecycle/wakeup";
export { AsyncManager, SHUTDOWN_WAITING, SHUTDOWN_FORCED, type AsyncManagerOptions } from "./lifecycle/async-manager";
export { memoryNetwork, MemoryNetwork, MEMORY_WINDOW_BYTES } from "../shim/memory";
export type { MemoryNetworkOptions, MemoryNetworkError } from "../shim/memory";
export { fetchHandler, type FetchFunction, type FetchEnv, type FetchContext, type FetchHandlerOptions } from "./fetch/fetch";
export { serve, FetchServer, type ServeOptions } from "./fetch/fetch-serve";
export { jsonGet, jsonGetNum, jsonGetBool, jsonGetLong, jsonGetStr } from "./util/util-json";
export { urlEncode, urlDecode, urlPort, urlHost, urlUser, urlPass, urlUri, urlIsSsl } from "./util/util-url";
export {
  base64Encode, base64Decode, md5, sha1, sha256, hmacSha256, crc32, match, globMatch, millis,
  randomBytes, randomStr, logSet, logGet, type LogSink,
} from "./util/util";
export {
  Rpc, RpcReq, RPC_PARSE_ERROR, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_INVALID_PARAMS, RPC_INTERNAL_ERROR,
  type RpcMethod,
} from "./util/rpc";
export { SNTP_DEFAULT_URL, type SntpOptions } from "./dgram/sntp";
export { MemoryDatagrams, type MemoryDatagramOptions } from "../shim/memory-udp";
export { PackedFs } from "../shim/packed-fs";
export type { FileSystem, FileStat } from "../shim/fs";
export { HOST_REPLY_MIN, staticCacheUsage, type ServeDirOptions, type ServeFileOptions } from "./http/static";
export type { StaticCacheOptions } from "./http/static-cache";
export { DEFAULTS } from "./defaults";
