import type { AnySip2MessageInput } from '../src/protocols/sip2/index.js';

/** The SIP2 checkout (11) every bench path sends for a kiosk's patron and an item. */
export function benchCheckout(patron: string, item: string, pin: string): AnySip2MessageInput {
  return {
    type: 'checkout',
    scRenewalPolicy: false,
    noBlock: false,
    transactionDate: new Date(),
    nbDueDate: null,
    institutionId: 'BENCH',
    patronIdentifier: patron,
    itemIdentifier: item,
    terminalPassword: '',
    patronPassword: pin,
  } as AnySip2MessageInput;
}
