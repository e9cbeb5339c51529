// topics.ts: topic name and filter rules (MQTT 4.7) and a subscription tree
// that finds every subscription matching a topic in time proportional to the
// topic's depth, not the number of subscriptions. Usable on its own.
import { argTypeError, checkFunction } from "../../core/args";

function str(op: string, name: string, v: unknown): string {
  if (typeof v !== "string") throw argTypeError(op, name, "a string", v);
  return v;
}

/** A valid topic name for PUBLISH: non-empty, no wildcard, no NUL. */
export function validTopicName(topic: string): boolean {
  str("validTopicName", "topic", topic);
  return topic.length > 0 && !/[+#\0]/.test(topic);
}

/** A valid topic filter: non-empty, no NUL, `+` a whole level, `#` a whole last level. */
export function validTopicFilter(filter: string): boolean {
  str("validTopicFilter", "filter", filter);
  if (filter.length === 0 || filter.includes("\0")) return false;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.length > 1 && /[+#]/.test(l)) return false;
    if (l === "#" && i !== levels.length - 1) return false;
  }
  return true;
}

/** `$share/group/filter` -> its group and filter; undefined when not shared; null when malformed (4.8.2). */
export function parseShared(filter: string): { group: string; filter: string } | undefined | null {
  if (!filter.startsWith("$share/")) return undefined;
  const rest = filter.slice(7);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  const f = rest.slice(slash + 1);
  if (/[+#]/.test(group) || !validTopicFilter(f)) return null;
  return { group, filter: f };
}

/** MQTT matching: `+` one level, `#` the rest and the parent; `$` topics need an explicit first level. */
export function topicMatches(filter: string, topic: string): boolean {
  str("topicMatches", "filter", filter);
  str("topicMatches", "topic", topic);
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

interface Node<V> { children: Map<string, Node<V>>; values: Set<V> }

function node<V>(): Node<V> {
  return { children: new Map(), values: new Set() };
}

/** Values filed under topic filters; match(topic) visits each value whose filter matches. */
export class TopicTree<V> {
  #root: Node<V> = node();
  #size = 0;

  /** Values in the tree. */
  get size(): number {
    return this.#size;
  }

  /** File `v` under `filter` (a valid filter). */
  add(filter: string, v: V): void {
    str("TopicTree.add", "filter", filter);
    let n = this.#root;
    for (const l of filter.split("/")) {
      let c = n.children.get(l);
      if (c === undefined) n.children.set(l, (c = node()));
      n = c;
    }
    if (!n.values.has(v)) {
      n.values.add(v);
      this.#size++;
    }
  }

  /** Remove `v` from under `filter`; empty branches go. */
  delete(filter: string, v: V): boolean {
    str("TopicTree.delete", "filter", filter);
    const path: [Node<V>, string][] = [];
    let n = this.#root;
    for (const l of filter.split("/")) {
      const c = n.children.get(l);
      if (c === undefined) return false;
      path.push([n, l]);
      n = c;
    }
    if (!n.values.delete(v)) return false;
    this.#size--;
    for (let i = path.length - 1; i >= 0 && n.values.size === 0 && n.children.size === 0; i--) {
      const [parent, l] = path[i];
      parent.children.delete(l);
      n = parent;
    }
    return true;
  }

  /** Call `visit` for every value whose filter matches `topic`. */
  match(topic: string, visit: (v: V) => void): void {
    str("TopicTree.match", "topic", topic);
    checkFunction("TopicTree.match", "visit", visit);
    const levels = topic.split("/");
    this.#walk(this.#root, levels, 0, topic.startsWith("$"), visit);
  }

  #walk(n: Node<V>, levels: string[], i: number, dollar: boolean, visit: (v: V) => void): void {
    const wild = !(dollar && i === 0);
    if (wild) {
      const all = n.children.get("#");
      if (all !== undefined) for (const v of all.values) visit(v);
    }
    if (i === levels.length) {
      for (const v of n.values) visit(v);
      return;
    }
    const exact = n.children.get(levels[i]);
    if (exact !== undefined) this.#walk(exact, levels, i + 1, dollar, visit);
    if (wild) {
      const one = n.children.get("+");
      if (one !== undefined) this.#walk(one, levels, i + 1, dollar, visit);
    }
  }
}
