// topics.ts: the bridge's topic rules, as mosquitto.conf(5) "topic pattern
// [[[out|in|both] qos] local-prefix remote-prefix]": the bridge subscribes on
// one side to prefix + pattern, and a message that arrives is re-published on
// the other side with the first prefix stripped and the other one added.
import { argTypeError, argValueError, checkObject } from "../../core/args";
import { RangeError, describe } from "../../core/errors";
import { topicMatches, validTopicFilter } from "../broker/topics";

/** Defaults of MqttBridgeTopic (also `DEFAULTS.mqttBridgeTopic`), mosquitto's. */
export const MQTT_BRIDGE_TOPIC_DEFAULTS = Object.freeze({ direction: "out" as const, qos: 0 as const, localPrefix: "", remotePrefix: "" });

/** One `topic` line of a bridge. */
export interface MqttBridgeTopic {
  /** Topic filter (may hold `+` and `#`); "" maps exactly the prefix topic to the other prefix. */
  pattern: string;
  /** "out": local -> remote (default, as mosquitto); "in": remote -> local; "both". */
  direction?: "in" | "out" | "both";
  /** Highest QoS forwarded for this pattern (default 0, as mosquitto); messages go on at min(this, their own). */
  qos?: 0 | 1 | 2;
  /** Prefix of the topic on the local side (stripped going out, added coming in). */
  localPrefix?: string;
  /** Prefix of the topic on the remote side (added going out, stripped coming in). */
  remotePrefix?: string;
}

/** A checked rule with its two subscription filters. */
export interface Rule {
  direction: "in" | "out" | "both";
  qos: 0 | 1 | 2;
  localPrefix: string;
  remotePrefix: string;
  localFilter: string;
  remoteFilter: string;
}

function prefix(op: string, name: string, v: unknown): string {
  if (v === undefined) return MQTT_BRIDGE_TOPIC_DEFAULTS.localPrefix; // "", as remotePrefix
  if (typeof v !== "string") throw argTypeError(op, name, "a string", v);
  if (/[+#\0]/.test(v)) throw argValueError(op, name, "cannot hold wildcards (+ or #)", v);
  return v;
}

/** Check the `topics` option; one Rule per entry. */
export function parseRules(op: string, topics: unknown): Rule[] {
  if (!Array.isArray(topics) || topics.length === 0) throw argTypeError(op, "opts.topics", "a non-empty array", topics);
  return topics.map((t: unknown, i) => {
    const name = `topics[${i}]`;
    checkObject(op, `opts.${name}`, t);
    const r = t as MqttBridgeTopic;
    if (typeof r.pattern !== "string") throw argTypeError(op, `${name}.pattern`, "a string", r.pattern);
    const direction = r.direction ?? MQTT_BRIDGE_TOPIC_DEFAULTS.direction;
    if (direction !== "in" && direction !== "out" && direction !== "both") {
      throw argValueError(op, `${name}.direction`, 'must be "in", "out" or "both"', direction);
    }
    const qos = r.qos ?? MQTT_BRIDGE_TOPIC_DEFAULTS.qos;
    if (qos !== 0 && qos !== 1 && qos !== 2) {
      throw new RangeError(`${op}: The "${name}.qos" option must be 0, 1 or 2. Received ${describe(qos)}`, { code: "ERR_OUT_OF_RANGE" });
    }
    const localPrefix = prefix(op, `${name}.localPrefix`, r.localPrefix);
    const remotePrefix = prefix(op, `${name}.remotePrefix`, r.remotePrefix);
    // An empty pattern remaps one topic: both prefixes are then the whole topics (mosquitto asks the same).
    if (r.pattern === "" && (localPrefix === "" || remotePrefix === "")) {
      throw argValueError(op, `${name}.pattern`, "may be empty only when localPrefix and remotePrefix are both given", r.pattern);
    }
    const localFilter = localPrefix + r.pattern;
    const remoteFilter = remotePrefix + r.pattern;
    if (!validTopicFilter(localFilter) || !validTopicFilter(remoteFilter)) {
      throw argValueError(op, `${name}.pattern`, "must be a valid topic filter (# last and alone in its level, + alone in its level)", r.pattern);
    }
    return { direction, qos, localPrefix, remotePrefix, localFilter, remoteFilter };
  });
}

/**
 * Where a message that arrived on `from` goes: the first rule that forwards
 * that way and whose filter on `from` matches (mosquitto takes the first
 * too), with its topic on the other side; undefined when none does.
 */
export function route(rules: readonly Rule[], from: "local" | "remote", topic: string): { rule: Rule; topic: string } | undefined {
  const want = from === "local" ? "out" : "in";
  for (const rule of rules) {
    if (rule.direction !== want && rule.direction !== "both") continue;
    const filter = from === "local" ? rule.localFilter : rule.remoteFilter;
    if (!topicMatches(filter, topic)) continue;
    const [strip, add] = from === "local" ? [rule.localPrefix, rule.remotePrefix] : [rule.remotePrefix, rule.localPrefix];
    return { rule, topic: add + topic.slice(strip.length) };
  }
  return undefined;
}
