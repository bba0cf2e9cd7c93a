/**
 * `carrel start --http-port N` / `--mqtt-port N` (and doctor given them) on a port the desk's file
 * already uses: a device dialling this machine there, or a simulator listening there. The file alone
 * passed its check; the option would make Carrel talk a device's protocol to itself, or a listener
 * fail to start. (On a gate's port or another of Carrel's own: test/cli/gate-listen-hosts.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/app/config.js';
import { withPortOptions } from '../../src/app/port-options.js';
import { CarrelError } from '../../src/core/errors.js';

const desk = parseConfigText(
  [
    'version: 2',
    'http: { port: 8480 }',
    'mqtt: { mode: embedded, port: 1883 }',
    'devices:',
    '  - { id: receipt-1, kind: receipt-printer, transport: { type: tcp, host: localhost, port: 9100 } }',
    '  - { id: receipt-2, kind: receipt-printer, transport: { type: tcp, host: 192.168.1.41, port: 9101 } }',
    'simulators:',
    '  - { id: ils-sim, kind: ils, port: 6001, httpPort: 6080 }',
    '',
  ].join('\n'),
  'yaml',
  {},
);

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CarrelError && error.code === 'usage') return error.message;
    throw error;
  }
  throw new Error('expected the port option to be refused');
}

describe('--http-port / --mqtt-port where a device dials or a simulator listens', () => {
  it('refuses --http-port on the port a receipt printer of this machine is dialled at, naming it', () => {
    const said = refusal(() => withPortOptions(desk, { httpPort: 9100 }));
    expect(said).toContain('--http-port 9100');
    expect(said).toContain('receipt printer "receipt-1"');
    expect(said).toContain('localhost:9100');
    expect(said).toMatch(/choose another --http-port/);
  });

  it("refuses --mqtt-port on a simulator's port, naming the simulator and its setting", () => {
    const said = refusal(() => withPortOptions(desk, { mqttPort: 6080 }));
    expect(said).toContain('--mqtt-port 6080');
    expect(said).toContain('simulator "ils-sim"');
    expect(said).toContain('simulators[0].httpPort');
    expect(said).toMatch(/choose another --mqtt-port/);
  });

  it("takes a port only another machine's device uses, and port 0", () => {
    expect(withPortOptions(desk, { httpPort: 9101 }).http.port).toBe(9101);
    expect(withPortOptions(desk, { httpPort: 0, mqttPort: 0 }).mqtt).toMatchObject({ port: 0 });
  });
});

describe("--http-port / --mqtt-port where a simulator or the desk's external broker dials", () => {
  const dialling = parseConfigText(
    [
      'version: 2',
      'http: { port: 8480 }',
      'mqtt: { mode: embedded, port: 1883 }',
      'devices:',
      '  - { id: exit-1, kind: gate, driver: feig-notification, listen: { host: 127.0.0.1, port: 4710 }, address: 127.0.0.1 }',
      'simulators:',
      '  - { id: gate-sim, kind: gate, notify: { host: 127.0.0.1, port: 4711 } }',
      '  - { id: scanner-sim, kind: scanner, vpcd: { host: localhost, port: 4712 } }',
      '',
    ].join('\n'),
    'yaml',
    {},
  );

  it("refuses --http-port onto the port a gate simulator notifies, as the file's notify there is refused", () => {
    const said = refusal(() => withPortOptions(dialling, { httpPort: 4711 }));
    expect(said).toContain('--http-port 4711');
    expect(said).toContain('simulator "gate-sim"');
    expect(said).toContain('simulators[0].notify');
    expect(said).toContain('127.0.0.1:4711');
    expect(said).toMatch(/choose another --http-port/);
  });

  it("refuses --mqtt-port onto a scanner simulator's vpcd target, naming the simulator and its setting", () => {
    const said = refusal(() => withPortOptions(dialling, { mqttPort: 4712 }));
    expect(said).toContain('--mqtt-port 4712');
    expect(said).toContain('simulator "scanner-sim"');
    expect(said).toContain('simulators[1].vpcd');
    expect(said).toMatch(/choose another --mqtt-port/);
  });

  it("refuses --http-port onto the external broker's port on this machine, naming mqtt.url", () => {
    const external = parseConfigText(
      'version: 2\nhttp: { port: 8480 }\nmqtt: { mode: external, url: "mqtt://desk:s3cret@127.0.0.1:4713" }\n',
      'yaml',
      {},
    );
    const said = refusal(() => withPortOptions(external, { httpPort: 4713 }));
    expect(said).toContain('--http-port 4713');
    expect(said).toContain('mqtt.url');
    expect(said).toMatch(/choose another --http-port/);
    expect(said).not.toContain('s3cret');
    // A gate simulator told to notify exit-1's own listener is where it should be; other ports are free.
    expect(withPortOptions(dialling, { httpPort: 4799, mqttPort: 4798 }).http.port).toBe(4799);
    expect(withPortOptions(external, { httpPort: 4714 }).http.port).toBe(4714);
  });
});
