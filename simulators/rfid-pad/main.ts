/**
 * `carrel sim rfid-pad`: runs one simulated RFID pad until SIGINT/SIGTERM.
 *
 *   --protocol feig|3m   host protocol (default feig)
 *   --port <n>           FEIG over TCP (default 10001; 0 = any free port; feig only)
 *   --pty                also serve on a pty pair made with socat (3M: always)
 *   --pty-dir <dir>      where the pty links are made
 *   --baud <n>           line speed the pty replies are paced at (38400 feig, 19200 3m)
 *   --http-port <n>      control API (default 10080; 0 = any free port)
 *   --tags <list>        reference tags on the pad at start: V1,V2,V3,V5,blank
 *   --items <list>       sample-library items on the pad at start, by barcode: 31000004,31000005
 *                        (a part of a set: 31000013:1/3); ISO 28560-3, owner SE-RPL, secured (AFI and EAS)
 *   Without --tags or --items the pad starts with V1,V2,V3,V5,blank.
 */
import { CarrelError } from '../../src/core/errors.js';
import { numberOption, simulatorMain } from '../common/main.js';
import { RFID_PAD_PORTS } from './family.js';
import { parseItemArgument } from './item-tags.js';
import { startRfidPadSimulator } from './simulator.js';
import { TAG_PRESETS, type TagPreset, type TagSpec } from './tags.js';

/** The tags on the pad at start, from `--tags` (presets) and `--items` (barcodes). */
export function tagsOption(tagList: string | undefined, itemList: string | undefined): TagSpec[] {
  const presets = (tagList ?? (itemList === undefined ? 'V1,V2,V3,V5,blank' : '')).split(',').filter(Boolean);
  for (const preset of presets) {
    if (!(preset in TAG_PRESETS))
      throw new CarrelError('usage', `unknown tag preset "${preset}" (V1, V2, V3, V5, blank)`);
  }
  const items = (itemList ?? '').split(',').filter((entry) => entry.trim() !== '');
  if (itemList !== undefined && items.length === 0)
    throw new CarrelError('usage', '--items wants item barcodes, e.g. --items 31000004,31000005');
  return [
    ...presets.map((preset) => ({ preset: preset as TagPreset })),
    ...items.map((entry) => {
      try {
        return { item: parseItemArgument(entry) };
      } catch (error) {
        throw new CarrelError('usage', `--items: ${(error as Error).message}`);
      }
    }),
  ];
}

export const runRfidPadSimulator = simulatorMain({
  options: {
    protocol: { type: 'string' },
    port: { type: 'string' },
    pty: { type: 'boolean' },
    'pty-dir': { type: 'string' },
    baud: { type: 'string' },
    'http-port': { type: 'string' },
    tags: { type: 'string' },
    items: { type: 'string' },
  },
  async start(values) {
    const protocol = values.protocol ?? 'feig';
    if (protocol !== 'feig' && protocol !== '3m')
      throw new CarrelError('usage', `--protocol is feig or 3m, got "${protocol}"`);
    const tags = tagsOption(values.tags, values.items);
    const baud = values.baud === undefined ? undefined : numberOption(values.baud, 'baud', 0, 921600);
    const sim = await startRfidPadSimulator({
      protocol,
      ...(protocol === 'feig' ? { tcpPort: numberOption(values.port, 'port', RFID_PAD_PORTS.port) } : {}),
      pty: protocol === '3m' || values.pty === true,
      ...(values['pty-dir'] ? { ptyDir: values['pty-dir'] } : {}),
      ...(baud ? { baudRate: baud } : {}),
      httpPort: numberOption(values['http-port'], 'http-port', RFID_PAD_PORTS['http-port']),
      tags,
    });
    return {
      banner: [
        `rfid pad simulator (${protocol})`,
        ...(sim.tcpPort !== undefined ? [`  FEIG     tcp://127.0.0.1:${sim.tcpPort}`] : []),
        ...(sim.ptyPath ? [`  serial   ${sim.ptyPath}  (open this end)`] : []),
        `  control  ${sim.httpUrl}/api/tags`,
      ],
      close: () => sim.close(),
    };
  },
});
