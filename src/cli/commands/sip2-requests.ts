/**
 * The console's commands: how many arguments each takes, which message it sends
 * (its flag in the ILS's BX), and the request it makes of the ILS client. Options
 * are read when a command is prepared, so bad usage is refused before anything is
 * sent.
 */
import type { IlsClient, Sip2Exchange } from '../../devices/ils/index.js';
import {
  FEE_TYPE,
  type FeeType,
  HOLD_MODE,
  type HoldMode,
  MESSAGE_TYPE_BY_CODE,
  PAYMENT_TYPE,
  type PaymentType,
  type Sip2MessageType,
  SUPPORTED_MESSAGE_FLAGS,
  type SupportedMessage,
} from '../../protocols/sip2/index.js';
import {
  currencyOption,
  dateOption,
  enumOption,
  type RequestValues,
  rangeOption,
  summaryOption,
} from './sip2-args.js';

/** What a prepared command is given to send with. */
export interface ConsoleContext {
  client: IlsClient;
  /** The ILS's currency: seen in an earlier answer, or asked about the patron (BH). */
  currency(patron: string, pin: string | undefined): Promise<string>;
}

export type PreparedRequest = (context: ConsoleContext) => Promise<Sip2Exchange>;

export interface ConsoleCommand {
  arity: [number, number];
  /** The BX flag of the message the command sends. */
  supports?: (args: string[]) => SupportedMessage | undefined;
  /** Reads the options (throws a usage error) and returns the request, not yet sent. */
  prepare(args: string[], values: RequestValues): PreparedRequest;
}

/** The BX flag of a message type: 16 of them, named as the message but for 99 and 97. */
export function supportFlagOf(type: Sip2MessageType): SupportedMessage | undefined {
  if (type === 'scStatus') return 'scAcsStatus';
  if (type === 'requestAcsResend') return 'requestScAcsResend';
  return (SUPPORTED_MESSAGE_FLAGS as readonly string[]).includes(type)
    ? (type as SupportedMessage)
    : undefined;
}

const flag = (type: Sip2MessageType) => () => supportFlagOf(type);

export const COMMANDS: Record<string, ConsoleCommand> = {
  status: { arity: [0, 0], prepare: () => (c) => c.client.status() },
  login: { arity: [0, 0], prepare: () => (c) => c.client.login() },
  'patron-status': {
    arity: [1, 1],
    supports: flag('patronStatusRequest'),
    prepare:
      ([p], v) =>
      (c) =>
        c.client.patronStatus(p!, { pin: v.pin }),
  },
  'patron-info': {
    arity: [1, 1],
    supports: flag('patronInformation'),
    prepare: ([p], v) => {
      const summary = summaryOption(v.summary);
      const range = rangeOption(v);
      return (c) => c.client.patronInformation(p!, { pin: v.pin, summary, range });
    },
  },
  'item-info': {
    arity: [1, 1],
    supports: flag('itemInformation'),
    prepare:
      ([i]) =>
      (c) =>
        c.client.itemInformation(i!),
  },
  checkout: {
    arity: [2, 2],
    supports: flag('checkout'),
    prepare: ([p, i], v) => {
      const nbDueDate = dateOption(v['nb-due-date']);
      return (c) =>
        c.client.checkout(p!, i!, {
          pin: v.pin,
          feeAcknowledged: v['fee-acknowledged'],
          noBlock: v['no-block'],
          nbDueDate,
        });
    },
  },
  checkin: {
    arity: [1, 1],
    supports: flag('checkin'),
    prepare:
      ([i], v) =>
      (c) =>
        c.client.checkin(i!, { noBlock: v['no-block'] }),
  },
  renew: {
    arity: [1, 2],
    supports: flag('renew'),
    prepare:
      ([p, i], v) =>
      (c) =>
        c.client.renew(p!, i, {
          pin: v.pin,
          title: v.title,
          feeAcknowledged: v['fee-acknowledged'],
          noBlock: v['no-block'],
        }),
  },
  'renew-all': {
    arity: [1, 1],
    supports: flag('renewAll'),
    prepare:
      ([p], v) =>
      (c) =>
        c.client.renewAll(p!, { pin: v.pin, feeAcknowledged: v['fee-acknowledged'] }),
  },
  hold: {
    arity: [1, 2],
    supports: flag('hold'),
    prepare: ([p, i], v) => {
      const mode = enumOption<HoldMode>(v.mode, HOLD_MODE.byName, 'mode') ?? 'add';
      return (c) =>
        c.client.hold(p!, {
          mode,
          item: i,
          title: v.title,
          pickupLocation: v.pickup,
          pin: v.pin,
          feeAcknowledged: v['fee-acknowledged'],
        });
    },
  },
  'fee-paid': {
    arity: [2, 2],
    supports: flag('feePaid'),
    prepare: ([p, amount], v) => {
      const feeType = enumOption<FeeType>(v['fee-type'], FEE_TYPE.byName, 'fee-type');
      const paymentType = enumOption<PaymentType>(v['payment-type'], PAYMENT_TYPE.byName, 'payment-type');
      const given = currencyOption(v.currency);
      return async (c) =>
        c.client.feePaid(p!, {
          amount: amount!,
          feeType,
          paymentType,
          currency: given ?? (await c.currency(p!, v.pin)),
          feeId: v['fee-id'],
          pin: v.pin,
        });
    },
  },
  'block-patron': {
    arity: [1, 1],
    supports: flag('blockPatron'),
    prepare:
      ([p], v) =>
      (c) =>
        c.client.blockPatron(p!, { message: v.message, cardRetained: v['card-retained'] }),
  },
  'patron-enable': {
    arity: [1, 1],
    supports: flag('patronEnable'),
    prepare:
      ([p], v) =>
      (c) =>
        c.client.patronEnable(p!, { pin: v.pin }),
  },
  'item-status-update': {
    arity: [2, 2],
    supports: flag('itemStatusUpdate'),
    prepare:
      ([i, properties]) =>
      (c) =>
        c.client.itemStatusUpdate(i!, properties!),
  },
  'end-session': {
    arity: [1, 1],
    supports: flag('endPatronSession'),
    prepare:
      ([p], v) =>
      (c) =>
        c.client.endSession(p!, { pin: v.pin }),
  },
  raw: {
    arity: [1, 1],
    supports: ([frame]) => {
      const type = MESSAGE_TYPE_BY_CODE.get(frame!.slice(0, 2));
      return type === undefined ? undefined : supportFlagOf(type);
    },
    prepare:
      ([frame]) =>
      (c) =>
        c.client.raw(frame!),
  },
};

/** What the BX flag means, for messages: `hold (15)`. */
export function describeFlag(flag: SupportedMessage): string {
  const type =
    flag === 'scAcsStatus' ? 'scStatus' : flag === 'requestScAcsResend' ? 'requestAcsResend' : flag;
  const code = [...MESSAGE_TYPE_BY_CODE].find(([, t]) => t === type)?.[0];
  return code === undefined ? flag : `${flag} (${code})`;
}
