// message-view.ts: what HttpMessage, WsMessage and MqttMessage share: a view
// of a struct in the core's memory, readable only during the handler call
// that received it (the Manager expires it when the handler returns, since
// the core reuses that memory for the next message).
import { MessageExpiredError } from "./errors";

/** A message struct in the core's memory, valid only during its handler call. */
export abstract class MessageView {
  /** @internal The struct's address; 0 once expired. */
  protected _ptr: number;
  readonly #kind: string;

  /** @internal Created by the Manager for the event that carries it. */
  constructor(ptr: number, kind: string) {
    this._ptr = ptr;
    this.#kind = kind;
  }

  /** @internal Called by the Manager once the handler returned. */
  _expire(): void {
    this._ptr = 0;
  }

  /** Whether the view can still be read (false once its handler returned). */
  get valid(): boolean {
    return this._ptr !== 0;
  }

  /** @internal The struct's address; MessageExpiredError once the handler returned. */
  get _pointer(): number {
    if (this._ptr === 0) throw new MessageExpiredError(this.#kind);
    return this._ptr;
  }
}
