// broker.ts: an MqttBroker in the test process, auto-driven, on a free loopback port.
import { MqttBroker, type Manager, type MqttBrokerOptions } from "tsmongoose";
import { closeClients } from "./mqtt-js";
import { RawMqtt } from "./mqtt-raw";
import { autoDrive, makeManager } from "./server";

export interface TestBroker { mgr: Manager; broker: MqttBroker; port: number; url: string; stop(): Promise<void> }

const live = new Set<TestBroker>();
const raws = new Set<RawMqtt>();

/** Start a broker on 127.0.0.1:0 (or `port`). */
export async function startBroker(opts: MqttBrokerOptions = {}, port = 0): Promise<TestBroker> {
  const mgr = await makeManager();
  const drive = autoDrive(mgr, 20);
  const broker = new MqttBroker(mgr, opts);
  const l = broker.listen(`mqtt://127.0.0.1:${port}`);
  const p = (await l.listening()).port;
  let stopped: Promise<void> | undefined;
  const tb: TestBroker = {
    mgr, broker, port: p, url: `mqtt://127.0.0.1:${p}`,
    stop: () => (stopped ??= (async () => {
      live.delete(tb);
      await broker.close({ timeoutMs: 500 });
      await drive.stop();
      if (!mgr.closed) mgr.close();
    })()),
  };
  live.add(tb);
  return tb;
}

/** Stop every broker a test left running (afterEach). */
export async function stopBrokers(): Promise<void> {
  await Promise.all([...live].map((b) => b.stop()));
}

/** A raw MQTT connection to 127.0.0.1:port, closed by cleanBrokerTests(). */
export function raw(port: number): RawMqtt {
  const r = new RawMqtt(port);
  raws.add(r);
  return r;
}

/** afterEach of the broker suites: mqtt.js clients, raw connections, then the brokers. */
export async function cleanBrokerTests(): Promise<void> {
  closeClients();
  await Promise.all([...raws].map((r) => r.close()));
  raws.clear();
  await stopBrokers();
}
