import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/core/errors.js';
import { formatConfigErrors } from '../../../src/gateway/config/format.js';

const fixture = (name: string) => new URL(`../../fixtures/config/${name}`, import.meta.url).pathname;

// Broken files are inline: biome would refuse them as fixtures.
const BROKEN_YAML = [
  'version: 1',
  'devices:',
  '  - id: receipt-1',
  '    kind: receipt-printer',
  '    transport: { type: tcp, host: 127.0.0.1',
  '  port: 9100',
  '',
].join('\n');
const BROKEN_JSON = [
  '{',
  '  "version": 1,',
  '  "devices": [',
  '    { "id": "receipt-1", }',
  '  ]',
  '}',
  '',
].join('\n');

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

describe('loadConfigFile', () => {
  it('loads a JSON file, applies defaults and freezes the result', () => {
    const config = loadConfigFile(fixture('valid.json'), {});
    expect(config.site).toBe('main-branch');
    expect(config.gateway).toBe('desk-1');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8480, allowedOrigins: [] });
    expect(config.devices.map((d) => d.id)).toEqual(['receipt-1', 'receipt-2']);
    const serial = config.devices[1]!.transport;
    expect(serial).toMatchObject({ type: 'serial', baudRate: 19200, parity: 'none', stopBits: 1 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.devices[1]!.transport)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reports every error in one go, each with its path and a sentence', () => {
    const error = configErrorOf(() => loadConfigFile(fixture('many-errors.yaml'), {}));
    const byPath = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    expect(byPath).toEqual({
      colums: 'unknown setting "colums"',
      'http.port': 'must be a number, got "abc"',
      'mqtt.mode': 'must be one of off, embedded, external, got "carrier-pigeon"',
      'log.level': 'must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'devices[0].colums': 'unknown setting "colums" (did you mean "columns"?)',
      'devices[0].transport.type': 'must be one of tcp, serial, lp, simulator, got "usb"',
      'devices[1].columns': 'must be at most 64, got 99',
      'devices[1].transport.port': 'must be a number, got "9100x"',
      // The value of a secret is never repeated back.
      'auth.tokens[0].token': 'must be at least 16 characters',
    });
    expect(error.code).toBe('config_invalid');
  });

  it('formats one line per error', () => {
    const error = configErrorOf(() => loadConfigFile(fixture('many-errors.yaml'), {}));
    const lines = formatConfigErrors(error).split('\n');
    expect(lines).toHaveLength(error.issues.length);
    expect(lines).toContain('  devices[1].transport.port: must be a number, got "9100x"');
    expect(lines).toContain('  devices[0].colums: unknown setting "colums" (did you mean "columns"?)');
  });

  it('reports a YAML syntax error with line and column', () => {
    const error = configErrorOf(() => parseConfigText(BROKEN_YAML, 'yaml', {}));
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(issue.path).toBe('');
      expect(issue.message).toMatch(/^YAML syntax error at line \d+, column \d+: \S/);
    }
  });

  it('reports a JSON syntax error with line and column', () => {
    const error = configErrorOf(() => parseConfigText(BROKEN_JSON, 'json', {}));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.message).toMatch(/^JSON syntax error at line 4, column \d+: /);
  });

  it('reports a key written twice', () => {
    const error = configErrorOf(() => parseConfigText('version: 1\nsite: a\nsite: b\n', 'yaml', {}));
    expect(error.issues[0]!.message).toMatch(/^YAML syntax error at line 3, column 1: .*unique/i);
  });

  it('rejects an empty file and a file that is not a mapping', () => {
    expect(configErrorOf(() => parseConfigText('# nothing\n', 'yaml', {})).issues).toEqual([
      { path: '', message: 'the file is empty; start it with `version: 2`' },
    ]);
    expect(configErrorOf(() => parseConfigText('- 1\n- 2\n', 'yaml', {})).issues[0]!.message).toMatch(
      /must hold a mapping/,
    );
  });

  it('refuses a token named as records name a tokenless caller, and two tokens sharing a name or a value', () => {
    const token = (name: string, value: string) =>
      `  - { name: "${name}", token: "${value}", scopes: [staff] }`;
    const yaml = (...tokens: string[]) => ['version: 2', 'auth:', '  tokens:', ...tokens, ''].join('\n');
    // An alarm acknowledged or money paid out by this token would read as done "at this desk", by
    // nobody in particular, and "loopback" is how an older Carrel kept that.
    for (const name of ['at this desk', 'At This Desk ', 'loopback']) {
      const error = configErrorOf(() => parseConfigText(yaml(token(name, 'a'.repeat(24))), 'yaml', {}));
      expect(error.issues).toEqual([
        {
          path: 'auth.tokens[0].name',
          message: `"${name.trim().toLowerCase()}" is what records say of a caller of a desk without tokens; give this token a name of its own, such as "kiosk-1"`,
        },
      ]);
    }
    const twice = configErrorOf(() =>
      parseConfigText(yaml(token('desk', 'a'.repeat(24)), token('desk', 'b'.repeat(24))), 'yaml', {}),
    );
    expect(twice.issues).toEqual([
      {
        path: 'auth.tokens[1].name',
        message: 'tokens[0] has this name too: records could not tell them apart',
      },
    ]);
    const sameValue = configErrorOf(() =>
      parseConfigText(yaml(token('kiosk-1', 'c'.repeat(24)), token('kiosk-2', 'c'.repeat(24))), 'yaml', {}),
    );
    // The secret itself is never repeated back.
    expect(sameValue.issues).toEqual([
      {
        path: 'auth.tokens[1].token',
        message:
          'the same token as tokens[0] (kiosk-1): each holder needs a token of its own, or records name the wrong one',
      },
    ]);
    expect(JSON.stringify(sameValue.issues)).not.toContain('c'.repeat(16));
  });

  it('names an unreadable file in one error', () => {
    const error = configErrorOf(() => loadConfigFile('/nonexistent/carrel.yaml', {}));
    expect(error.issues).toEqual([
      { path: '', message: 'cannot read /nonexistent/carrel.yaml: no such file' },
    ]);
  });

  it('stops reading at 4 MiB with one error: a wrong path never fills the memory', () => {
    // /dev/zero never ends: before, the daemon and `carrel config check` died in std::bad_alloc.
    expect(configErrorOf(() => loadConfigFile('/dev/zero', {})).issues).toEqual([
      { path: '', message: 'cannot read /dev/zero: larger than 4 MiB, so not a configuration file' },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'carrel-config-'));
    try {
      const big = join(dir, 'big.yaml');
      writeFileSync(
        big,
        `version: 2
#${'x'.repeat(4 * 1024 * 1024)}
`,
      );
      expect(configErrorOf(() => loadConfigFile(big, {})).issues[0]!.message).toMatch(/larger than 4 MiB/);
      const directory = configErrorOf(() => loadConfigFile(dir, {}));
      expect(directory.issues[0]!.message).toBe(`cannot read ${dir}: it is a directory, not a file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a configuration from a pipe, as `--config <(envsubst < carrel.yaml)` gives it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-config-'));
    try {
      const fifo = join(dir, 'carrel.yaml');
      execFileSync('mkfifo', [fifo]);
      // Another process writes it, as the shell would; a pipe has no size until it ends.
      const writer = spawn('sh', ['-c', `printf 'version: 2\nsite: piped\n' > "${fifo}"`]);
      const config = loadConfigFile(fifo, {});
      expect(config.site).toBe('piped');
      writer.kill();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a file without a version, saying what to add, and still reports the rest', () => {
    const error = configErrorOf(() => loadConfigFile(fixture('no-version.yaml'), {}));
    expect(error.issues).toEqual([
      { path: 'version', message: 'is missing: add `version: 2` at the top of the file' },
      { path: 'devices[0].colour', message: 'unknown setting "colour"' },
    ]);
  });

  it('rejects a file from a newer Carrel, saying to upgrade', () => {
    const error = configErrorOf(() => loadConfigFile(fixture('future-version.yaml'), {}));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('version');
    expect(error.issues[0]!.message).toMatch(
      /is 7, but this Carrel understands config versions up to 2; upgrade Carrel/,
    );
  });

  it('names the allowed values of a literal union and the id pattern', () => {
    const text = [
      'version: 1',
      'site: Main Branch',
      'simulators: []',
      'devices:',
      '  - id: r1',
      '    kind: receipt-printer',
      '    transport: { type: serial, path: /dev/ttyUSB0, dataBits: 9 }',
      '  - id: r2',
      '    kind: receipt-printer',
      '    transport: { type: simulator, simulator: nowhere }',
    ].join('\n');
    const error = configErrorOf(() => parseConfigText(text, 'yaml', {}));
    expect(error.issues).toContainEqual({
      path: 'devices[0].transport.dataBits',
      message: 'must be one of 7, 8, got 9',
    });
    expect(error.issues).toContainEqual({
      path: 'site',
      message: 'must be lower-case letters, digits, "-" or "_" (at most 63), got "Main Branch"',
    });
  });

  it('reports references between sections once the shape is right', () => {
    const text = [
      'version: 1',
      'devices:',
      '  - { id: r1, kind: receipt-printer, transport: { type: simulator, simulator: nowhere } }',
      '  - { id: r1, kind: receipt-printer, transport: { type: lp, path: /dev/usb/lp0 } }',
    ].join('\n');
    const error = configErrorOf(() => parseConfigText(text, 'yaml', {}));
    expect(error.issues).toEqual([
      { path: 'devices[0].transport.simulator', message: 'no simulator with id "nowhere" is configured' },
      { path: 'devices[1].id', message: 'duplicate device id "r1"' },
    ]);
  });

  it('says which kind of simulator a device needs when it names one of another kind', () => {
    const text = [
      'version: 2',
      'simulators:',
      '  - { id: pad-sim, kind: rfid-pad }',
      'devices:',
      '  - { id: ils, kind: ils, transport: { type: simulator, simulator: pad-sim } }',
    ].join('\n');
    const error = configErrorOf(() => parseConfigText(text, 'yaml', {}));
    expect(error.issues).toEqual([
      {
        path: 'devices[0].transport.simulator',
        message: 'simulator "pad-sim" is of kind "rfid-pad"; this device needs a simulator of kind "ils"',
      },
    ]);
  });

  it('wants the session receipt printer to be a configured receipt printer', () => {
    const text = [
      'version: 1',
      'devices:',
      '  - { id: pad-1, kind: rfid-reader, protocol: feig, transport: { type: tcp, host: 10.0.0.9, port: 10001 } }',
      'sessions: { receipt: { printer: pad-1 } }',
    ].join('\n');
    const error = configErrorOf(() => parseConfigText(text, 'yaml', {}));
    expect(error.issues).toEqual([
      { path: 'sessions.receipt.printer', message: 'no receipt printer with id "pad-1" is configured' },
    ]);
  });

  it('refuses a cash box capacity that is no count of coins or notes, saying what it wants', () => {
    const coins = (capacity: string) =>
      [
        'version: 2',
        'devices:',
        `  - { id: coins-1, kind: cash-device, device: coin-acceptor, transport: { type: serial, path: /dev/ttyUSB0 }, cashBoxCapacity: ${capacity} }`,
      ].join('\n');
    const issues = (capacity: string) =>
      configErrorOf(() => parseConfigText(coins(capacity), 'yaml', {})).issues;
    expect(issues('0')).toEqual([
      { path: 'devices[0].cashBoxCapacity', message: 'a cash box holds at least one coin or note, got 0' },
    ]);
    expect(issues('12.5')).toEqual([
      {
        path: 'devices[0].cashBoxCapacity',
        message: 'how many coins or notes the cash box holds: a whole number such as 500, got 12.5',
      },
    ]);
    expect(issues('"full"')).toEqual([
      {
        path: 'devices[0].cashBoxCapacity',
        message: 'how many coins or notes the cash box holds: a whole number such as 500, got "full"',
      },
    ]);
    expect(issues('250000')[0]).toMatchObject({ path: 'devices[0].cashBoxCapacity' });
    const device = parseConfigText(coins('800'), 'yaml', {}).devices[0];
    expect(device).toMatchObject({ id: 'coins-1', cashBoxCapacity: 800 });
  });

  it('refuses a 3M pad set to secure items by EAS, which its protocol cannot read or write', () => {
    const pad = (protocol: string, method: string) =>
      [
        'version: 2',
        'devices:',
        `  - { id: pad-1, kind: rfid-reader, protocol: ${protocol}, transport: { type: serial, path: /dev/ttyUSB0 }, security: { method: ${method} } }`,
      ].join('\n');
    for (const method of ['eas', 'afi+eas']) {
      const error = configErrorOf(() => parseConfigText(pad('3m', method), 'yaml', {}));
      expect(error.issues).toEqual([
        {
          path: 'devices[0].security.method',
          message:
            'a 3M pad (protocol 3m) cannot read or set a tag’s EAS bit: it secures items by the AFI only (method: afi)',
        },
      ]);
    }
    expect(parseConfigText(pad('3m', 'afi'), 'yaml', {}).devices).toHaveLength(1);
    expect(parseConfigText(pad('feig', 'eas'), 'yaml', {}).devices).toHaveLength(1);
  });

  it('refuses the API or the embedded broker beyond this machine without tokens, as the start would', () => {
    const error = configErrorOf(() =>
      parseConfigText(
        'version: 2\nhttp: { host: 0.0.0.0 }\nmqtt: { mode: embedded, host: 192.168.1.5 }\n',
        'yaml',
        {},
      ),
    );
    expect(error.issues).toEqual([
      {
        path: 'http.host',
        message:
          'refusing to serve the API on 0.0.0.0 with no tokens configured: add auth.tokens or bind 127.0.0.1',
      },
      {
        path: 'mqtt.host',
        message:
          'refusing to serve MQTT on 192.168.1.5 with no tokens configured: add auth.tokens or bind 127.0.0.1',
      },
    ]);
    // With a token, or on loopback (a name or an address), it is the desk's to serve.
    const tokens = 'auth: { tokens: [{ name: kiosk-1, token: kiosk-token-0123456789, scopes: [kiosk] }] }';
    expect(parseConfigText(`version: 2\nhttp: { host: 0.0.0.0 }\n${tokens}\n`, 'yaml', {}).http.host).toBe(
      '0.0.0.0',
    );
    for (const host of ['localhost', '127.0.0.1', '::1'])
      expect(parseConfigText(`version: 2\nhttp: { host: "${host}" }\n`, 'yaml', {}).http.host).toBe(host);
  });

  it("refuses two of Carrel's own listeners on one port, and takes them on two addresses", () => {
    const ils =
      'devices:\n  - { id: ils, kind: ils, transport: { type: tcp, host: 127.0.0.1, port: 6001 }, user: desk1, password: pw }';
    const error = configErrorOf(() =>
      parseConfigText(
        [
          'version: 2',
          'http: { port: 4001 }',
          'mqtt: { mode: embedded, port: 4001 }',
          'sip2Relay: { host: localhost, port: 4001, accounts: [{ kioskUser: sc1, kioskPassword: pw }] }',
          ils,
        ].join('\n'),
        'yaml',
        {},
      ),
    );
    expect(error.issues).toEqual([
      {
        path: 'mqtt.port',
        message:
          'mqtt.port 4001 would put its MQTT broker where Carrel serves its HTTP API (http: 127.0.0.1:4001): they cannot both listen there — choose another mqtt.port',
      },
      {
        path: 'sip2Relay.port',
        message:
          'sip2Relay.port 4001 would put its SIP2 relay where Carrel serves its HTTP API (http: 127.0.0.1:4001): they cannot both listen there — choose another sip2Relay.port',
      },
    ]);
    // The broker on another address of the machine than the API's listens beside it; port 0 is the system's choice.
    const tokens = 'auth: { tokens: [{ name: kiosk-1, token: kiosk-token-0123456789, scopes: [kiosk] }] }';
    const apart = parseConfigText(
      [
        'version: 2',
        'http: { port: 4001 }',
        'mqtt: { mode: embedded, host: 192.168.1.5, port: 4001 }',
        tokens,
      ].join('\n'),
      'yaml',
      {},
    );
    expect(apart.mqtt).toMatchObject({ host: '192.168.1.5', port: 4001 });
    expect(
      parseConfigText('version: 2\nhttp: { port: 0 }\nmqtt: { mode: embedded, port: 0 }\n', 'yaml', {}).http
        .port,
    ).toBe(0);
  });

  it('refuses a device that would dial Carrel itself, naming the device, the port and what to change', () => {
    // A desk's file copied from another desk: its devices' ports on this desk are Carrel's own.
    const tokens = 'auth: { tokens: [{ name: kiosk-1, token: kiosk-token-0123456789, scopes: [kiosk] }] }';
    const desk = (devices: string[]) =>
      [
        'version: 2',
        'http: { port: 4101 }',
        'mqtt: { mode: embedded, host: "::", port: 4102 }',
        'sip2Relay: { host: 0.0.0.0, port: 4103, accounts: [{ kioskUser: sc1, kioskPassword: pw }] }',
        tokens,
        'devices:',
        ...devices.map((device) => `  - ${device}`),
      ].join('\n');
    const ils = (host: string, port: number) =>
      `{ id: ils, kind: ils, transport: { type: tcp, host: "${host}", port: ${port} }, user: desk1, password: pw }`;
    const error = configErrorOf(() =>
      parseConfigText(
        desk([
          ils('127.0.0.1', 4103),
          '{ id: receipt-1, kind: receipt-printer, transport: { type: tcp, host: localhost, port: 4101 } }',
          '{ id: cards-1, kind: card-printer, transport: { type: tcp, host: 127.0.0.1, port: 4102 } }',
          '{ id: coins-1, kind: cash-device, device: coin-acceptor, transport: { type: tcp, host: 0.0.0.0, port: 4102 } }',
          '{ id: public-bw, kind: print-queue, transport: { type: ipp, url: "ipp://LOCALHOST:4101/printers/public-bw" } }',
          '{ id: exit-1, kind: gate, driver: feig-notification, listen: { host: 0.0.0.0, port: 4110 }, address: 192.168.10.21 }',
          '{ id: receipt-2, kind: receipt-printer, transport: { type: tcp, host: "[::1]", port: 4103 } }',
          '{ id: pad-1, kind: rfid-reader, protocol: feig, transport: { type: tcp, host: 127.0.0.1, port: 4110 } }',
          '{ id: receipt-3, kind: receipt-printer, transport: { type: tcp, host: "[::1]", port: 4102 } }',
        ]),
        'yaml',
        {},
      ),
    );
    const said = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    expect(Object.keys(said)).toEqual([
      'devices[0].transport.port',
      'devices[1].transport.port',
      'devices[2].transport.port',
      'devices[3].transport.port',
      'devices[4].transport.url',
      'devices[7].transport.port',
      'devices[8].transport.port',
    ]);
    // The relay relaying to itself.
    expect(said['devices[0].transport.port']).toMatch(
      /ILS "ils".*127\.0\.0\.1:4103.*SIP2 relay.*sip2Relay: 0\.0\.0\.0:4103/,
    );
    expect(said['devices[0].transport.port']).toMatch(/relay to itself/);
    expect(said['devices[1].transport.port']).toMatch(
      /receipt printer "receipt-1".*localhost:4101.*HTTP API.*http: 127\.0\.0\.1:4101/,
    );
    expect(said['devices[2].transport.port']).toMatch(
      /card printer "cards-1".*127\.0\.0\.1:4102.*MQTT broker/,
    );
    expect(said['devices[3].transport.port']).toMatch(/cash device "coins-1".*0\.0\.0\.0:4102.*MQTT broker/);
    expect(said['devices[4].transport.url']).toMatch(
      /print queue "public-bw".*ipp:\/\/LOCALHOST:4101\/printers\/public-bw.*HTTP API/,
    );
    expect(said['devices[7].transport.port']).toMatch(
      /RFID reader "pad-1".*127\.0\.0\.1:4110.*gate "exit-1"/,
    );
    expect(said['devices[8].transport.port']).toMatch(
      /receipt printer "receipt-3".*\[::1\]:4102.*MQTT broker \(mqtt: \[::\]:4102\)/,
    );
    for (const message of Object.values(said)) {
      expect(message).toMatch(/Carrel itself/);
      expect(message).toMatch(/transport/); // what to change: the device's own address
    }
    // The same ports on another machine are that machine's devices; ::1 is not where an API on 127.0.0.1 listens.
    const elsewhere = parseConfigText(
      desk([
        ils('192.168.1.40', 4103),
        '{ id: receipt-1, kind: receipt-printer, transport: { type: tcp, host: 192.168.1.41, port: 4101 } }',
        '{ id: cards-1, kind: card-printer, transport: { type: tcp, host: "::1", port: 4101 } }',
        '{ id: public-bw, kind: print-queue, transport: { type: ipp, url: "ipp://cups.library.lan:4101/printers/public-bw" } }',
      ]),
      'yaml',
      {},
    );
    expect(elsewhere.devices).toHaveLength(4);
  });

  it("refuses a simulator listening on one of Carrel's own ports or on another simulator's, naming both", () => {
    const desk = (simulators: string[]) =>
      [
        'version: 2',
        'http: { port: 4201 }',
        'mqtt: { mode: embedded, port: 4202 }',
        'devices:',
        '  - { id: exit-1, kind: gate, driver: feig-notification, listen: { host: 127.0.0.1, port: 4210 }, address: 127.0.0.1 }',
        'simulators:',
        ...simulators.map((simulator) => `  - ${simulator}`),
      ].join('\n');
    const error = configErrorOf(() =>
      parseConfigText(
        desk([
          '{ id: printer-sim, kind: printer, port: 4201 }',
          '{ id: ils-sim, kind: ils, port: 4220, httpPort: 4202 }',
          '{ id: pad-sim, kind: rfid-pad, host: localhost, port: 4220 }',
          '{ id: cash-sim, kind: cash, port: 4230, httpPort: 4230 }',
          '{ id: print-server, kind: print-server, host: 0.0.0.0, port: 4210 }',
          '{ id: gate-sim, kind: gate, notify: { host: 127.0.0.1, port: 4201 } }',
        ]),
        'yaml',
        {},
      ),
    );
    const said = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    expect(Object.keys(said)).toEqual([
      'simulators[0].port',
      'simulators[1].httpPort',
      'simulators[2].port',
      'simulators[3].httpPort',
      'simulators[4].port',
      'simulators[5].notify.port',
    ]);
    expect(said['simulators[0].port']).toMatch(
      /simulator "printer-sim".*4201.*HTTP API \(http: 127\.0\.0\.1:4201\)/,
    );
    expect(said['simulators[1].httpPort']).toMatch(
      /simulator "ils-sim".*4202.*MQTT broker \(mqtt: 127\.0\.0\.1:4202\)/,
    );
    expect(said['simulators[2].port']).toMatch(
      /simulator "pad-sim".*localhost:4220.*simulator "ils-sim" listens \(simulators\[1\]\.port: 127\.0\.0\.1:4220\)/,
    );
    expect(said['simulators[3].httpPort']).toMatch(/simulator "cash-sim".*4230.*simulators\[3\]\.port/);
    expect(said['simulators[4].port']).toMatch(/simulator "print-server".*0\.0\.0\.0:4210.*gate "exit-1"/);
    expect(said['simulators[5].notify.port']).toMatch(
      /simulator "gate-sim".*127\.0\.0\.1:4201.*Carrel itself.*HTTP API/,
    );
    for (const [path, message] of Object.entries(said).slice(0, 5)) {
      expect(message).toMatch(/cannot both listen there/);
      expect(message).toContain(`choose another ${path}`);
    }
    // Port 0 is the system's choice for each; another address of the machine is another listener.
    const apart = parseConfigText(
      desk([
        '{ id: printer-sim, kind: printer, port: 0, httpPort: 0 }',
        '{ id: ils-sim, kind: ils, port: 0, httpPort: 0 }',
        '{ id: pad-sim, kind: rfid-pad, host: "::1", port: 4201 }',
        '{ id: gate-sim, kind: gate, dials: exit-1 }',
        '{ id: gate-sim-2, kind: gate, notify: { host: 127.0.0.1, port: 4210 } }',
      ]),
      'yaml',
      {},
    );
    expect(apart.simulators).toHaveLength(5);
  });

  it("refuses an external broker's mqtt.url on Carrel's own API or relay port, naming the setting and what to change", () => {
    // A desk's file copied from another: the broker there was this desk's API port, or its relay's.
    const desk = (url: string) =>
      [
        'version: 2',
        'http: { host: 0.0.0.0, port: 4301 }',
        `mqtt: { mode: external, url: "${url}", username: desk-1, password: broker-secret }`,
        'sip2Relay: { host: 127.0.0.1, port: 4303, accounts: [{ kioskUser: sc1, kioskPassword: pw }] }',
        'auth: { tokens: [{ name: kiosk-1, token: kiosk-token-0123456789, scopes: [kiosk] }] }',
        'devices:',
        '  - { id: ils, kind: ils, transport: { type: tcp, host: 192.168.1.40, port: 6001 }, user: desk1, password: pw }',
        '  - { id: exit-1, kind: gate, driver: feig-notification, listen: { host: 127.0.0.1, port: 4310 }, address: 192.168.10.21 }',
      ].join('\n');
    for (const [url, where] of [
      ['mqtt://localhost:4301', /HTTP API \(http: 0\.0\.0\.0:4301\)/],
      ['mqtt://user:hunter2@127.0.0.1:4303', /SIP2 relay \(sip2Relay: 127\.0\.0\.1:4303\)/],
      ['ws://LOCALHOST:4301/mqtt', /HTTP API/],
      ['tcp://127.0.0.1:4310', /gate "exit-1"/],
    ] as const) {
      const error = configErrorOf(() => parseConfigText(desk(url), 'yaml', {}));
      expect(error.issues.map((issue) => issue.path)).toEqual(['mqtt.url']);
      const said = error.issues[0]!.message;
      expect(said).toMatch(where);
      expect(said).toMatch(/Carrel itself/);
      expect(said).toMatch(/not an MQTT broker/);
      expect(said).toMatch(/give mqtt\.url the broker's own address/);
      expect(said).toMatch(/mqtt\.mode embedded/);
      expect(said).not.toMatch(/hunter2|broker-secret/);
    }
    // The same port on the broker's own machine is that machine's; a local Mosquitto on 1883 is fine.
    for (const url of ['mqtt://broker.library.lan:4301', 'mqtt://127.0.0.1:1883', 'mqtts://127.0.0.1'])
      expect(parseConfigText(desk(url), 'yaml', {}).mqtt).toMatchObject({ mode: 'external', url });
  });

  it("refuses a scanner simulator's vpcd target on one of Carrel's own ports, naming the setting", () => {
    const desk = (vpcd: string) =>
      [
        'version: 2',
        'http: { port: 4401 }',
        'mqtt: { mode: embedded, port: 4402 }',
        'simulators:',
        `  - { id: scanner-sim, kind: scanner${vpcd} }`,
      ].join('\n');
    const error = configErrorOf(() =>
      parseConfigText(desk(', vpcd: { host: localhost, port: 4402 }'), 'yaml', {}),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['simulators[0].vpcd.port']);
    expect(error.issues[0]!.message).toMatch(
      /simulator "scanner-sim" would dial vpcd at localhost:4402, which is Carrel itself: there Carrel serves its MQTT broker \(mqtt: 127\.0\.0\.1:4402\)/,
    );
    expect(error.issues[0]!.message).toMatch(
      /give vpcd the host and port pcscd's vpcd reader waits on \(35963/,
    );
    // Carrel's API on vpcd's default port: the default is said too, as it is where the card would go.
    const onDefault = configErrorOf(() =>
      parseConfigText(desk('').replace('port: 4401', 'port: 35963'), 'yaml', {}),
    );
    expect(onDefault.issues.map((issue) => issue.path)).toEqual(['simulators[0].vpcd.port']);
    expect(onDefault.issues[0]!.message).toMatch(/127\.0\.0\.1:35963.*HTTP API/);
    // pcscd on another machine, or on its own port, is the reader's.
    expect(
      parseConfigText(desk(', vpcd: { host: 192.168.1.9, port: 4402 }'), 'yaml', {}).simulators,
    ).toHaveLength(1);
    expect(parseConfigText(desk(''), 'yaml', {}).simulators).toHaveLength(1);
  });

  it('says to write a port copied in quotes without them, naming the setting and the number', () => {
    // Another desk's file, or a JSON one written by a script, with its ports as text.
    const error = configErrorOf(() =>
      parseConfigText(
        [
          'version: 2',
          'http: { port: "8080" }',
          'devices:',
          '  - { id: receipt-1, kind: receipt-printer, transport: { type: tcp, host: 10.0.0.5, port: " 9100 " } }',
          'systemd: { watchdog: "false" }',
        ].join('\n'),
        'yaml',
        {},
      ),
    );
    const said = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    expect(said['http.port']).toBe('must be a number, got "8080": write it without quotes, port: 8080');
    expect(said['devices[0].transport.port']).toMatch(/without quotes, port: 9100$/);
    expect(said['systemd.watchdog']).toBe(
      'must be true or false, got "false": write it without quotes, watchdog: false',
    );
    // Text that is no number is only said to be one.
    const eighty = configErrorOf(() => parseConfigText('version: 2\nhttp: { port: eighty }\n', 'yaml', {}));
    expect(eighty.issues[0]!.message).not.toMatch(/without quotes/);
  });

  it('suggests the device kind or mode meant by one misspelt or in capitals', () => {
    const error = configErrorOf(() =>
      parseConfigText(
        [
          'version: 2',
          'mqtt: { mode: Embedded }',
          'devices:',
          '  - { id: receipt-1, kind: reciept-printer, transport: { type: tcp, host: 10.0.0.5, port: 9100 } }',
          '  - { id: pad-1, kind: RFID-Reader, protocol: feig, transport: { type: tcp, host: 10.0.0.6, port: 10001 } }',
          '  - { id: thing-1, kind: toaster }',
        ].join('\n'),
        'yaml',
        {},
      ),
    );
    const said = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    expect(said['mqtt.mode']).toMatch(/got "Embedded" \(did you mean "embedded"\?\)$/);
    expect(said['devices[0].kind']).toMatch(
      /^must be one of ils, receipt-printer, .*got "reciept-printer" \(did you mean "receipt-printer"\?\)$/,
    );
    expect(said['devices[1].kind']).toMatch(/got "RFID-Reader" \(did you mean "rfid-reader"\?\)$/);
    expect(said['devices[2].kind']).not.toMatch(/did you mean/);
  });

  it('takes http.allowedOrigins as origins a browser sends, and says what one looks like', () => {
    const ok = parseConfigText(
      'version: 2\nhttp:\n  allowedOrigins: [https://selfcheck.library.example, http://localhost:5173]\n',
      'yaml',
      {},
    );
    expect(ok.http.allowedOrigins).toEqual(['https://selfcheck.library.example', 'http://localhost:5173']);
    const error = configErrorOf(() =>
      parseConfigText(
        'version: 2\nhttp:\n  allowedOrigins: [https://selfcheck.library.example/, selfcheck.library.example, "*", https://a.example/kiosk]\n',
        'yaml',
        {},
      ),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'http.allowedOrigins[0]',
      'http.allowedOrigins[1]',
      'http.allowedOrigins[2]',
      'http.allowedOrigins[3]',
    ]);
    expect(error.issues[0]!.message).toMatch(/scheme:\/\/host\[:port\].*no trailing slash/);
  });

  it("refuses storage.path ':memory:', which kept the database in a file named ':memory:', and an empty path", () => {
    for (const path of [':memory:', '']) {
      const error = configErrorOf(() =>
        parseConfigText(JSON.stringify({ version: 2, storage: { path } }), 'json', {}),
      );
      expect(error.issues.map((issue) => issue.path)).toEqual(['storage.path']);
    }
    const error = configErrorOf(() =>
      parseConfigText(JSON.stringify({ version: 2, storage: { path: ':memory:' } }), 'json', {}),
    );
    expect(error.issues[0]!.message).toMatch(/would keep nothing.*give a file path/);
  });

  it('explains an empty YAML section', () => {
    const error = configErrorOf(() => parseConfigText('version: 1\nstorage:\n', 'yaml', {}));
    expect(error.issues).toEqual([{ path: 'storage', message: 'is empty: give it settings or write {}' }]);
  });

  it('checks printAccounts.ilsTransfer, and never repeats its client secret or password in an error', () => {
    const secret = `s3cr3t-${'x'.repeat(1100)}`;
    const text = JSON.stringify({
      version: 1,
      printAccounts: {
        ilsTransfer: {
          kind: 'koha-rest',
          url: 'http://koha.example.org',
          clientId: 'carrel',
          clientSecret: secret,
        },
      },
    });
    const error = configErrorOf(() => parseConfigText(text, 'json', {}));
    const byPath = Object.fromEntries(error.issues.map((issue) => [issue.path, issue.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      'printAccounts.ilsTransfer.clientSecret',
      'printAccounts.ilsTransfer.url',
    ]);
    expect(byPath['printAccounts.ilsTransfer.url']).toContain('https');
    expect(JSON.stringify(error.issues)).not.toContain('s3cr3t');
    // The same for the SIP2 passwords (the ILS's terminal password, a relay's kiosk and ILS passwords).
    const sip2 = JSON.stringify({
      version: 1,
      ils: { host: 'ils.example.org', port: 6001, password: 'p4ss|word', terminalPassword: 't3rm|inal' },
    });
    const sip2Error = configErrorOf(() => parseConfigText(sip2, 'json', {}));
    expect(sip2Error.issues.map((issue) => issue.path)).toHaveLength(2);
    expect(JSON.stringify(sip2Error.issues)).not.toMatch(/p4ss|t3rm/);
    const off = parseConfigText(JSON.stringify({ version: 1 }), 'json', {});
    expect(off.printAccounts.ilsTransfer).toBeUndefined();
  });

  it('says a required setting is required', () => {
    const text =
      'version: 1\ndevices:\n  - { id: r1, kind: receipt-printer, transport: { type: tcp, port: 9100 } }\n';
    const error = configErrorOf(() => parseConfigText(text, 'yaml', {}));
    expect(error.issues).toEqual([{ path: 'devices[0].transport.host', message: 'is required' }]);
  });
});

describe('loading by extension', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads .yml as YAML and .json as JSON', () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-config-'));
    writeFileSync(join(dir, 'a.yml'), 'version: 1\nsite: yml-site\n');
    writeFileSync(join(dir, 'b.json'), '{"version": 1, "site": "json-site"}');
    // YAML-only syntax in a .json file is a JSON error, not silently accepted.
    writeFileSync(join(dir, 'c.json'), 'version: 1\n');
    expect(loadConfigFile(join(dir, 'a.yml'), {}).site).toBe('yml-site');
    expect(loadConfigFile(join(dir, 'b.json'), {}).site).toBe('json-site');
    expect(configErrorOf(() => loadConfigFile(join(dir!, 'c.json'), {})).issues[0]!.message).toMatch(
      /^JSON syntax error\b/,
    );
  });
});
