// defaults.ts: the default of every option that has a fixed one, gathered
// from the modules that apply them (each reads its own constant), so users
// and the docs check (tests/api-docs.test.ts) see the values the code uses.
// Browser-safe: the Node-only defaults are NODE_DEFAULTS (ts/node.ts).
import { DEFAULT_LIMITS } from "./core/limits";
import { SHUTDOWN_DEFAULTS } from "./lifecycle/shutdown";
import { RUN_DEFAULTS } from "./lifecycle/run";
import { ASYNC_MANAGER_DEFAULTS } from "./lifecycle/async-manager";
import { TLS_DEFAULTS } from "./tls/tls";
import { CONNECT_DEFAULTS, RESOLVE_DEFAULTS } from "./core/client";
import { FETCH_HANDLER_DEFAULTS } from "./fetch/fetch";
import { SERVE_DEFAULTS } from "./fetch/fetch-serve";
import { MQTT_CONNECT_DEFAULTS } from "./mqtt/mqtt";
import { MQTT_BROKER_DEFAULTS } from "./mqtt/broker/limits";
import { MEMORY_WINDOW_BYTES } from "../shim/memory";
import { STATIC_CACHE_DEFAULTS } from "./http/static-cache";

/**
 * Option defaults, frozen, one entry per options type: `limits` (Limits),
 * `shutdown` (ShutdownOptions), `run` (RunOptions), `asyncManager`,
 * `tls` (TlsOpts), `connect` (ClientOptions), `resolve` (ResolveOptions),
 * `fetchHandler`, `serve`, `mqttConnect`, `memoryNetwork`, `staticCache`
 * (StaticCacheOptions), `mqttBroker` (MqttBrokerLimits).
 */
export const DEFAULTS = Object.freeze({
  limits: DEFAULT_LIMITS,
  shutdown: SHUTDOWN_DEFAULTS,
  run: RUN_DEFAULTS,
  asyncManager: ASYNC_MANAGER_DEFAULTS,
  tls: TLS_DEFAULTS,
  connect: CONNECT_DEFAULTS,
  resolve: RESOLVE_DEFAULTS,
  fetchHandler: FETCH_HANDLER_DEFAULTS,
  serve: SERVE_DEFAULTS,
  mqttConnect: MQTT_CONNECT_DEFAULTS,
  memoryNetwork: Object.freeze({ windowBytes: MEMORY_WINDOW_BYTES }),
  staticCache: STATIC_CACHE_DEFAULTS,
  mqttBroker: MQTT_BROKER_DEFAULTS,
});
