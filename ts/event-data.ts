// event-data.ts: the `data` argument handlers get, built from host_event's
// ev_data pointer (its type per event is listed in wasm/src/mgx.h).
import { i32, u32 } from "./loader";
import { copyBytes, readCString } from "./core";
import { HttpMessage } from "./http-message";
import { MG_EV_ERROR, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_READ, MG_EV_WAKEUP, MG_EV_WRITE } from "./constants";

/** Build the handler's data for `ev`. Message views must be expired (`_expire`) after the call. */
export function eventData(ev: number, ptr: number): unknown {
  switch (ev) {
    case MG_EV_HTTP_MSG:
    case MG_EV_HTTP_HDRS:
      return new HttpMessage(ptr);
    case MG_EV_READ:
    case MG_EV_WRITE:
      return ptr ? i32()[ptr >>> 2] : 0;
    case MG_EV_ERROR:
      return readCString(ptr);
    case MG_EV_WAKEUP: {
      if (!ptr) return new Uint8Array(0);
      const w = u32();
      return copyBytes(w[ptr >>> 2], w[(ptr >>> 2) + 1]);
    }
    default:
      return undefined;
  }
}
