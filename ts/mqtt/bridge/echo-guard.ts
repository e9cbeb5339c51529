// echo-guard.ts: loop prevention where No Local is not available (an MQTT
// 3.1.1 side): the bridge remembers what it just published on a side, and
// when the same topic and payload come back from that side through its own
// subscription it drops them once. Bounded in count and in age, so memory
// never grows with traffic; the cost is that a genuinely new message equal
// to one the bridge forwarded a moment before (within `windowMs`) is taken
// for the echo and dropped.

interface Entry { key: string; at: number; done: boolean }

/** FNV-1a over the payload: a short fingerprint (collisions only cost one more comparison of topic and length). */
function fingerprint(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

/** The recent messages the bridge published on one side. */
export class EchoGuard {
  /** key -> its live entries, oldest first. */
  readonly #byKey = new Map<string, Entry[]>();
  /** Every entry in the order sent (done ones are skipped when they expire). */
  #order: Entry[] = [];
  #head = 0;
  #live = 0;

  constructor(readonly max: number, readonly windowMs: number) {}

  #key(topic: string, payload: Uint8Array): string {
    return `${topic}\0${payload.length}\0${fingerprint(payload)}`;
  }

  #expire(now: number): void {
    while (this.#head < this.#order.length) {
      const e = this.#order[this.#head];
      if (!e.done && this.#live <= this.max && now - e.at <= this.windowMs) break;
      this.#head++;
      if (!e.done) this.#take(e.key);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Mark the oldest live entry of `key` done; false when there is none. */
  #take(key: string): boolean {
    const list = this.#byKey.get(key);
    if (list === undefined) return false;
    list.shift()!.done = true;
    this.#live--;
    if (list.length === 0) this.#byKey.delete(key);
    return true;
  }

  /** The bridge published this on the side. */
  sent(topic: string, payload: Uint8Array): void {
    const now = Date.now();
    const e: Entry = { key: this.#key(topic, payload), at: now, done: false };
    const list = this.#byKey.get(e.key);
    if (list === undefined) this.#byKey.set(e.key, [e]);
    else list.push(e);
    this.#order.push(e);
    this.#live++;
    this.#expire(now);
  }

  /** This arrived from the side: true (and forgotten) when it is the echo of something the bridge sent. */
  echo(topic: string, payload: Uint8Array): boolean {
    this.#expire(Date.now());
    return this.#take(this.#key(topic, payload));
  }

  /** Messages remembered. */
  get size(): number {
    return this.#live;
  }
}
