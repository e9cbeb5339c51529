// reference-parity.test.ts: the places where issue 16 (item 14) found us
// differing from the reference library, each ported from its behaviour:
// wakeup() without enableWakeup returns false and delivers nothing;
// recvData(-1) means "all" and recvData(n, { peek: true }) reads without
// consuming (the default consumes: docs/api.md says why); poll() from
// inside a handler is refused as not reentrant; AsyncManager has the
// reference's shortcuts (connect, timerAdd, wakeup, the protocol connects).
import * as net from "node:net";
import {
  AsyncManager, Manager, ManagerClosedError, MongooseError,
  MG_EV_ACCEPT, MG_EV_CONNECT, MG_EV_HTTP_MSG, MG_EV_MQTT_CMD, MG_EV_MQTT_OPEN, MG_EV_READ, MG_EV_WAKEUP,
  MG_EV_WS_MSG, MG_EV_WS_OPEN, MQTT_CMD_CONNECT,
  type Connection, type HttpMessage, type MqttMessage, type WsMessage,
} from "tsmongoose";
import { backgroundPoll, makeManager, waitFor } from "./helpers/server";

const managers: Manager[] = [];
const stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0)) await stop();
  for (const m of managers.splice(0)) m.close();
});

async function driven(handler: (c: Connection, ev: number, data: unknown) => void, opts: Record<string, unknown> = {}): Promise<Manager> {
  const mgr = await makeManager(handler, opts);
  managers.push(mgr);
  const loop = backgroundPoll(mgr, 10);
  stoppers.push(() => loop.stop());
  return mgr;
}

/** Connect a raw TCP client to `port`, send `text`, keep it open. */
function rawSend(port: number, text: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => { s.write(text); resolve(s); });
    s.on("error", reject);
    stoppers.push(async () => { s.destroy(); });
  });
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test("wakeup() on a manager made without enableWakeup returns false and delivers nothing; with it, true", async () => {
  for (const enableWakeup of [false, true]) {
    const woken: string[] = [];
    const accepted: Connection[] = [];
    const mgr = await driven((c, ev, data) => {
      if (ev === MG_EV_ACCEPT) accepted.push(c);
      if (ev === MG_EV_WAKEUP) woken.push(text(data as Uint8Array));
    }, { enableWakeup });
    const port = mgr.listen("tcp://127.0.0.1:0").localAddr.port;
    await rawSend(port, "");
    await waitFor(() => accepted.length === 1, 3000, "accept");
    expect(mgr.wakeup(accepted[0].id, "ping")).toBe(enableWakeup);
    await mgr.poll(0);
    expect(woken).toEqual(enableWakeup ? ["ping"] : []);
    if (!enableWakeup) {
      expect(() => mgr.wakeupHandle()).toThrow(expect.objectContaining({ code: "ERR_WAKEUP_DISABLED" }));
    }
  }
});

test("recvData: -1 is all, { peek: true } leaves the bytes, the default consumes; bad counts are RangeErrors", async () => {
  const seen: Record<string, unknown> = {};
  const mgr = await driven((c, ev) => {
    if (ev !== MG_EV_READ || c.recvLen < 11 || "all" in seen) return;
    seen.peek5 = text(c.recvData(5, { peek: true }));
    seen.afterPeek = c.recvLen;
    seen.peekAll = text(c.recvData(-1, { peek: true }));
    seen.take5 = text(c.recvData(5));
    seen.afterTake = c.recvLen;
    seen.all = text(c.recvData(-1));
    seen.afterAll = c.recvLen;
    seen.sendAll = c.sendData(-1).length;
    for (const bad of [-2, 1.5, Number.NaN, "3"]) {
      try {
        c.recvData(bad as number);
        seen[`bad ${String(bad)}`] = "accepted";
      } catch (err) {
        seen[`bad ${String(bad)}`] = (err as Error).name;
      }
    }
  });
  const port = mgr.listen("tcp://127.0.0.1:0").localAddr.port;
  await rawSend(port, "hello world");
  await waitFor(() => "all" in seen, 3000, "the read");
  expect(seen).toEqual({
    peek5: "hello", afterPeek: 11, peekAll: "hello world", take5: "hello", afterTake: 6, all: " world", afterAll: 0, sendAll: 0,
    "bad -2": "RangeError", "bad 1.5": "RangeError", "bad NaN": "RangeError", "bad 3": "RangeError",
  });
});

