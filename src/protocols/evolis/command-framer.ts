/**
 * The printer's side of the Evolis stream (STYLE 4): chunks in, whole commands out, bounded. A text
 * command ends at CR; a panel download (`Db`, `Dbc`) is counted by the bytes its header announces,
 * because panel data holds CR and ESC bytes. NULs between commands are padding. Bytes that start no
 * command are skipped up to the next ESC and reported once as `evolis_garbage`.
 */
import { CR, ESC, type EvolisCommand, parseDownloadHeader } from './commands.js';
import { EvolisProtocolError } from './errors.js';
import type { PanelLevels, PanelName } from './panel.js';

/** Longest text command held (magstripe data, parameters); a panel download is bounded by its header. */
export const MAX_TEXT_COMMAND = 1024;

export type EvolisCommandItem =
  | { ok: true; command: EvolisCommand; size: number }
  | { ok: false; error: EvolisProtocolError };

type State =
  | { at: 'between' }
  | { at: 'garbage'; skipped: number }
  | { at: 'text'; bytes: number[] }
  | {
      at: 'data';
      name: 'Db' | 'Dbc';
      panel: PanelName;
      levels: PanelLevels;
      data: Buffer;
      filled: number;
      headerSize: number;
    }
  | { at: 'end'; command: EvolisCommand; size: number };

export class EvolisCommandFramer {
  private state: State = { at: 'between' };

  /** True while a command is partly received. */
  get inCommand(): boolean {
    return this.state.at === 'text' || this.state.at === 'data' || this.state.at === 'end';
  }

  push(chunk: Uint8Array): EvolisCommandItem[] {
    const items: EvolisCommandItem[] = [];
    let i = 0;
    while (i < chunk.length) {
      const state = this.state;
      const byte = chunk[i]!;
      switch (state.at) {
        case 'between':
          if (byte === ESC) this.state = { at: 'text', bytes: [] };
          else if (byte !== 0x00) this.state = { at: 'garbage', skipped: 1 };
          i++;
          break;
        case 'garbage':
          if (byte === ESC) {
            items.push(garbage(state.skipped));
            this.state = { at: 'text', bytes: [] };
          } else state.skipped++;
          i++;
          break;
        case 'text': {
          i++;
          if (byte === CR) {
            items.push(this.textCommand(state.bytes));
            this.state = { at: 'between' };
          } else if (byte === ESC) {
            items.push(garbage(state.bytes.length + 1));
            this.state = { at: 'text', bytes: [] };
          } else if (state.bytes.length >= MAX_TEXT_COMMAND) {
            items.push({
              ok: false,
              error: new EvolisProtocolError(
                'evolis_too_long',
                `a command longer than ${MAX_TEXT_COMMAND} bytes`,
              ),
            });
            this.state = { at: 'garbage', skipped: 0 };
          } else {
            state.bytes.push(byte);
            if (byte === 0x3b) this.maybeDownload(state.bytes, items);
          }
          break;
        }
        case 'data': {
          const take = Math.min(chunk.length - i, state.data.length - state.filled);
          state.data.set(chunk.subarray(i, i + take), state.filled);
          state.filled += take;
          i += take;
          if (state.filled === state.data.length) {
            const { name, panel, levels, data, headerSize } = state;
            this.state = {
              at: 'end',
              command: { name, panel, levels, data },
              size: headerSize + data.length + 1,
            };
          }
          break;
        }
        case 'end':
          if (byte === CR) {
            items.push({ ok: true, command: state.command, size: state.size });
            i++;
          } else
            items.push({
              ok: false,
              error: new EvolisProtocolError(
                'evolis_bad_download',
                `${state.command.name}: data runs past the length its header gave`,
              ),
            });
          this.state = { at: 'between' };
          break;
      }
    }
    return items;
  }

  /** After a `;`: is this the end of a `Db`/`Dbc` header? Then the data that follows is counted. */
  private maybeDownload(bytes: number[], items: EvolisCommandItem[]): void {
    const text = String.fromCharCode(...bytes.slice(0, 24));
    const name = text.startsWith('Dbc;') ? 'Dbc' : text.startsWith('Db;') ? 'Db' : undefined;
    if (!name) return;
    const fields = text.split(';');
    const needed = name === 'Db' ? 4 : 5; // the name, the header's fields, the empty rest
    if (fields.length < needed) return;
    try {
      const header = parseDownloadHeader(name, fields.slice(1, needed - 1));
      this.state = {
        at: 'data',
        name,
        panel: header.panel,
        levels: header.levels,
        data: Buffer.alloc(header.length),
        filled: 0,
        headerSize: 1 + bytes.length,
      };
    } catch (error) {
      items.push({ ok: false, error: error as EvolisProtocolError });
      this.state = { at: 'garbage', skipped: 0 };
    }
  }

  private textCommand(bytes: number[]): EvolisCommandItem {
    const text = Buffer.from(bytes).toString('latin1');
    const [name = '', ...args] = text.split(';');
    if (!/^[A-Za-z]{1,8}$/.test(name))
      return {
        ok: false,
        error: new EvolisProtocolError('evolis_garbage', `"${text.slice(0, 16)}" is not a command`),
      };
    return { ok: true, command: { name, args }, size: bytes.length + 2 };
  }
}

function garbage(skipped: number): EvolisCommandItem {
  return {
    ok: false,
    error: new EvolisProtocolError('evolis_garbage', `skipped ${skipped} byte(s) that start no command`),
  };
}
