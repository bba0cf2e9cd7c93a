/**
 * A Magicard print job as bytes (selphy_print's spool-format notes): 64 × 0x05, 0x01, the header —
 * text commands each after a comma (`,DPXOFF,REJON,…`), the image format `IMF<planes>` and each
 * plane's length `SZ<plane><bytes>` — then 0x1C, the planes in the order of their `SZ` entries, each
 * followed by `1C <plane> 3A` (not counted in its length), and 0x03.
 *
 * Magnetic stripe data goes in the header: `MAG<track>`, `BPI<75|210>`, `MPC<5|7>`, `COE<H|L>`, then
 * the track's characters between their ISO sentinels (Magicard Rio manual, appendix A). A Magicard
 * answers nothing about a job: whether the stripe was written right is not something it says.
 */
import { checkTrackData, type TrackNumber } from '../evolis/magstripe.js';
import { MagicardProtocolError } from './errors.js';
import { isPlaneName, type Plane, type PlaneName, packPlane } from './plane.js';

export const JOB_GUARD = 64;
export const COMMAND_GUARD = 9;
export const GUARD = 0x05;
export const START = 0x01;
export const FS = 0x1c;
export const END = 0x03;
export const PLANE_END = 0x3a;

/** One job: the header's commands (without IMF and SZ, which the planes give) and its planes. */
export interface MagicardJob {
  commands: string[];
  planes: Plane[];
}

/** A header command is printable ASCII without a comma. */
const COMMAND = /^[\x20-\x2b\x2d-\x7e]+$/;

export function checkCommand(text: string): void {
  if (!COMMAND.test(text))
    throw new MagicardProtocolError('magicard_bad_argument', `"${text}" cannot be a header command`);
  // SZ<anything> is read as a plane length: no other command may start so.
  if (/^(IMF|SZ)/.test(text))
    throw new MagicardProtocolError('magicard_bad_argument', `${text.slice(0, 3)} is given by the planes`);
}

export function encodeJob(job: MagicardJob): Buffer {
  for (const text of job.commands) checkCommand(text);
  const names = job.planes.map((plane) => plane.name);
  if (new Set(names).size !== names.length)
    throw new MagicardProtocolError(
      'magicard_bad_argument',
      `a job has each plane once, not ${names.join('')}`,
    );
  const data = job.planes.map(packPlane);
  const header = [
    ...job.commands,
    ...(names.length > 0 ? [`IMF${names.join('')}`] : []),
    ...job.planes.map((plane, i) => `SZ${plane.name}${data[i]!.length}`),
  ];
  const parts: Buffer[] = [
    Buffer.alloc(JOB_GUARD, GUARD),
    Buffer.of(START),
    Buffer.from(header.map((text) => `,${text}`).join(''), 'latin1'),
    Buffer.of(FS),
  ];
  job.planes.forEach((plane, i) => {
    parts.push(data[i]!, Buffer.of(FS, plane.name.charCodeAt(0), PLANE_END));
  });
  parts.push(Buffer.of(END));
  return Buffer.concat(parts);
}

/** A header's text (after 0x01, before 0x1C) as its commands and the planes it announces. */
export function parseHeader(text: string): { commands: string[]; planes: Array<[PlaneName, number]> } {
  if (!text.startsWith(','))
    throw new MagicardProtocolError('magicard_bad_job', 'a job header starts with a comma');
  const commands: string[] = [];
  const planes: Array<[PlaneName, number]> = [];
  for (const item of text.slice(1).split(',')) {
    if (item === '') continue;
    const size = /^SZ([A-Z])(.*)$/.exec(item);
    if (size) {
      const [, name, digits] = size;
      if (!isPlaneName(name!) || !/^\d{1,8}$/.test(digits!))
        throw new MagicardProtocolError('magicard_bad_job', `"${item}" is not a plane length`);
      if (planes.some(([known]) => known === name))
        throw new MagicardProtocolError('magicard_bad_job', `plane ${name} announced twice`);
      planes.push([name, Number(digits)]);
    } else if (!item.startsWith('IMF')) {
      if (!COMMAND.test(item))
        throw new MagicardProtocolError('magicard_bad_job', 'a header command is not printable text');
      commands.push(item);
    }
  }
  return { commands, planes };
}

const TRACKS: Record<TrackNumber, { bpi: number; mpc: number; start: string }> = {
  1: { bpi: 210, mpc: 7, start: '%' },
  2: { bpi: 75, mpc: 5, start: ';' },
  3: { bpi: 210, mpc: 5, start: ';' },
};

/** The header commands that write one track (high coercivity unless told). */
export function magstripeCommands(track: TrackNumber, data: string, coercivity: 'H' | 'L' = 'H'): string[] {
  try {
    checkTrackData(track, data);
  } catch (error) {
    throw new MagicardProtocolError('magicard_bad_argument', (error as Error).message);
  }
  if (data.includes(','))
    throw new MagicardProtocolError('magicard_bad_argument', `a comma cannot go on track ${track}`);
  const format = TRACKS[track];
  return [
    `MAG${track}`,
    `BPI${format.bpi}`,
    `MPC${format.mpc}`,
    `COE${coercivity}`,
    `${format.start}${data}?`,
  ];
}

/** The tracks a job's header writes. */
export function magstripeOf(commands: readonly string[]): Partial<Record<TrackNumber, string>> {
  const tracks: Partial<Record<TrackNumber, string>> = {};
  for (let i = 0; i < commands.length; i++) {
    const mag = /^MAG([123])$/.exec(commands[i]!);
    if (!mag) continue;
    const track = Number(mag[1]) as TrackNumber;
    const format = TRACKS[track];
    let at = i + 1;
    while (at < commands.length && /^(BPI|MPC|COE)/.test(commands[at]!)) at++;
    const data = commands[at];
    if (data === undefined || !data.startsWith(format.start) || !data.endsWith('?') || data.length < 2)
      throw new MagicardProtocolError('magicard_bad_job', `MAG${track} is not followed by its track data`);
    tracks[track] = data.slice(1, -1);
    i = at;
  }
  return tracks;
}
