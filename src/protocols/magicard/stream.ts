/**
 * The printer's side of the Magicard stream: chunks in, whole jobs and commands out, bounded. A run
 * of 64 × 0x05 and 0x01 starts a job, 9 × 0x05 and 0x01 a command; a job's planes are counted by
 * the lengths its header announces (plane data holds every byte value), and each must end in its
 * `1C <plane> 3A`. Bytes that start nothing are skipped up to the next 0x05 and reported once.
 */
import { MagicardProtocolError } from './errors.js';
import {
  COMMAND_GUARD,
  END,
  FS,
  GUARD,
  JOB_GUARD,
  type MagicardJob,
  PLANE_END,
  parseHeader,
  START,
} from './job.js';
import { type Plane, type PlaneName, planeBytes, unpackPlane } from './plane.js';

export const MAX_HEADER = 4096;
export const MAX_COMMAND = 256;

export type MagicardMessage =
  | { kind: 'job'; job: MagicardJob; size: number }
  | { kind: 'command'; text: string };

export type StreamItem = { ok: true; message: MagicardMessage } | { ok: false; error: MagicardProtocolError };

type State =
  | { at: 'guard'; count: number }
  | { at: 'garbage'; skipped: number }
  | { at: 'header'; bytes: number[] }
  | { at: 'command'; bytes: number[] }
  | {
      at: 'plane';
      commands: string[];
      pending: Array<[PlaneName, number]>;
      planes: Plane[];
      data: Buffer;
      filled: number;
      size: number;
    }
  | {
      at: 'terminator';
      commands: string[];
      pending: Array<[PlaneName, number]>;
      planes: Plane[];
      data: Buffer;
      seen: number;
      size: number;
    }
  | { at: 'end'; commands: string[]; planes: Plane[]; size: number };

export class MagicardStreamParser {
  private state: State = { at: 'guard', count: 0 };

  /** True while a job or command is partly received. */
  get inMessage(): boolean {
    return this.state.at !== 'guard' && this.state.at !== 'garbage';
  }

  push(chunk: Uint8Array): StreamItem[] {
    const items: StreamItem[] = [];
    let i = 0;
    while (i < chunk.length) {
      const state = this.state;
      const byte = chunk[i]!;
      switch (state.at) {
        case 'guard':
          i++;
          if (byte === GUARD) {
            state.count++;
            if (state.count > JOB_GUARD)
              this.fail(items, 'magicard_garbage', 'a guard run longer than 64 bytes');
          } else if (byte === START && state.count === JOB_GUARD) this.state = { at: 'header', bytes: [] };
          else if (byte === START && state.count === COMMAND_GUARD) this.state = { at: 'command', bytes: [] };
          else if (state.count > 0)
            this.fail(items, 'magicard_garbage', `a guard of ${state.count} bytes starts no job or command`);
          else this.state = { at: 'garbage', skipped: 1 };
          break;
        case 'garbage':
          if (byte === GUARD) {
            if (state.skipped > 0) items.push(garbage(state.skipped));
            this.state = { at: 'guard', count: 0 };
          } else {
            state.skipped++;
            i++;
          }
          break;
        case 'command':
          i++;
          if (byte === END && state.bytes.at(-1) === FS) {
            const text = Buffer.from(state.bytes.slice(0, -1)).toString('latin1');
            this.state = { at: 'guard', count: 0 };
            if (/^[\x20-\x7e]*$/.test(text)) items.push({ ok: true, message: { kind: 'command', text } });
            else items.push(bad('magicard_garbage', 'a command that is not printable text'));
          } else if (state.bytes.length >= MAX_COMMAND)
            this.fail(items, 'magicard_too_long', `a command longer than ${MAX_COMMAND} bytes`);
          else state.bytes.push(byte);
          break;
        case 'header':
          i++;
          if (byte === FS)
            this.startPlanes(items, Buffer.from(state.bytes).toString('latin1'), state.bytes.length);
          else if (state.bytes.length >= MAX_HEADER)
            this.fail(items, 'magicard_too_long', `a job header longer than ${MAX_HEADER} bytes`);
          else state.bytes.push(byte);
          break;
        case 'plane': {
          const take = Math.min(state.data.length - state.filled, chunk.length - i);
          state.data.set(chunk.subarray(i, i + take), state.filled);
          state.filled += take;
          i += take;
          if (state.filled === state.data.length) this.state = { ...state, at: 'terminator', seen: 0 };
          break;
        }
        case 'terminator': {
          i++;
          const [name] = state.pending[0]!;
          const expected = [FS, name.charCodeAt(0), PLANE_END][state.seen]!;
          if (byte !== expected) {
            this.fail(items, 'magicard_bad_job', `plane ${name} does not end in 1C ${name} 3A`);
            break;
          }
          if (++state.seen < 3) break;
          const [, bytes] = state.pending[0]!;
          let plane: Plane;
          try {
            plane = unpackPlane(name, state.data);
          } catch (error) {
            this.state = { at: 'garbage', skipped: 0 };
            items.push({ ok: false, error: error as MagicardProtocolError });
            break;
          }
          this.nextPlane(
            state.commands,
            state.pending.slice(1),
            [...state.planes, plane],
            state.size + bytes + 3,
          );
          break;
        }
        case 'end':
          i++;
          if (byte === END) {
            this.state = { at: 'guard', count: 0 };
            items.push({
              ok: true,
              message: {
                kind: 'job',
                job: { commands: state.commands, planes: state.planes },
                size: state.size + 1,
              },
            });
          } else this.fail(items, 'magicard_bad_job', 'a job does not end in 0x03');
          break;
      }
    }
    return items;
  }

  private startPlanes(items: StreamItem[], text: string, headerBytes: number): void {
    let header: ReturnType<typeof parseHeader>;
    try {
      header = parseHeader(text);
      for (const [name, size] of header.planes)
        if (size !== planeBytes(name))
          throw new MagicardProtocolError(
            'magicard_bad_job',
            `plane ${name} is ${planeBytes(name)} bytes, not ${size}`,
          );
    } catch (error) {
      this.state = { at: 'garbage', skipped: 0 };
      items.push({ ok: false, error: error as MagicardProtocolError });
      return;
    }
    // The plane data itself goes by; the run of it is not reported as garbage again.
    this.nextPlane(header.commands, header.planes, [], JOB_GUARD + 2 + headerBytes);
  }

  /** Waits for the next plane, or the job's end. */
  private nextPlane(
    commands: string[],
    pending: Array<[PlaneName, number]>,
    planes: Plane[],
    size: number,
  ): void {
    const next = pending[0];
    if (!next) this.state = { at: 'end', commands, planes, size };
    else
      this.state = { at: 'plane', commands, pending, planes, data: Buffer.alloc(next[1]), filled: 0, size };
  }

  private fail(items: StreamItem[], code: Parameters<typeof bad>[0], message: string): void {
    items.push(bad(code, message));
    this.state = { at: 'garbage', skipped: 0 };
  }
}

function bad(code: ConstructorParameters<typeof MagicardProtocolError>[0], message: string): StreamItem {
  return { ok: false, error: new MagicardProtocolError(code, message) };
}

function garbage(skipped: number): StreamItem {
  return bad('magicard_garbage', `${skipped} bytes before a 0x05 guard`);
}
