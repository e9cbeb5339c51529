// suite-ws.mjs: the in-page WebSocket cases (text, binary, ping, close,
// message limits, no permessage-deflate in the browser) and MQTT over
// WebSocket in one tab, all over the memory network. Registered by
// suite.mjs, which passes its helpers (kept apart so suite.mjs stays small).

/**
 * Registers the WebSocket cases. `t` holds suite.mjs's helpers: test,
 * assert, assertEq, until, driven, httpClient, and lib() (the loaded module,
 * set after the cases are registered, hence a getter).
 */
export function wsCases(t) {
  const { test, assert, assertEq, until, driven, httpClient, lib } = t;

  // WebSocket over the memory network: the same core runs both ends.
  function wsPair(serverOpts = {}) {
    const net = lib().memoryNetwork();
    const srv = { msgs: [], ctl: [], closed: 0 };
    const server = driven(net, (c, ev, data) => {
      if (ev === lib().MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === lib().MG_EV_WS_MSG) {
        srv.msgs.push([data.opcode, data.data.length]);
        c.wsSend(data.data, data.opcode);
      } else if (ev === lib().MG_EV_WS_CTL) srv.ctl.push(data.opcode);
      else if (ev === lib().MG_EV_CLOSE && c.isAccepted) srv.closed++;
    }, serverOpts);
    server.mgr.listen("http://chat:80", { http: true });
    const client = driven(net);
    const cli = { open: false, msgs: [], ctl: [], errors: [], closed: false };
    const conn = client.mgr.wsConnect("ws://chat:80/room", {
      handler: (c, ev, data) => {
        if (ev === lib().MG_EV_WS_OPEN) cli.open = data.uri === "101";
        else if (ev === lib().MG_EV_WS_MSG) cli.msgs.push({ op: data.opcode, data: data.data, text: data.opcode === 1 ? data.text : undefined });
        else if (ev === lib().MG_EV_WS_CTL) cli.ctl.push({ op: data.opcode, code: data.closeCode });
        else if (ev === lib().MG_EV_ERROR) cli.errors.push(String(data));
        else if (ev === lib().MG_EV_CLOSE) cli.closed = true;
      },
    });
    return { srv, cli, conn };
  }

  test("websocket: server and client over the memory network (text, binary, ping, close)", async () => {
    const { srv, cli, conn } = wsPair();
    await until(() => cli.open, 3000, "MG_EV_WS_OPEN");
    assert(conn.isWebsocket, "isWebsocket");
    const bin = new Uint8Array(70000).map((_, i) => i % 7 === 0 ? 0 : i & 0xff);
    conn.wsSend("héllo \u{1F600}");
    conn.wsSend(bin, lib().WEBSOCKET_OP_BINARY);
    conn.wsSend("ping!", lib().WEBSOCKET_OP_PING);
    await until(() => cli.msgs.length === 2 && cli.ctl.length === 1, 3000, "echoes and pong");
    assertEq(cli.msgs[0].text, "héllo \u{1F600}", "text echo");
    assertEq(cli.msgs[1].op, lib().WEBSOCKET_OP_BINARY, "binary opcode");
    assert(cli.msgs[1].data.length === bin.length && cli.msgs[1].data.every((x, i) => x === bin[i]), "binary echo intact");
    assertEq(cli.ctl[0].op, lib().WEBSOCKET_OP_PONG, "automatic pong");
    assertEq(srv.ctl, [lib().WEBSOCKET_OP_PING], "server saw the ping");
    conn.wsClose(1000, "bye");
    await until(() => cli.closed && srv.closed === 1, 3000, "close handshake");
    assertEq(cli.ctl.map((c) => c.code), [undefined, 1000], "close echoed with 1000");
    return `${srv.msgs.length} messages echoed`;
  });

  test("websocket: a message over maxWsMessageSize closes with 1009", async () => {
    const { cli, conn } = wsPair({ limits: { maxWsMessageSize: 1000 } });
    await until(() => cli.open, 3000, "MG_EV_WS_OPEN");
    conn.wsSend(new Uint8Array(1001), lib().WEBSOCKET_OP_BINARY);
    await until(() => cli.closed, 3000, "close");
    assertEq(cli.ctl.map((c) => c.code), [1009], "close code");
  });

  test("websocket: permessage-deflate is not offered in the browser, even when asked", async () => {
    const net = lib().memoryNetwork();
    const offers = [];
    const sent = [];
    const server = driven(net, (c, ev, data) => {
      if (ev === lib().MG_EV_HTTP_MSG) {
        offers.push(data.header("Sec-WebSocket-Extensions") ?? "none");
        c.wsUpgrade(data, undefined, { deflate: true });
      } else if (ev === lib().MG_EV_WS_MSG) sent.push(c.wsSend(data, data.opcode));
    });
    server.mgr.listen("http://zip:80", { http: true });
    const client = driven(net);
    const cli = { answer: undefined, got: [] };
    const conn = client.mgr.wsConnect("ws://zip:80/", {
      deflate: true,
      handler: (c, ev, data) => {
        if (ev === lib().MG_EV_WS_OPEN) cli.answer = data.header("Sec-WebSocket-Extensions") ?? "none";
        else if (ev === lib().MG_EV_WS_MSG) cli.got.push(data.text);
      },
    });
    await until(() => cli.answer !== undefined, 3000, "MG_EV_WS_OPEN");
    const text = "compressible text ".repeat(300);
    assertEq(conn.wsSend(text), 8 + text.length, "sent whole (masked), not compressed");
    await until(() => cli.got.length === 1, 3000, "echo");
    assertEq([offers, cli.answer, sent, cli.got[0] === text], [["none"], "none", [4 + text.length], true], "no offer, no answer, no compression");
  });

  test("mqtt over websocket: mqttListen(ws://) and mqttConnect(ws://) in one tab", async () => {
    // A broker in the tab for tests: the listener answers as a tiny broker.
    const net = lib().memoryNetwork();
    const subs = new Set();
    const server = driven(net, (c, ev, m) => {
      if (ev !== lib().MG_EV_MQTT_CMD) return;
      if (m.cmd === lib().MQTT_CMD_CONNECT) c.mqttConnack(0);
      else if (m.cmd === lib().MQTT_CMD_SUBSCRIBE) { subs.add(c); c.mqttSuback(m.id, m.topics().map((t) => t.qos)); }
      else if (m.cmd === lib().MQTT_CMD_PUBLISH) {
        if (m.qos === 1) c.mqttPuback(m.id);
        if (m.qos === 2) c.mqttPubrec(m.id);
        for (const s of subs) s.mqttPub(m.topic, m.data, { qos: m.qos });
      } else if (m.cmd === lib().MQTT_CMD_PUBREL) c.mqttPubcomp(m.id);
      else if (m.cmd === lib().MQTT_CMD_PUBREC) c.mqttPubrel(m.id);
    });
    server.mgr.mqttListen("ws://broker:80/mqtt");
    const client = driven(net);
    const cli = { open: false, got: [], cmds: [], errors: [] };
    const conn = client.mgr.mqttConnect("ws://broker:80/mqtt", {
      version: 5,
      handler: (c, ev, m) => {
        if (ev === lib().MG_EV_MQTT_OPEN) cli.open = true;
        else if (ev === lib().MG_EV_MQTT_CMD) cli.cmds.push(m.cmd);
        else if (ev === lib().MG_EV_MQTT_MSG) cli.got.push([m.topic, m.data.length, m.qos]);
        else if (ev === lib().MG_EV_ERROR) cli.errors.push(String(m));
      },
    });
    await until(() => cli.open, 3000, "MG_EV_MQTT_OPEN");
    assert(conn.isWebsocket, "the client connection is a WebSocket");
    conn.mqttSub("t/#", { qos: 2 });
    await until(() => cli.cmds.includes(lib().MQTT_CMD_SUBACK), 3000, "SUBACK");
    for (const qos of [0, 1, 2]) conn.mqttPub(`t/${qos}`, "x".repeat(qos * 50_000 + 1), { qos });
    await until(() => cli.got.length === 3 && cli.cmds.includes(lib().MQTT_CMD_PUBCOMP), 3000, "3 messages back, PUBCOMP");
    assertEq(cli.got, [["t/0", 1, 0], ["t/1", 50001, 1], ["t/2", 100001, 2]], "messages");
    assertEq(cli.errors, [], "errors");
    return "QoS 0/1/2 over ws:// in the tab";
  });
}
