// event-data.ts: the `data` argument handlers get, built from host_event's
// ev_data pointer (its type per event is listed in wasm/src/mgx.h).
import { i32, u32 } from "./loader";
import { copyBytes, readCString } from "./core";
import { HttpMessage } from "./http-message";
import { MG_EV_ERROR, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_READ, MG_EV_SNTP_TIME, MG_EV_WAKEUP, MG_EV_WRITE } from "./constants";
import { u8 } from "./loader";

/** Whether `ev`'s data is a message view (HttpMessage), which must be expired after the handler call. */
export function isMessageEvent(ev: number): boolean {
  return ev === MG_EV_HTTP_MSG || ev === MG_EV_HTTP_HDRS;
}

/**
 * Build the handler's data for `ev`. Message views (isMessageEvent) must be
 * expired (`_expire`) after the call. The common per-request events cost
 * next to nothing: MG_EV_READ/WRITE read one int32, MG_EV_POLL and the other
 * pointer-less events are undefined; only errors and wakeups decode or copy.
 */
export function eventData(ev: number, ptr: number): unknown {
  if (ev === MG_EV_READ || ev === MG_EV_WRITE) return ptr ? i32()[ptr >>> 2] : 0;
  if (ev === MG_EV_HTTP_MSG || ev === MG_EV_HTTP_HDRS) return new HttpMessage(ptr);
  if (ev === MG_EV_ERROR) return readCString(ptr);
  // A double * (sntp.c): milliseconds since the epoch.
  if (ev === MG_EV_SNTP_TIME) return ptr ? new DataView(u8().buffer).getFloat64(ptr, true) : 0;
  if (ev === MG_EV_WAKEUP) {
    if (!ptr) return new Uint8Array(0);
    const w = u32();
    return copyBytes(w[ptr >>> 2], w[(ptr >>> 2) + 1]);
  }
  return undefined;
}
