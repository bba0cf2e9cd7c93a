import { describe, expect, it } from 'vitest';
import {
  type AnySip2MessageInput,
  decodeSip2Message,
  encodeSip2Message,
  SIP2_MESSAGES,
  type Sip2Message,
} from '../../../src/protocols/sip2/index.js';
import { MESSAGE_VECTORS } from '../../fixtures/sip2/messages.js';

const ascii = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('SIP2 message vectors', () => {
  it('cover every message in the spec table', () => {
    const covered = new Set(MESSAGE_VECTORS.map((vector) => vector.message.type));
    expect([...covered].sort()).toEqual(Object.keys(SIP2_MESSAGES).sort());
  });

  for (const vector of MESSAGE_VECTORS) {
    describe(vector.name, () => {
      it('parses', () => {
        const result = decodeSip2Message(vector.wire);
        expect(result).toMatchObject({ ok: true, warnings: [], checksum: 'valid' });
        if (result.ok) expect(result.message).toEqual(vector.message);
      });

      it('generates', () => {
        expect(ascii(encodeSip2Message(vector.message))).toBe(`${vector.wire}\r`);
      });

      it('mirrors: object → wire → object', () => {
        const wire = encodeSip2Message(vector.message as AnySip2MessageInput);
        const result = decodeSip2Message(wire);
        expect(result.ok && result.message).toEqual(vector.message);
      });
    });
  }
});

describe('SIP2 message types', () => {
  it('derive from the spec table', () => {
    const result = decodeSip2Message(
      MESSAGE_VECTORS.find((v) => v.message.type === 'patronInformationResponse')!.wire,
    );
    if (!result.ok || result.message.type !== 'patronInformationResponse') throw new Error('not a 64');
    const message: Sip2Message<'patronInformationResponse'> = result.message;
    // Typed access: repeatable fields are arrays, counts numbers or null, enums keep their code.
    expect(message.chargedItems?.length).toBe(3);
    expect(message.unavailableHoldsCount).toBeNull();
    expect(message.language).toEqual({ code: '001', name: 'english' });
    expect(message.patronStatus.chargePrivilegesDenied).toBe(false);
  });

  it('encode from names and Date objects', () => {
    const bytes = encodeSip2Message(
      {
        type: 'itemInformationResponse',
        circulationStatus: 'waitingOnHoldShelf',
        securityMarker: 'none',
        feeType: { code: '01' },
        transactionDate: new Date(Date.UTC(2024, 2, 15, 14, 25, 30)),
        itemIdentifier: 'i1',
        titleIdentifier: 't',
        mediaType: 'videoTape',
        dueDate: '2022-02-27',
      },
      { utcDates: true, errorDetection: false },
    );
    expect(ascii(bytes)).toBe('18080101' + '20240315   Z142530' + 'AH2022-02-27|ABi1|AJt|CK005|\r');
  });
});
