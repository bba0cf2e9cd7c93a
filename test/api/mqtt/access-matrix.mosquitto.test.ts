import { mosquittoSkipReason } from '../../helpers/mosquitto.js';
import { describeAccessMatrix } from './access-matrix.js';
import { AUDITOR, startSecuredMosquitto, TOKENS } from './mosquitto-rig.js';

const skipReason = mosquittoSkipReason();
if (skipReason) console.warn(skipReason);

/** The same matrix on a real Mosquitto with the ACL `carrel mqtt acl` prints, over MQTT 5 and 3.1.1. */
for (const protocolVersion of [5, 4] as const) {
  describeAccessMatrix(
    `Mosquitto with Carrel's ACL, MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`,
    async () => {
      const { mosquitto, bus, stop } = await startSecuredMosquitto(protocolVersion);
      return {
        url: mosquitto.url,
        protocolVersion,
        bus,
        auditor: AUDITOR,
        // The client id each asks for is ignored: the broker uses the user name.
        parties: TOKENS.map((t) => ({
          name: t.name,
          connect: { clientId: `chosen-${t.name}`, username: t.name, password: t.token },
        })),
        sharedSubscriptions: true,
        stop,
      };
    },
    skipReason,
  );
}
