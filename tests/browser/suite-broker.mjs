// suite-broker.mjs: the in-page cases of "a broker in a tab" (docs/browser.md):
// MqttBroker from dist/browser.mjs on the memory network, with our own MQTT
// clients in the same tab over mqtt:// and ws://. Registered by suite.mjs,
// which passes its helpers (kept apart so suite.mjs stays one concern).

/**
 * Registers the broker cases. `t` holds suite.mjs's helpers: test, assert,
 * assertEq, until, driven, and lib() (the loaded module, set after the cases
 * are registered, hence a getter).
 */
export function brokerCases(t) {
  const { test, assert, assertEq, until, driven, cleanup } = t;

  /** A broker on its own memory network, listening on mqtt://broker:1883 and ws://broker:80/mqtt. */
  function tabBroker() {
    const mg = t.lib();
    const net = mg.memoryNetwork();
    const server = driven(net);
    const broker = new mg.MqttBroker(server.mgr);
    broker.listen("mqtt://broker:1883");
    broker.listen("ws://broker:80/mqtt");
    // Cleanups run in reverse: the broker closes before its manager stops.
    cleanup(() => broker.close({ timeoutMs: 500 }));
    return { net, broker };
  }

  /** One of our MQTT clients on its own Manager; records messages, SUBACK/PUBACK/PUBCOMP and errors. */
  function tabClient(net, url, opts = {}) {
    const mg = t.lib();
    const cli = { open: false, closed: false, sessionPresent: undefined, got: [], acks: [], errors: [] };
    const client = driven(net);
    cli.conn = client.mgr.mqttConnect(url, {
      ...opts,
      handler: (c, ev, m) => {
        if (ev === mg.MG_EV_MQTT_OPEN) cli.open = true;
        else if (ev === mg.MG_EV_MQTT_CMD && m.cmd === mg.MQTT_CMD_CONNACK) cli.sessionPresent = m.sessionPresent;
        else if (ev === mg.MG_EV_MQTT_CMD && [mg.MQTT_CMD_SUBACK, mg.MQTT_CMD_PUBACK, mg.MQTT_CMD_PUBCOMP].includes(m.cmd)) cli.acks.push(m.cmd);
        else if (ev === mg.MG_EV_MQTT_MSG) cli.got.push([m.topic, m.text, m.qos, m.retain]);
        else if (ev === mg.MG_EV_ERROR) cli.errors.push(String(m));
        else if (ev === mg.MG_EV_CLOSE) cli.closed = true;
      },
    });
    const count = (cmd) => cli.acks.filter((a) => a === cmd).length;
    cli.opened = () => until(() => cli.open, 3000, `MG_EV_MQTT_OPEN from ${url}`);
    cli.sub = async (filter, qos) => {
      const n = count(mg.MQTT_CMD_SUBACK);
      cli.conn.mqttSub(filter, { qos });
      await until(() => count(mg.MQTT_CMD_SUBACK) > n, 3000, `SUBACK for ${filter}`);
    };
    /** Publishes and, for QoS 1/2, waits for the broker's PUBACK / PUBCOMP. */
    cli.pub = async (topic, text, qos, retain = false) => {
      const cmd = qos === 2 ? mg.MQTT_CMD_PUBCOMP : mg.MQTT_CMD_PUBACK;
      const n = count(cmd);
      cli.conn.mqttPub(topic, text, { qos, retain });
      if (qos > 0) await until(() => count(cmd) > n, 3000, `acknowledgement of ${topic}`);
    };
    return cli;
  }

  test("mqtt broker in a tab: mqtt:// and ws:// clients exchange QoS 0/1/2 and retained messages", async () => {
    const { net, broker } = tabBroker();
    broker.publish("cfg/site", "from the broker", { qos: 1, retain: true });
    const tcp = tabClient(net, "mqtt://broker:1883", { clientId: "tcp", version: 4 });
    const ws = tabClient(net, "ws://broker:80/mqtt", { clientId: "ws", version: 5 });
    await tcp.opened();
    await ws.opened();
    assert(ws.conn.isWebsocket, "the ws:// client is a WebSocket");
    await tcp.pub("cfg/tcp", "from tcp", 1, true);
    await ws.sub("cfg/#", 1);
    await until(() => ws.got.length === 2, 3000, "2 retained messages");
    ws.got.sort(([a], [b]) => (a < b ? -1 : 1)); // retained ones come in topic-tree order, not publish order
    assertEq(ws.got, [["cfg/site", "from the broker", 1, true], ["cfg/tcp", "from tcp", 1, true]], "retained on subscribe");
    ws.got.length = 0;
    await ws.sub("down/#", 2);
    await tcp.sub("up/#", 2);
    for (const qos of [0, 1, 2]) await tcp.pub(`down/${qos}`, `t${qos}`, qos);
    for (const qos of [0, 1, 2]) await ws.pub(`up/${qos}`, `w${qos}`, qos);
    await until(() => ws.got.length === 3 && tcp.got.length === 3, 3000, "3 messages each way");
    assertEq(ws.got, [["down/0", "t0", 0, false], ["down/1", "t1", 1, false], ["down/2", "t2", 2, false]], "mqtt:// -> ws://");
    assertEq(tcp.got, [["up/0", "w0", 0, false], ["up/1", "w1", 1, false], ["up/2", "w2", 2, false]], "ws:// -> mqtt://");
    assertEq([tcp.errors, ws.errors], [[], []], "errors");
    const s = broker.stats();
    assertEq([s.clients, s.retained], [2, 2], "broker stats: clients, retained");
    return "retained 2, QoS 0/1/2 both ways between mqtt:// and ws://";
  });

  test("mqtt broker in a tab: a persistent session gets its queued QoS 1 messages on reconnect", async () => {
    const { net, broker } = tabBroker();
    const opts = { clientId: "meter", cleanSession: false, version: 4 };
    const first = tabClient(net, "ws://broker:80/mqtt", opts);
    await first.opened();
    assertEq(first.sessionPresent, false, "first CONNACK session present");
    await first.sub("q/#", 1);
    first.conn.mqttDisconnect();
    await until(() => first.closed && broker.stats().clients === 0, 3000, "the client gone");
    const pub = tabClient(net, "mqtt://broker:1883", { clientId: "pub" });
    await pub.opened();
    for (const n of [1, 2, 3]) await pub.pub(`q/${n}`, `m${n}`, 1);
    await pub.pub("q/zero", "not kept", 0);
    await until(() => broker.stats().queued === 3, 3000, "3 messages queued in the session");
    const again = tabClient(net, "mqtt://broker:1883", opts);
    await again.opened();
    assertEq(again.sessionPresent, true, "second CONNACK session present");
    await until(() => again.got.length >= 3, 3000, "the queued messages");
    assertEq(again.got, [["q/1", "m1", 1, false], ["q/2", "m2", 1, false], ["q/3", "m3", 1, false]], "queued QoS 1, no QoS 0");
    // The session kept its subscription: a new message arrives without subscribing again.
    await pub.pub("q/4", "m4", 1);
    await until(() => again.got.length >= 4, 3000, "a live message on the resumed subscription");
    assertEq(again.got[3], ["q/4", "m4", 1, false], "live message");
    assertEq([first.errors, pub.errors, again.errors], [[], [], []], "errors");
    return "session present, 3 queued QoS 1 delivered on reconnect (ws:// then mqtt://)";
  });
}
