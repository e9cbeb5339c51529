// rpc.test.ts: the JSON-RPC 2.0 dispatcher: the standard error codes, async
// methods, notifications, the reference library's Rpc tests as twins, and
// examples/json-rpc.ts answering fetch() and a `ws` WebSocket client.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import {
  jsonGet, jsonGetNum, jsonGetStr, MongooseError, Rpc, RpcReq, RPC_INTERNAL_ERROR, RPC_INVALID_REQUEST,
  RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR,
} from "tsmongoose";
import WebSocket from "ws";
import { waitFor } from "./helpers/server";

const parse = (s: string): { id?: unknown; result?: unknown; error?: { code: number; message: string }; jsonrpc?: string } => JSON.parse(s);

describe("JSON-RPC 2.0", () => {
  test("results, ids of every kind, and the jsonrpc member", async () => {
    const rpc = new Rpc();
    rpc.add("sum", (req) => req.ok(String(jsonGetNum(req.params, "$[0]")! + jsonGetNum(req.params, "$[1]")!)));
    for (const id of ["1", '"abc"', "-7", "null"]) {
      const res = parse(await rpc.process(`{"jsonrpc":"2.0","id":${id},"method":"sum","params":[2,3]}`));
      expect(res).toEqual({ jsonrpc: "2.0", id: JSON.parse(id), result: 5 });
    }
  });

  test("standard errors: parse error, invalid request, unknown method, a throwing method", async () => {
    const rpc = new Rpc();
    rpc.add("boom", () => {
      throw new Error("bad value");
    });
    expect(parse(await rpc.process("{not json")).error!.code).toBe(RPC_PARSE_ERROR);
    expect(parse(await rpc.process("{not json")).id).toBeNull();
    expect(parse(await rpc.process("[1,2]")).error!.code).toBe(RPC_INVALID_REQUEST);
    expect(parse(await rpc.process('{"id":1}')).error!.code).toBe(RPC_INVALID_REQUEST);
    expect(parse(await rpc.process('{"id":1,"method":5}')).error!.code).toBe(RPC_INVALID_REQUEST);
    expect(parse(await rpc.process('{"jsonrpc":"1.0","id":1,"method":"boom"}')).error!.code).toBe(RPC_INVALID_REQUEST);
    expect(parse(await rpc.process('{"id":{"x":1},"method":"boom"}'))).toMatchObject({ id: null, error: { code: RPC_INVALID_REQUEST } });
    expect(parse(await rpc.process('{"id":3,"method":"nope"}'))).toMatchObject({ id: 3, error: { code: RPC_METHOD_NOT_FOUND } });
    expect(parse(await rpc.process('{"id":4,"method":"boom"}'))).toMatchObject({ id: 4, error: { code: RPC_INTERNAL_ERROR, message: "bad value" } });
  });

  test("async methods: the response waits for the promise; rejections are -32603", async () => {
    const rpc = new Rpc();
    rpc.add("later", async (req) => {
      await new Promise((r) => setTimeout(r, 10));
      return { echoed: jsonGetStr(req.params, "$.s") };
    });
    rpc.add("fails", async () => {
      await Promise.resolve();
      throw new Error("nope");
    });
    const pending = rpc.process('{"id":1,"method":"later","params":{"s":"\\u00e9t\\u00e9"}}');
    expect(pending).toBeInstanceOf(Promise);
    expect(parse(await pending).result).toEqual({ echoed: "été" });
    expect(parse(await rpc.process('{"id":2,"method":"fails"}')).error).toEqual({ code: RPC_INTERNAL_ERROR, message: "nope" });
    // A synchronous answer is a plain string.
    rpc.add("now", (req) => req.ok("true"));
    expect(rpc.process('{"id":3,"method":"now"}')).toBe('{"jsonrpc":"2.0","id":3,"result":true}');
  });

  test("notifications run the method and produce no response", async () => {
    const rpc = new Rpc();
    let called = 0;
    rpc.add("tick", () => {
      called++;
      return 1;
    });
    expect(await rpc.process('{"jsonrpc":"2.0","method":"tick"}')).toBe("");
    expect(await rpc.process('{"method":"unknown"}')).toBe("");
    expect(called).toBe(1);
  });

  test("bad arguments: TypeErrors; ok() checks its JSON", () => {
    const rpc = new Rpc();
    expect(() => rpc.add("", () => 1)).toThrow(TypeError);
    expect(() => rpc.add("x", 5 as never)).toThrow(TypeError);
    expect(() => rpc.process(5 as never)).toThrow(TypeError);
    rpc.add("badjson", (req) => req.ok("{oops"));
    expect(parse(rpc.process('{"id":1,"method":"badjson"}') as string).error!.code).toBe(RPC_INTERNAL_ERROR);
    expect(new RpcReq("{}", "m", "", "1").answered).toBe(false);
  });
});

