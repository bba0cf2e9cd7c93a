/**
 * The ccTalk headers (commands) a payment kiosk uses, from the ccTalk generic
 * specification, part 2. One table: the host's requests, the simulator's
 * dispatch and the logs all read it.
 */
export const HEADER = {
  /** Reply headers. */
  ack: 0,
  nak: 5,
  busy: 6,
  resetDevice: 1,
  requestBillOperatingMode: 152,
  modifyBillOperatingMode: 153,
  routeBill: 154,
  requestCountryScalingFactor: 156,
  requestBillId: 157,
  readBufferedBillEvents: 159,
  requestCoinId: 184,
  requestMasterInhibitStatus: 227,
  modifyMasterInhibitStatus: 228,
  readBufferedCreditOrErrorCodes: 229,
  requestInhibitStatus: 230,
  modifyInhibitStatus: 231,
  performSelfCheck: 232,
  requestSoftwareRevision: 241,
  requestSerialNumber: 242,
  requestProductCode: 244,
  requestEquipmentCategoryId: 245,
  requestManufacturerId: 246,
  addressPoll: 253,
  simplePoll: 254,
} as const;

export type HeaderName = keyof typeof HEADER;

const NAMES = new Map<number, HeaderName>(
  (Object.entries(HEADER) as Array<[HeaderName, number]>).map(([name, value]) => [value, name]),
);

/** A header's name for logs: `readBufferedCreditOrErrorCodes`, or `header 123`. */
export function headerName(header: number): string {
  return NAMES.get(header) ?? `header ${header}`;
}

/** Route codes of Route bill (154). */
export const ROUTE = { returnBill: 0, stack: 1, extendEscrowTimeout: 255 } as const;

/** Route bill (154) refusals, the one data byte of a reply that is not a plain ACK. */
export const ROUTE_ERROR = { escrowEmpty: 254, failedToRoute: 255 } as const;

/** The equipment categories of Request equipment category id (245), as devices send them. */
export const CATEGORY = { coinAcceptor: 'Coin Acceptor', billValidator: 'Bill Validator' } as const;

/** Default addresses by category (part 1). */
export const DEFAULT_ADDRESS = { coinAcceptor: 2, billValidator: 40 } as const;

/** Bill operating mode (153/152): bit 0 use the stacker, bit 1 use escrow. */
export const BILL_MODE = { stacker: 1, escrow: 2 } as const;