test("poll() from inside a handler or timer callback throws ERR_POLL_REENTRANT; concurrent polls from two tasks both resolve", async () => {
  const caught: unknown[] = [];
  const mgr = await makeManager((c, ev) => {
    if (ev !== MG_EV_READ) return;
    try {
      void c.manager.poll(0);
    } catch (err) {
      caught.push(err);
    }
  });
  managers.push(mgr);
  mgr.timerAdd(0, () => {
    try {
      void mgr.poll(0);
    } catch (err) {
      caught.push(err);
    }
  });
  const port = mgr.listen("tcp://127.0.0.1:0").localAddr.port;
  await rawSend(port, "x");
  const deadline = Date.now() + 3000;
  while (caught.length < 2 && Date.now() < deadline) {
    const [a, b] = await Promise.all([mgr.poll(20), mgr.poll(5)]); // two tasks awaiting at once: fine
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(0);
  }
  expect(caught).toHaveLength(2);
  for (const err of caught) {
    expect(err).toBeInstanceOf(MongooseError);
    expect(err).toMatchObject({ code: "ERR_POLL_REENTRANT" });
  }
});

test("AsyncManager shortcuts: connect, wsConnect, timerAdd, wakeup, wakeupHandle, connections; ManagerClosedError once closing", async () => {
  const got: string[] = [];
  const am = new AsyncManager((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      const hm = data as HttpMessage;
      if (hm.uri === "/ws") c.wsUpgrade(hm);
      else c.reply(200, `hi ${hm.uri}`);
    } else if (ev === MG_EV_WS_MSG) c.wsSend(`echo ${(data as WsMessage).text}`);
    else if (ev === MG_EV_WAKEUP) got.push(`wakeup ${c.id} ${text(data as Uint8Array)}`);
  }, { shutdownTimeout: 2000 });
  try {
    const port = (await am.listen("http://127.0.0.1:0")).localAddr.port;
    const client = am.connect(`http://127.0.0.1:${port}`, {
      handler: (c, ev, data) => {
        if (ev === MG_EV_CONNECT) c.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
        if (ev === MG_EV_HTTP_MSG) got.push(`http ${(data as HttpMessage).status()} ${(data as HttpMessage).bodyText}`);
        if (ev === MG_EV_WAKEUP) got.push(`wakeup ${c.id} ${text(data as Uint8Array)}`);
      },
    });
    const ws = am.wsConnect(`ws://127.0.0.1:${port}/ws`, {
      handler: (c, ev, data) => {
        if (ev === MG_EV_WS_OPEN) c.wsSend("hello");
        if (ev === MG_EV_WS_MSG) got.push(`ws ${(data as WsMessage).text}`);
      },
    });
    let ticks = 0;
    const timer = am.timerAdd(10, () => { ticks++; }, { repeat: true });
    await waitFor(() => got.includes("http 200 hi /plain") && got.includes("ws echo hello") && ticks >= 2, 5000, "client answers and ticks").catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify({ got, ticks })}`); });
    timer.cancel();
    expect(am.connections).toEqual(expect.arrayContaining([client, ws]));
    expect(am.wakeup(client.id, "w")).toBe(true);
    await waitFor(() => got.includes(`wakeup ${client.id} w`), 3000, "wakeup");
    const handle = am.wakeupHandle();
    expect(handle.port).toBeDefined();
    const broker = await am.mqttListen("mqtt://127.0.0.1:0", {
      handler: (c, ev, data) => {
        if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
      },
    });
    am.mqttConnect(`mqtt://127.0.0.1:${broker.localAddr.port}`, {
      handler: (_c, ev, data) => { if (ev === MG_EV_MQTT_OPEN) got.push(`mqtt open ${String(data)}`); },
    });
    await waitFor(() => got.includes("mqtt open 0"), 3000, "MG_EV_MQTT_OPEN through am.mqttConnect");
    expect(typeof am.sntpConnect).toBe("function"); // needs a time server: tests/sntp.test.ts covers Manager.sntpConnect
  } finally {
    const closing = am.close();
    expect(() => am.connect("tcp://127.0.0.1:1")).toThrow(ManagerClosedError);
    expect(() => am.timerAdd(1, () => undefined)).toThrow(ManagerClosedError);
    await closing;
  }
});