// The reference library's tests/test_rpc.py, case for case.
describe("reference twins", () => {
  test("simple, string and numeric results", async () => {
    const rpc = new Rpc();
    rpc.add("echo", (req) => req.ok(jsonGet(req.frame, "$.params")!));
    rpc.add("greet", (req) => req.ok(JSON.stringify(`hello ${jsonGetStr(req.frame, "$.params[0]")}`)));
    rpc.add("add", (req) => req.ok(String(jsonGetNum(req.frame, "$.params[0]")! + jsonGetNum(req.frame, "$.params[1]")!)));
    const echo = parse(await rpc.process('{"id":1,"method":"echo","params":[1,2,3]}'));
    expect(echo.id).toBe(1);
    expect(echo.result).toEqual([1, 2, 3]);
    expect(parse(await rpc.process('{"id":1,"method":"greet","params":["world"]}')).result).toBe("hello world");
    expect(parse(await rpc.process('{"id":1,"method":"add","params":[3,4]}')).result).toBe(7);
  });

  test("errors: explicit, exception, unknown method, no response from the handler", async () => {
    const rpc = new Rpc();
    rpc.add("fail", (req) => req.err(-32000, "something broke"));
    rpc.add("boom", () => {
      throw new RangeError("bad value");
    });
    rpc.add("noop", () => {});
    expect(parse(await rpc.process('{"id":1,"method":"fail"}')).error).toEqual({ code: -32000, message: "something broke" });
    const boom = parse(await rpc.process('{"id":1,"method":"boom"}')).error!;
    expect(boom.code).toBe(-32603);
    expect(boom.message).toContain("bad value");
    expect(parse(await rpc.process('{"id":1,"method":"nonexistent"}')).error!.code).toBe(-32601);
    expect(parse(await rpc.process('{"id":1,"method":"noop"}')).error!.code).toBe(-32603);
  });

  test("notification, methods list, a second answer throws", async () => {
    const rpc = new Rpc();
    expect(rpc.methods).toEqual([]);
    const called: boolean[] = [];
    rpc.add("notify", (req) => {
      called.push(true);
      req.ok("null");
    });
    expect(await rpc.process('{"method":"notify"}')).toBe("");
    expect(called).toEqual([true]);
    rpc.add("add", (r) => r.ok("0"));
    rpc.add("sub", (r) => r.ok("0"));
    expect(rpc.methods).toEqual(expect.arrayContaining(["add", "sub"]));
    const errors: unknown[] = [];
    rpc.add("bad", (req) => {
      req.ok("1");
      try {
        req.ok("2");
      } catch (e) {
        errors.push(e);
      }
      try {
        req.err(-2, "second");
      } catch (e) {
        errors.push(e);
      }
    });
    expect(parse(await rpc.process('{"id":1,"method":"bad"}')).result).toBe(1);
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e).toBeInstanceOf(MongooseError);
      expect((e as MongooseError).code).toBe("ERR_RPC_ANSWERED");
      expect(String(e)).toContain("already sent");
    }
  });
});

describe("examples/json-rpc.ts", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  test("answers JSON-RPC over POST /rpc to fetch(), then stops on SIGTERM", async () => {
    child = spawn(process.execPath, [join(__dirname, "..", "build", "examples", "json-rpc.mjs")],
      { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
    const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
    await waitFor(() => /Press Ctrl\+C/.test(out), 10_000, "the example to start");
    const base = /Server running on (http:\/\/\S+)/.exec(out)![1];
    const call = async (body: string): Promise<Response> =>
      fetch(`${base}/rpc`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
    const sum = await call('{"jsonrpc":"2.0","id":1,"method":"sum","params":[2,3]}');
    expect(sum.status).toBe(200);
    expect(sum.headers.get("content-type")).toBe("application/json");
    expect(await sum.json()).toEqual({ jsonrpc: "2.0", id: 1, result: 5 });
    expect(await (await call('{"jsonrpc":"2.0","id":2,"method":"hello","params":{"name":"rpc"}}')).json()).toMatchObject({ result: "hello rpc" });
    expect(await (await call('{"jsonrpc":"2.0","id":3,"method":"later"}')).json()).toMatchObject({ result: { done: true } });
    expect(await (await call('{"jsonrpc":"2.0","id":4,"method":"sum","params":["x"]}')).json()).toMatchObject({ error: { code: -32602 } });
    expect((await call('{"jsonrpc":"2.0","method":"sum","params":[1,1]}')).status).toBe(204);
    expect((await fetch(`${base}/other`)).status).toBe(404);

    // Over a WebSocket: answers in call order, even when the first one is async; none for a notification.
    const ws = new WebSocket(`${base.replace("http:", "ws:")}/ws`);
    const answers: { id?: unknown; result?: unknown; error?: { code: number } }[] = [];
    ws.on("message", (d) => answers.push(parse(String(d))));
    await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
    ws.send('{"jsonrpc":"2.0","id":"a","method":"later"}');
    ws.send('{"jsonrpc":"2.0","method":"hello"}');
    ws.send('{"jsonrpc":"2.0","id":"b","method":"sum","params":[40,2]}');
    ws.send("{oops");
    await waitFor(() => answers.length === 3, 5000, "three answers over the WebSocket");
    expect(answers).toEqual([
      { jsonrpc: "2.0", id: "a", result: { done: true } },
      { jsonrpc: "2.0", id: "b", result: 42 },
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: RPC_PARSE_ERROR }) }),
    ]);
    const wsClosed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    child.kill("SIGTERM");
    await wsClosed; // shutdown closes open WebSockets (1001)
    expect(await exited).toBe(0);
    expect(out).toContain("Server stopped cleanly");
  });
});
