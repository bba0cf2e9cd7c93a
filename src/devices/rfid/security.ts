/**
 * Item security on the tag: AFI and/or NXP EAS, written only after the ILS confirmed the
 * loan or return, read back to verify. Failed writes (the patron pulled the item away) are
 * kept and retried when the tag is seen again. The AFI is never locked.
 */
import { describeError, TransportError } from '../../core/errors.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';
import { isTagAbsentError, type RfidReader, RfidReaderError } from './reader.js';

export interface SecurityOptions {
  /** How security is carried: AFI (default), EAS, or both. */
  method: 'afi' | 'eas' | 'afi+eas';
  /** AFI of an item that must alarm the gates: 0x07 (ISO 28560 library value). */
  securedAfi: number;
  /** AFI of an item on loan: 0xC2. */
  unsecuredAfi: number;
  /** Attempts before a pending write is given up (security_failed). */
  maxAttempts: number;
  /** Pending writes kept at most; the oldest is given up beyond this. */
  maxPending: number;
}

export const DEFAULT_SECURITY: SecurityOptions = {
  method: 'afi',
  securedAfi: 0x07,
  unsecuredAfi: 0xc2,
  maxAttempts: 5,
  maxPending: 500,
};

export interface SecurityOutcome {
  uid: TagUid;
  secured: boolean;
  /** `done`: written and verified; `pending`: kept for when the tag returns; `failed`: given up. */
  status: 'done' | 'pending' | 'failed';
  /** Error code of the last failed attempt. */
  reason?: string;
}

export interface SecurityJob {
  uid: TagUid;
  secured: boolean;
  attempts: number;
  busy: boolean;
  lastError?: string;
}

/** Writes then reads back; throws on failure (the caller decides pending or failed). */
export async function applySecurity(
  reader: RfidReader,
  options: SecurityOptions,
  uid: TagUid,
  secured: boolean,
): Promise<void> {
  const useAfi = options.method !== 'eas';
  const useEas = options.method !== 'afi';
  if (useAfi) {
    const afi = secured ? options.securedAfi : options.unsecuredAfi;
    await reader.writeAfi(uid, afi);
    const readBack = await reader.readAfi(uid);
    if (readBack !== afi)
      throw new RfidReaderError(
        'rfid_verify_failed',
        `AFI reads 0x${readBack.toString(16)} after writing 0x${afi.toString(16)}`,
      );
  }
  if (useEas) {
    if (secured) await reader.setEas(uid);
    else await reader.resetEas(uid);
    const alarm = await reader.easAlarm(uid);
    if (alarm !== secured)
      throw new RfidReaderError('rfid_verify_failed', `EAS reads ${alarm ? 'on' : 'off'} after writing`);
  }
}

/**
 * Whether a tag with this AFI and EAS bit is secured as the desk's gates see it: by its AFI (it
 * equals the secured value), by its EAS bit, or with `afi+eas` either one set (a gate alarms on
 * either; both known clear is not secured). Undefined when what decides is not known.
 * `holdsSecurity` below asks the stricter question of a write: both as written.
 */
export function alarmsAsSecured(
  options: Pick<SecurityOptions, 'method' | 'securedAfi'>,
  tag: { afi?: number | undefined; eas?: boolean | undefined },
): boolean | undefined {
  const byAfi = tag.afi === undefined ? undefined : tag.afi === options.securedAfi;
  switch (options.method) {
    case 'afi':
      return byAfi;
    case 'eas':
      return tag.eas;
    case 'afi+eas':
      if (byAfi === true || tag.eas === true) return true;
      return byAfi === false && tag.eas === false ? false : undefined;
  }
}

/**
 * Whether a tag read with this AFI and EAS bit holds what `applySecurity` writes to secure (or
 * unsecure) an item: its AFI (secured is the secured value, unsecured any other), its EAS bit, or
 * with `afi+eas` both — one of the two as wanted is not enough, since a gate checking the other
 * would let a returned item through or alarm on a lent one. Undefined when what decides is not
 * read and nothing read says otherwise.
 */
export function holdsSecurity(
  options: Pick<SecurityOptions, 'method' | 'securedAfi'>,
  tag: { afi?: number | null | undefined; eas?: boolean | null | undefined },
  secured: boolean,
): boolean | undefined {
  const held: Array<boolean | undefined> = [];
  if (options.method !== 'eas')
    held.push(
      tag.afi === undefined || tag.afi === null ? undefined : (tag.afi === options.securedAfi) === secured,
    );
  if (options.method !== 'afi')
    held.push(tag.eas === undefined || tag.eas === null ? undefined : tag.eas === secured);
  if (held.includes(false)) return false;
  return held.includes(undefined) ? undefined : true;
}

/** Runs one attempt of a job; `retryable` says whether a failure may be retried later. */
export async function attemptSecurity(
  reader: RfidReader,
  options: SecurityOptions,
  job: SecurityJob,
): Promise<{ ok: true } | { ok: false; retryable: boolean; reason: string }> {
  job.busy = true;
  job.attempts++;
  try {
    await applySecurity(reader, options, job.uid, job.secured);
    return { ok: true };
  } catch (error) {
    const reason = describeError(error).code;
    job.lastError = reason;
    return {
      ok: false,
      retryable:
        (isTagAbsentError(error) || error instanceof TransportError) && job.attempts < options.maxAttempts,
      reason,
    };
  } finally {
    job.busy = false;
  }
}
