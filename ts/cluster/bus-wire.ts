// bus-wire.ts: what the cluster bus's worker half (bus.ts) and the primary's
// relay (relay.ts) say to each other over node:cluster IPC.

/** Set in the environment workers inherit from a primary that relays. */
export const BUS_ENV = "TSMONGOOSE_CLUSTER_BUS";

/** The messages of the bus (`tsmongoose` marks ours among the user's own IPC messages). */
export type BusMessage =
  /**
   * c: channel; d: the v8-serialized payloads, in order (what one worker sent
   * on that channel within one turn of its event loop); e: the sender wants
   * its own copy; w: the sender's worker id (set by the primary).
   */
  | { tsmongoose: "bus"; c: string; d: Uint8Array[]; e?: true; w?: number }
  | { tsmongoose: "bus-sub"; c: string }
  | { tsmongoose: "bus-unsub"; c: string };
