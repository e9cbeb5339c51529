// mqtt-responder.ts: the smallest broker a transport test needs, over
// mgr.mqttListen: CONNACK, SUBACK, PINGRESP, the QoS 1/2 acknowledgements,
// and every PUBLISH forwarded to the connections whose filter matches
// (exact, `#` or a trailing `/#`), at the lower of the two QoS.
import { MG_EV_CLOSE, MG_EV_MQTT_CMD, MQTT_CMD_CONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBSCRIBE } from "tsmongoose";
import type { Connection, MqttMessage } from "tsmongoose";

function matches(filter: string, topic: string): boolean {
  return filter === topic || filter === "#" || (filter.endsWith("/#") && topic.startsWith(filter.slice(0, -1)));
}

/** A handler for mqttListen(); `seen` logs "<conn id> <cmd>" for the tests to wait on. */
export function mqttResponder(seen: string[] = []): (conn: Connection, ev: number, data: unknown) => void {
  const subs = new Map<Connection, { topic: string; qos: number }[]>();
  return (conn, ev, data) => {
    if (ev === MG_EV_CLOSE) subs.delete(conn);
    if (ev !== MG_EV_MQTT_CMD) return;
    const m = data as MqttMessage;
    seen.push(`${conn.id} ${m.cmd}`);
    switch (m.cmd) {
      case MQTT_CMD_CONNECT: conn.mqttConnack(0); break;
      case MQTT_CMD_SUBSCRIBE: {
        const ts = m.topics();
        subs.set(conn, [...(subs.get(conn) ?? []), ...ts.map((t) => ({ topic: t.topic, qos: t.qos }))]);
        conn.mqttSuback(m.id, ts.map((t) => t.qos));
        break;
      }
      case MQTT_CMD_PUBLISH: {
        if (m.qos === 1) conn.mqttPuback(m.id);
        if (m.qos === 2) conn.mqttPubrec(m.id);
        const topic = m.topic, payload = m.data;
        for (const [c, list] of subs) {
          const s = list.find((x) => matches(x.topic, topic));
          if (s !== undefined) c.mqttPub(topic, payload, { qos: Math.min(s.qos, m.qos) as 0 | 1 | 2 });
        }
        break;
      }
      case MQTT_CMD_PUBREL: conn.mqttPubcomp(m.id); break;
      case MQTT_CMD_PUBREC: conn.mqttPubrel(m.id); break;
      case MQTT_CMD_PINGREQ: conn.mqttPong(); break;
      default: break;
    }
  };
}
