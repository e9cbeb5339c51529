// register.ts: puts MQTT into the core's protocol table (core/protocols.ts);
// mqtt.ts adds its shutdown step (DISCONNECT) to lifecycle/shutdown.ts itself.
import { registerProtocol } from "../core/protocols";
import {
  mqttAck, mqttConnack, mqttConnect, mqttDisconnect, mqttListen, mqttPing, mqttPub, mqttSub, mqttSubackLike, mqttVersion,
} from "./mqtt";
import { MqttMessage } from "./mqtt-message";

registerProtocol("mqtt", {
  mqttConnect, mqttListen, mqttPub, mqttSub, mqttPing, mqttDisconnect, mqttConnack, mqttSubackLike, mqttAck, mqttVersion, MqttMessage,
});
