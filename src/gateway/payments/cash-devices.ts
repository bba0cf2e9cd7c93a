/**
 * A payment's cash devices: which take its money, which of them are free to take it, the most one
 * coin or note may be, the values they take now, waiting for one to be back after a restart, and the payment's progress told as an event
 * of each of them.
 */
import type { Clock } from '../../core/clock.js';
import type { PaymentView } from '../contracts/payments.js';
import type { PrintAccountDeposits } from '../contracts/print-accounts.js';
import type { EventBus } from '../event-bus.js';
import type { CashDeviceEventsMap } from '../families/cash-device/events.js';
import { cashDevices } from '../families/cash-device/index.js';
import { emitEvent, type PortLookup } from '../family.js';
import type { PaymentsConfig } from './config.js';
import { PaymentError } from './errors.js';

/** How long a restart waits for a device to be back before letting it go (its buffer is read when it is). */
const RECONNECT_WAIT_MS = 10_000;

/**
 * The devices named, else the configured ones, else every cash device of the desk. A device named
 * twice is taken once: the list says which devices take the money, and twice means nothing more —
 * kept twice, the payment listed it twice and let it go twice.
 */
export function paymentDevices(named: string[] | undefined, config: PaymentsConfig, devices: PortLookup) {
  const listed = named ?? config.devices;
  const wanted = listed === undefined ? undefined : [...new Set(listed)];
  const all = devices.all(cashDevices);
  const chosen =
    wanted === undefined ? all : wanted.map((id) => ({ id, port: devices.port(cashDevices, id) }));
  if (chosen.length === 0)
    throw new PaymentError('no_cash_devices', 'no cash device is configured to take money');
  return chosen;
}

/**
 * Claims for payment `id` the devices no other payment holds (`claims`: the devices of payments
 * opening, whose holds are not all journaled yet, device id → payment id), in the step that finds
 * them free, before any record is made. A device a payment still collecting holds, or none free,
 * is refused cash_device_busy with nothing claimed. A device an ended payment still holds was out of
 * reach when it ended: what it took is that payment's, read when it is back; this payment takes
 * money on the others.
 */
export function claimFreeDevices<
  Device extends { id: string; port: { status(): { holder: string | null } } },
>(
  id: string,
  devices: readonly Device[],
  claims: Map<string, string>,
  hasEnded: (payment: string) => boolean,
): Device[] {
  const holders = new Map(
    devices.map((device) => [device.id, claims.get(device.id) ?? device.port.status().holder]),
  );
  const busy = devices.find((device) => {
    const holder = holders.get(device.id) ?? null;
    return holder !== null && !hasEnded(holder);
  });
  if (busy)
    throw new PaymentError(
      'cash_device_busy',
      `cash device "${busy.id}" is taking money for another payment`,
    );
  const free = devices.filter((device) => holders.get(device.id) === null);
  if (free.length === 0)
    throw new PaymentError(
      'cash_device_busy',
      `cash device "${devices[0]!.id}" is out of reach; what it took for the last payment is read when it is back`,
    );
  for (const device of free) claims.set(device.id, id);
  return free;
}

/** The most a device may take at once: what is due still, plus the overpayment allowance. */
export function maxValue(
  remainingMinor: number,
  config: PaymentsConfig,
  printAccounts: PrintAccountDeposits | undefined,
): number {
  if (remainingMinor <= 0) return 0;
  return (
    remainingMinor +
    (config.overpayment === 'print-account' && printAccounts ? config.maxOverpaymentMinor : 0)
  );
}

/** The values the payment's devices take now, smallest first. */
export function acceptedValues(id: string, deviceIds: readonly string[], devices: PortLookup): number[] {
  const values = new Set<number>();
  for (const deviceId of deviceIds) {
    const status = devices.port(cashDevices, deviceId).status();
    // A jammed coin acceptor (a cash box out, a fault) hands back what is put in, and what one out
    // of reach takes (its line down) is counted only once it is back: their values were listed as
    // taken, and the patron's coins came back, or went in uncounted, with nothing said.
    if (status.holder === id && status.connected && !status.trouble)
      for (const value of status.accepted) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** Waits (a while) for a device to be connected; returns at once for one not configured. */
export async function deviceBack(deviceId: string, devices: PortLookup, clock: Clock): Promise<void> {
  const deadline = clock.monotonic() + RECONNECT_WAIT_MS;
  for (;;) {
    let connected = false;
    try {
      connected = devices.port(cashDevices, deviceId).status().connected;
    } catch {
      return;
    }
    if (connected || clock.monotonic() > deadline) return;
    await clock.sleep(50);
  }
}

/** The payment's progress as an event of each of its devices: ids and money only, never the patron. */
export function announcePayment(bus: EventBus, clock: Clock, view: PaymentView): void {
  for (const device of view.devices)
    emitEvent<CashDeviceEventsMap, 'cash.payment'>(bus, clock, device, 'cash.payment', {
      payment: view.id,
      state: view.state,
      currency: view.currency,
      amountDueMinor: view.amountDueMinor,
      paidMinor: view.paidMinor,
      remainingMinor: view.remainingMinor,
      offline: view.offline,
      endReason: view.endReason ?? null,
    });
}
