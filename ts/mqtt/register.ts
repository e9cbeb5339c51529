// register.ts: puts MQTT into the core's protocol table (core/protocols.ts);
// mqtt.ts adds its shutdown step (DISCONNECT) to lifecycle/shutdown.ts itself.
import { registerProtocol } from "../core/protocols";
import * as mqtt from "./mqtt";
import * as message from "./mqtt-message";

registerProtocol("mqtt", { ...mqtt, ...message });
