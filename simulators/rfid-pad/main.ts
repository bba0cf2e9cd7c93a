/**
 * `carrel sim rfid-pad`: runs one simulated RFID pad until SIGINT/SIGTERM.
 *
 *   --protocol feig|3m   host protocol (default feig)
 *   --port <n>           FEIG over TCP (default 10001; 0 = any free port; feig only)
 *   --pty                also serve on a pty pair made with socat (3M: always)
 *   --pty-dir <dir>      where the pty links are made
 *   --baud <n>           line speed the pty replies are paced at (38400 feig, 19200 3m)
 *   --http-port <n>      control API (default 10080; 0 = any free port)
 *   --tags <list>        tags on the pad at start: V1,V2,V3,V5,blank (default V1,V2,V3,V5,blank)
 */
import { parseArgs } from 'node:util';
import { CarrelError } from '../../src/core/errors.js';
import { untilStopSignal } from '../common/until-signal.js';
import { startRfidPadSimulator } from './simulator.js';
import { TAG_PRESETS, type TagPreset } from './tags.js';

function numberOption(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new CarrelError('usage', `--${name} must be a whole number 0-${max}, got "${value}"`);
  return n;
}

export async function runRfidPadSimulator(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new CarrelError('usage', (error as Error).message);
  }
  const protocol = values.protocol ?? 'feig';
  if (protocol !== 'feig' && protocol !== '3m')
    throw new CarrelError('usage', `--protocol is feig or 3m, got "${protocol}"`);
  const presets = (values.tags ?? 'V1,V2,V3,V5,blank').split(',').filter(Boolean);
  for (const preset of presets) {
    if (!(preset in TAG_PRESETS))
      throw new CarrelError('usage', `unknown tag preset "${preset}" (V1, V2, V3, V5, blank)`);
  }
  const baud = values.baud === undefined ? undefined : numberOption(values.baud, 'baud', 0, 921600);
  const sim = await startRfidPadSimulator({
    protocol,
    ...(protocol === 'feig' ? { tcpPort: numberOption(values.port, 'port', 10001, 65535) } : {}),
    pty: protocol === '3m' || values.pty === true,
    ...(values['pty-dir'] ? { ptyDir: values['pty-dir'] } : {}),
    ...(baud ? { baudRate: baud } : {}),
    httpPort: numberOption(values['http-port'], 'http-port', 10080, 65535),
    tags: presets.map((preset) => ({ preset: preset as TagPreset })),
  });
  console.log(`rfid pad simulator (${protocol})`);
  if (sim.tcpPort !== undefined) console.log(`  FEIG     tcp://127.0.0.1:${sim.tcpPort}`);
  if (sim.ptyPath) console.log(`  serial   ${sim.ptyPath}  (open this end)`);
  console.log(`  control  ${sim.httpUrl}/api/tags`);
  await untilStopSignal();
  await sim.close();
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      protocol: { type: 'string' },
      port: { type: 'string' },
      pty: { type: 'boolean' },
      'pty-dir': { type: 'string' },
      baud: { type: 'string' },
      'http-port': { type: 'string' },
      tags: { type: 'string' },
    },
  });
}
