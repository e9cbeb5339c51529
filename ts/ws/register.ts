// register.ts: puts WebSocket into the core's protocol table (core/protocols.ts).
import { registerProtocol } from "../core/protocols";
import { WsMessage, wsClose, wsConnect, wsOutputFull, wsSend, wsSetLimit, wsShutdown, wsUpgrade } from "./ws";

registerProtocol("ws", { WsMessage, wsUpgrade, wsSend, wsClose, wsOutputFull, wsSetLimit, wsConnect, wsShutdown });
