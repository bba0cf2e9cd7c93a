import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the kernel's choice for a listener on port 0,
 * closed again. Another process may take it before it is used (on a busy CI machine, another test
 * file's), so whatever can listen on port 0 and say where (carrel start's banner, carrel fleet's,
 * carrel sim's, a simulator's address in process) is given 0 and read back instead. What is left:
 * - a daemon that cannot take 0 and say so: Mosquitto (mosquitto.ts starts it again on a fresh port
 *   when its port was taken) and pcscd (private-pcscd.ts);
 * - a port that must have nothing on it, handed to a check that looks there and binds nothing for
 *   long: doctor's HTTP and MQTT port checks (doctor.test.ts; doctor-moved-broker.test.ts tries
 *   fresh ports when one was taken), a broker or ILS that is not there (connection refused:
 *   doctor-mqtt, mqtt-forget, fleet, koha-accounts tests), and an HTTP port where carrel mqtt
 *   forget finds no Carrel to ask (mosquitto-acl.test.ts). Run a file with
 *   `--config test/helpers/ports-taken.config.ts` to see it with the ports it is told are free taken.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}
