// register.ts: puts WebSocket into the core's protocol table (core/protocols.ts).
import { registerProtocol } from "../core/protocols";
import * as ws from "./ws";

registerProtocol("ws", { ...ws });
