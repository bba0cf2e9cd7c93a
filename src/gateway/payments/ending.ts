/**
 * Ending a payment, once what was under way has landed: its cash devices are let go (what was in a
 * coin path is credited to the payment first), what it was paid is read from the credit journal —
 * never from a count of its own — and it is settled with that (settlement.ts), or, paid nothing,
 * cancelled. Each step is recorded as it is made, so a restart takes up an ending cut short. After
 * a restart, a device an ended payment could not let go of (out of reach) is let go once it is back.
 */
import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { PaymentView } from '../contracts/payments.js';
import type { CreditJournal } from '../families/cash-device/credit-journal.js';
import { cashDevices } from '../families/cash-device/index.js';
import type { PortLookup } from '../family.js';
import { deviceBack } from './cash-devices.js';
import { type SettlementDeps, settle } from './settlement.js';
import type { PaymentRow } from './store.js';

export interface EndingDeps extends SettlementDeps {
  devices: PortLookup;
  journal: CreditJournal;
}

/** Lets the payment's devices go; one out of reach stays held, what it takes read when it is back. */
async function letGo(payment: string, device: string, devices: PortLookup, logger: Logger): Promise<void> {
  try {
    await devices.port(cashDevices, device).release(payment);
  } catch (error) {
    logger.warn({ payment, device, err: describeError(error) }, 'device not let go');
  }
}

/**
 * Lets the devices go, then settles the payment with what the journal says it was paid, and records
 * it ended (`reason`); returns what it was paid. The PIN only while the process has it.
 */
export async function endPayment(
  row: PaymentRow,
  reason: NonNullable<PaymentView['endReason']>,
  pin: string | undefined,
  deps: EndingDeps,
): Promise<number> {
  const { store } = deps;
  for (const deviceId of JSON.parse(row.devices) as string[])
    await letGo(row.id, deviceId, deps.devices, deps.logger);
  const paid = deps.journal.creditsOf(row.id).reduce((sum, credit) => sum + (credit.value_minor ?? 0), 0);
  store.setSettled(row.id, paid);
  if (paid === 0) {
    store.setState(row.id, 'cancelled', { at: deps.now(), reason: reason === 'paid' ? 'cancelled' : reason });
    return paid;
  }
  if (row.state === 'collecting') store.setState(row.id, 'settling');
  await settle(row, paid, pin, deps);
  store.setState(row.id, 'completed', { at: deps.now(), reason });
  return paid;
}

/**
 * After a restart: a device an ended payment could not let go of (out of reach) is held still; what
 * it took is read with the hold once it is back, then it is let go.
 */
export async function releaseEndedHolds(deps: EndingDeps & { clock: Clock }): Promise<void> {
  for (const { device, holder } of deps.journal.holders()) {
    const row = deps.store.get(holder);
    if (row?.state !== 'completed' && row?.state !== 'cancelled') continue;
    await deviceBack(device, deps.devices, deps.clock);
    await letGo(holder, device, deps.devices, deps.logger);
  }
}
