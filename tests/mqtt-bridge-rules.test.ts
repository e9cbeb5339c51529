// mqtt-bridge-rules.test.ts: the bridge's pure parts, without a network:
// topic rules mapped as mosquitto maps them (bridge_topic.c: prefix +
// pattern on each side, the first matching entry wins), and the echo guard
// bounded in count and in age.
import { EchoGuard } from "../ts/mqtt/bridge/echo-guard";
import { parseRules, route } from "../ts/mqtt/bridge/topics";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("topic rules", () => {
  const rules = parseRules("test", [
    { pattern: "sensors/#", direction: "out", qos: 1, localPrefix: "edge/", remotePrefix: "site1/" },
    { pattern: "cmd/+", direction: "in", remotePrefix: "site1/" },
    { pattern: "", direction: "both", localPrefix: "local/only", remotePrefix: "remote/only" },
    { pattern: "#", direction: "both", qos: 2 },
  ]);

  test("filters and defaults", () => {
    expect(rules.map((r) => [r.localFilter, r.remoteFilter, r.direction, r.qos])).toEqual([
      ["edge/sensors/#", "site1/sensors/#", "out", 1],
      ["cmd/+", "site1/cmd/+", "in", 0],
      ["local/only", "remote/only", "both", 0],
      ["#", "#", "both", 2],
    ]);
  });

  test("out: local prefix off, remote prefix on; the first matching entry wins", () => {
    expect(route(rules, "local", "edge/sensors/a/b")).toMatchObject({ topic: "site1/sensors/a/b", rule: rules[0] });
    expect(route(rules, "local", "local/only")).toMatchObject({ topic: "remote/only", rule: rules[2] });
    expect(route(rules, "local", "cmd/x")).toMatchObject({ topic: "cmd/x", rule: rules[3] }); // rule 1 is "in" only
  });

  test("in: the mirror image", () => {
    expect(route(rules, "remote", "site1/cmd/reboot")).toMatchObject({ topic: "cmd/reboot", rule: rules[1] });
    expect(route(rules, "remote", "remote/only")).toMatchObject({ topic: "local/only", rule: rules[2] });
    expect(route(rules, "remote", "site1/sensors/t")).toMatchObject({ topic: "site1/sensors/t", rule: rules[3] }); // rule 0 is "out" only
    expect(route(rules, "remote", "$SYS/x")).toBeUndefined(); // "#" does not match $ topics
  });

  test("nothing matches: undefined", () => {
    const only = parseRules("test", [{ pattern: "a/+", direction: "both" }]);
    expect(route(only, "local", "a/b/c")).toBeUndefined();
    expect(route(only, "remote", "b")).toBeUndefined();
  });
});

describe("echo guard", () => {
  test("drops each remembered message once, whatever the order", () => {
    const g = new EchoGuard(100, 10_000);
    g.sent("t", bytes("a"));
    g.sent("t", bytes("a"));
    g.sent("t", bytes("b"));
    expect(g.echo("t", bytes("b"))).toBe(true);
    expect(g.echo("t", bytes("b"))).toBe(false);
    expect(g.echo("u", bytes("a"))).toBe(false); // another topic
    expect(g.echo("t", bytes("a"))).toBe(true);
    expect(g.echo("t", bytes("a"))).toBe(true);
    expect(g.echo("t", bytes("a"))).toBe(false);
    expect(g.size).toBe(0);
  });

  test("bounded in count: the oldest are forgotten first", () => {
    const g = new EchoGuard(3, 10_000);
    for (let i = 0; i < 1000; i++) g.sent("t", bytes(String(i)));
    expect(g.size).toBe(3);
    expect(g.echo("t", bytes("996"))).toBe(false);
    expect(g.echo("t", bytes("997"))).toBe(true);
    expect(g.echo("t", bytes("999"))).toBe(true);
  });

  test("bounded in age", () => {
    const now = jest.spyOn(Date, "now");
    try {
      now.mockReturnValue(1_000_000);
      const g = new EchoGuard(100, 500);
      g.sent("t", bytes("old"));
      now.mockReturnValue(1_000_400);
      g.sent("t", bytes("new"));
      now.mockReturnValue(1_000_600);
      expect(g.echo("t", bytes("old"))).toBe(false);
      expect(g.echo("t", bytes("new"))).toBe(true);
      expect(g.size).toBe(0);
    } finally {
      now.mockRestore();
    }
  });

  test("an entry taken as an echo does not shorten the life of a newer equal one", () => {
    const now = jest.spyOn(Date, "now");
    try {
      now.mockReturnValue(0);
      const g = new EchoGuard(100, 500);
      g.sent("t", bytes("x"));
      expect(g.echo("t", bytes("x"))).toBe(true);
      now.mockReturnValue(400);
      g.sent("t", bytes("x"));
      now.mockReturnValue(600); // the first entry's age is over: only the first goes
      expect(g.echo("t", bytes("x"))).toBe(true);
    } finally {
      now.mockRestore();
    }
  });
});
