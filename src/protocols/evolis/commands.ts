/**
 * Evolis commands (Programming Guide A5013): `ESC name ; arg ; arg … CR`. Most are text; two carry
 * binary panel data that may hold CR and ESC bytes, so their length is known from their header:
 *
 * - `Db;panel;levels;<data>` — the data is exactly `panelBytes(levels)` bytes;
 * - `Dbc;panel;levels;count;<data>` — the data is exactly `count` bytes (a compressed 1-bit panel).
 *
 * A host may send NUL bytes between commands (Printer-EVOLIS pads a job with 64 of them).
 */
import { EvolisProtocolError } from './errors.js';
import { isPanelName, PANEL_LEVELS, type PanelLevels, type PanelName, panelBytes } from './panel.js';

export const ESC = 0x1b;
export const CR = 0x0d;
export const SEPARATOR = ';';

/** A text command: its name (`Ss`, `Pr`, `Dm`) and its arguments. */
export interface TextCommand {
  name: string;
  args: string[];
}

/** A panel download: `Db` (packed) or `Dbc` (compressed 1-bit). */
export interface PanelDownload {
  name: 'Db' | 'Dbc';
  panel: PanelName;
  levels: PanelLevels;
  data: Buffer;
}

export type EvolisCommand = TextCommand | PanelDownload;

export function isPanelDownload(command: EvolisCommand): command is PanelDownload {
  return command.name === 'Db' || command.name === 'Dbc';
}

const NAME = /^[A-Za-z]{1,8}$/;

/** The bytes of one command. */
export function encodeCommand(command: EvolisCommand): Buffer {
  if (isPanelDownload(command)) {
    const { panel, levels, data } = command as PanelDownload;
    if (command.name === 'Db' && data.length !== panelBytes(levels))
      throw new EvolisProtocolError(
        'evolis_bad_argument',
        `Db of a ${levels}-level panel carries ${panelBytes(levels)} bytes, not ${data.length}`,
      );
    if (command.name === 'Dbc' && levels !== 2)
      throw new EvolisProtocolError('evolis_bad_argument', 'Dbc carries a 2-level panel only');
    const header =
      command.name === 'Db' ? `Db;${panel};${levels};` : `Dbc;${panel};${levels};${data.length};`;
    return Buffer.concat([Buffer.of(ESC), Buffer.from(header, 'latin1'), data, Buffer.of(CR)]);
  }
  const text = command as TextCommand;
  if (!NAME.test(text.name))
    throw new EvolisProtocolError('evolis_bad_argument', `"${text.name}" is not a command name`);
  for (const arg of text.args) {
    if (arg.includes(SEPARATOR) || [...arg].some((ch) => ch < ' ' || ch > '~'))
      throw new EvolisProtocolError(
        'evolis_bad_argument',
        `argument "${arg}" holds a character a command cannot`,
      );
  }
  return Buffer.from(`\x1b${[text.name, ...text.args].join(SEPARATOR)}\r`, 'latin1');
}

/** Shorthand: `command('Pc', 'k', '=', '10')`. */
export function command(name: string, ...args: string[]): TextCommand {
  return { name, args };
}

/** The header of a binary download (the text after `Db;`/`Dbc;` up to its data), or why not. */
export function parseDownloadHeader(
  name: 'Db' | 'Dbc',
  fields: string[],
): { panel: PanelName; levels: PanelLevels; length: number } {
  const [panel, levelText, countText] = fields;
  const levels = Number(levelText) as PanelLevels;
  if (!panel || !isPanelName(panel))
    throw new EvolisProtocolError('evolis_bad_download', `${name}: "${panel}" is not a panel (y m c k o)`);
  if (!PANEL_LEVELS.includes(levels))
    throw new EvolisProtocolError(
      'evolis_bad_download',
      `${name}: "${levelText}" is not 2, 32, 64 or 128 levels`,
    );
  if (name === 'Db') return { panel, levels, length: panelBytes(levels) };
  if (levels !== 2) throw new EvolisProtocolError('evolis_bad_download', 'Dbc: only 2 levels compress');
  const length = Number(countText);
  if (!/^\d{1,6}$/.test(countText ?? '') || length < 1016 || length > panelBytes(2) + 1016)
    throw new EvolisProtocolError('evolis_bad_download', `Dbc: "${countText}" is not a compressed length`);
  return { panel, levels, length };
}
