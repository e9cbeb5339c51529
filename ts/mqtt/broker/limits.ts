// limits.ts: the broker's limits and their safe defaults (DEFAULTS.mqttBroker),
// modelled on mosquitto's max_queued_messages (1000), max_inflight_messages
// (20) and message_size_limit, and the checks of a user's overrides.
import { argValueError, checkNumber, checkObject } from "../../core/args";
import type { MqttBrokerLimits } from "./types";

/** Session Expiry Interval meaning "never" (MQTT 5, 3.1.2.11.2). */
export const NEVER = 0xffffffff;

/** Defaults of MqttBrokerLimits (also `DEFAULTS.mqttBroker`). */
export const MQTT_BROKER_DEFAULTS: Readonly<MqttBrokerLimits> = Object.freeze({
  maxQueuedMessages: 1000,
  maxQueuedBytes: 16 << 20,
  maxInflight: 1000,
  receiveMaximum: 1024,
  maxPacketSize: 1 << 20,
  maxRetained: 100_000,
  maxRetainedBytes: 64 << 20,
  maxSessions: 100_000,
  maxSubscriptionsPerClient: 1000,
  maxSessionExpiry: NEVER,
  keepalive: 0,
  maxQos: 2,
  topicAliasMaximum: 16,
  maxKeepalive: 0,
});

const RANGES: Record<keyof MqttBrokerLimits, [number, number]> = {
  maxQueuedMessages: [0, 2 ** 31], maxQueuedBytes: [0, 2 ** 53], maxInflight: [1, 65535], receiveMaximum: [1, 65535],
  maxPacketSize: [64, 268_435_460], maxRetained: [0, 2 ** 31], maxRetainedBytes: [0, 2 ** 53], maxSessions: [1, 2 ** 31],
  maxSubscriptionsPerClient: [1, 2 ** 31], maxSessionExpiry: [0, NEVER], keepalive: [0, 65535], maxQos: [0, 2],
  topicAliasMaximum: [0, 65535], maxKeepalive: [0, 65535],
};

/** DEFAULTS.mqttBroker over `given`, each checked (TypeError / RangeError naming the bad one). */
export function brokerLimits(given: Partial<MqttBrokerLimits> | undefined): MqttBrokerLimits {
  if (given === undefined) return { ...MQTT_BROKER_DEFAULTS };
  checkObject("MqttBroker", "opts.limits", given);
  const out = { ...MQTT_BROKER_DEFAULTS };
  for (const [k, v] of Object.entries(given)) {
    const range = RANGES[k as keyof MqttBrokerLimits];
    if (range === undefined) throw argValueError("MqttBroker", "opts.limits", `has an unknown limit ${k}`, given);
    if (v === undefined) continue;
    out[k as keyof MqttBrokerLimits] = checkNumber("MqttBroker", `limits.${k}`, v, range[0], range[1], true);
  }
  return out;
}
