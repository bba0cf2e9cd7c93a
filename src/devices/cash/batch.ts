/** A reading of the event buffer, in money: which events are credits, escrow, troubles, or unverified. */
import { billEvent, coinEvent, type EventReading, type EventResult } from '../../protocols/cctalk/index.js';
import type { CashChannel, CashDeviceKind, CashEventBatch } from './types.js';

export function batchOf(
  kind: CashDeviceKind,
  channels: ReadonlyMap<number, CashChannel>,
  previousCounter: number | undefined,
  reading: Exclude<EventReading, { kind: 'none' }>,
): CashEventBatch {
  const batch: CashEventBatch = {
    previousCounter,
    counter: reading.counter,
    reading: reading.kind,
    credits: [],
    unverified: [],
    escrow: [],
    statuses: [],
  };
  if (reading.kind === 'jump') {
    batch.missed = reading.missed;
    // Journaled even when the buffer shows no money: what was never seen may have been coins.
    if (reading.missed > 0) batch.unverified.push({ reason: 'events_lost' });
    for (const result of reading.visible) {
      const channel = creditChannel(kind, result);
      if (channel === undefined) continue;
      const known = channels.get(channel);
      batch.unverified.push({
        reason: 'event_counter_jump',
        channel,
        ...(known ? { currency: known.currency, valueMinor: known.valueMinor } : {}),
      });
    }
    return batch;
  }
  if (reading.kind !== 'events') return batch;
  for (const result of reading.events) {
    if (kind === 'coin-acceptor') {
      const event = coinEvent(result);
      if (event.kind === 'credit') credit(batch, channels, event.channel, 'credits');
      else if (event.code !== 0)
        batch.statuses.push({ code: event.code, name: event.name, severity: event.severity });
      continue;
    }
    const event = billEvent(result);
    if (event.kind === 'credit') credit(batch, channels, event.billType, 'credits');
    else if (event.kind === 'escrow') credit(batch, channels, event.billType, 'escrow');
    else {
      batch.statuses.push({ code: event.code, name: event.name, severity: event.severity });
      if (event.code === 21) batch.unverified.push({ reason: 'unknown_bill_type_stacked' });
    }
  }
  return batch;
}

function creditChannel(kind: CashDeviceKind, result: EventResult): number | undefined {
  if (result.a === 0) return undefined;
  if (kind === 'coin-acceptor') return result.a;
  return result.b === 0 ? result.a : undefined;
}

function credit(
  batch: CashEventBatch,
  channels: ReadonlyMap<number, CashChannel>,
  channel: number,
  into: 'credits' | 'escrow',
): void {
  const known = channels.get(channel);
  if (known) batch[into].push({ channel, currency: known.currency, valueMinor: known.valueMinor });
  else if (into === 'credits') batch.unverified.push({ reason: 'unknown_channel', channel });
  // A note of a type with no known value waits in escrow too: worth nothing here, it is returned.
  else batch.escrow.push({ channel, currency: '', valueMinor: 0 });
}
