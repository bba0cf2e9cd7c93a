import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeIpp,
  encodeIpp,
  GROUP,
  groupsOf,
  IppError,
  type IppMessage,
  integerOf,
  OPERATION,
  stringOf,
  stringsOf,
  TAG,
} from '../../../src/protocols/ipp/index.js';

const CUPS = 'test/fixtures/ipp/cups-2.4.2';
const fixture = (name: string) => readFileSync(join(CUPS, name));

/** RFC 8010 Appendix A.1, "Print-Job Request" (IPP/1.1 there; the encoding is the same). */
function rfc8010PrintJob(): Buffer {
  const parts: Array<number[] | string> = [];
  const str = (s: string) => [(s.length >> 8) & 0xff, s.length & 0xff, ...Buffer.from(s)];
  parts.push([0x01, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01]);
  parts.push([0x47, ...str('attributes-charset'), ...str('utf-8')]);
  parts.push([0x48, ...str('attributes-natural-language'), ...str('en-us')]);
  parts.push([0x45, ...str('printer-uri'), ...str('ipp://printer.example.com/ipp/print/pinetree')]);
  parts.push([0x42, ...str('job-name'), ...str('foobar')]);
  parts.push([0x22, ...str('ipp-attribute-fidelity'), 0x00, 0x01, 0x01]);
  parts.push([0x02, 0x21, ...str('copies'), 0x00, 0x04, 0x00, 0x00, 0x00, 0x14]);
  parts.push([0x44, ...str('sides'), ...str('two-sided-long-edge')]);
  parts.push([0x03]);
  parts.push('%!PS...');
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

describe('IPP message codec', () => {
  it('decodes the Print-Job request of RFC 8010 A.1 and encodes it back to the same bytes', () => {
    const bytes = rfc8010PrintJob();
    const message = decodeIpp(bytes);
    expect(message.version).toEqual({ major: 1, minor: 1 });
    expect(message.code).toBe(OPERATION.printJob);
    expect(message.requestId).toBe(1);
    const [operation, job] = message.groups;
    expect(operation?.tag).toBe(GROUP.operation);
    expect(stringOf(operation, 'printer-uri')).toBe('ipp://printer.example.com/ipp/print/pinetree');
    expect(operation?.attributes.find((a) => a.name === 'ipp-attribute-fidelity')?.values).toEqual([
      { tag: TAG.boolean, value: true },
    ]);
    expect(integerOf(job, 'copies')).toBe(20);
    expect(stringOf(job, 'sides')).toBe('two-sided-long-edge');
    expect(Buffer.from(message.data).toString()).toBe('%!PS...');
    expect(encodeIpp(message).equals(bytes)).toBe(true);
  });

  const files = readdirSync(CUPS).filter((f) => f.endsWith('.ipp'));
  it.each(files)('round-trips CUPS 2.4.2 traffic byte for byte: %s', (name) => {
    const bytes = fixture(name);
    expect(encodeIpp(decodeIpp(bytes)).equals(bytes)).toBe(true);
  });

  it('reads the held jobs of a CUPS Get-Jobs answer: id, owner, name, state, copies', () => {
    const answer = decodeIpp(fixture('get-jobs.response.ipp'));
    expect(answer.code).toBe(0);
    const jobs = groupsOf(answer, GROUP.job).map((job) => ({
      id: integerOf(job, 'job-id'),
      owner: stringOf(job, 'job-originating-user-name'),
      name: stringOf(job, 'job-name'),
      state: integerOf(job, 'job-state'),
      reasons: stringsOf(job, 'job-state-reasons'),
    }));
    expect(jobs).toEqual([
      { id: 1, owner: 'patron42', name: 'Essay draft', state: 4, reasons: ['job-hold-until-specified'] },
      {
        id: 2,
        owner: '21234000000001',
        name: 'Boarding pass',
        state: 4,
        reasons: ['job-hold-until-specified'],
      },
    ]);
  });

  it('carries the document after the attributes (CUPS-Get-Document answers with the PDF)', () => {
    const answer = decodeIpp(fixture('cups-get-document.response.ipp'));
    expect(Buffer.from(answer.data).subarray(0, 5).toString()).toBe('%PDF-');
    expect(stringOf(groupsOf(answer, GROUP.job)[0], 'document-format')).toBe('application/pdf');
  });

  it('keeps collections, ranges and resolutions (an IPP Everywhere printer describing itself)', () => {
    const answer = decodeIpp(fixture('ippeveprinter-get-printer-attributes.response.ipp'));
    const printer = groupsOf(answer, GROUP.printer)[0];
    const copies = printer?.attributes.find((a) => a.name === 'copies-supported')?.values[0];
    expect(copies?.tag).toBe(TAG.rangeOfInteger);
    expect(copies?.value).toMatchObject({ lower: 1 });
    const media = printer?.attributes.find((a) => a.name === 'media-col-default')?.values[0]?.value as {
      members: Array<{ name: string }>;
    };
    expect(media.members.map((m) => m.name)).toContain('media-size');
  });

  it('encodes a text with its language as RFC 8010 §3.9 lays it out, UTF-8 counted in bytes', () => {
    const message: IppMessage = {
      version: { major: 2, minor: 0 },
      code: 0,
      requestId: 7,
      groups: [
        {
          tag: GROUP.printer,
          attributes: [
            {
              name: 'printer-info',
              values: [{ tag: TAG.textWithLanguage, value: { language: 'sv', text: 'Lånedisk' } }],
            },
          ],
        },
      ],
      data: new Uint8Array(),
    };
    const text = Buffer.from('Lånedisk');
    const expected = Buffer.concat([
      Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, GROUP.printer, TAG.textWithLanguage]),
      Buffer.from([0x00, 12]),
      Buffer.from('printer-info'),
      Buffer.from([0x00, 2 + 2 + 2 + text.length, 0x00, 2]),
      Buffer.from('sv'),
      Buffer.from([0x00, text.length]),
      text,
      Buffer.from([GROUP.end]),
    ]);
    expect(encodeIpp(message).equals(expected)).toBe(true);
    expect(decodeIpp(expected)).toEqual(message);
  });

  it('refuses to encode a value its two-byte length cannot say (our bug, a RangeError)', () => {
    const withValue = (
      tag: number,
      value: IppMessage['groups'][number]['attributes'][number]['values'][number]['value'],
    ) =>
      encodeIpp({
        version: { major: 2, minor: 0 },
        code: 0,
        requestId: 1,
        groups: [{ tag: GROUP.job, attributes: [{ name: 'job-name', values: [{ tag, value }] }] }],
        data: new Uint8Array(),
      });
    expect(() => withValue(TAG.nameWithoutLanguage, 'x'.repeat(65_535))).not.toThrow();
    expect(() => withValue(TAG.nameWithoutLanguage, 'å'.repeat(32_768))).toThrow(RangeError);
    expect(() => withValue(TAG.nameWithLanguage, { language: 'en', text: 'x'.repeat(65_530) })).toThrow(
      RangeError,
    );
  });

  it('refuses a message cut anywhere inside its attributes with ipp_truncated', () => {
    const bytes = rfc8010PrintJob();
    const end = bytes.indexOf(0x03, bytes.length - 9);
    for (let cut = 0; cut <= end; cut++) {
      expect(() => decodeIpp(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(IppError);
    }
  });

  it('refuses a value whose syntax has a fixed size given another size', () => {
    const bytes = Buffer.from(rfc8010PrintJob());
    const copies = bytes.indexOf(Buffer.from('copies')) + 6;
    bytes.writeUInt16BE(3, copies);
    expect(() => decodeIpp(bytes)).toThrow(expect.objectContaining({ code: 'ipp_malformed' }));
  });

  it('refuses collections nested deeper than 16', () => {
    const head = [0x01, 0x01, 0x00, 0x00, 0, 0, 0, 1, 0x04, 0x34, 0x00, 0x01, 0x63, 0x00, 0x00];
    const nest = [0x4a, 0x00, 0x00, 0x00, 0x01, 0x6d, 0x34, 0x00, 0x00, 0x00, 0x00];
    const bytes = Buffer.from([...head, ...Array.from({ length: 40 }, () => nest).flat()]);
    expect(() => decodeIpp(bytes)).toThrow(expect.objectContaining({ code: 'ipp_too_large' }));
  });

  it('never throws anything but IppError on random or mutated bytes, and what it decodes encodes back', () => {
    const seeds = [
      rfc8010PrintJob(),
      fixture('get-jobs.response.ipp'),
      fixture('ippeveprinter-get-printer-attributes.response.ipp'),
    ];
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('flip', 'insert', 'delete'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    const check = (bytes: Uint8Array) => {
      let message: IppMessage;
      try {
        message = decodeIpp(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(IppError);
        return;
      }
      expect(decodeIpp(encodeIpp(message))).toEqual(message);
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (seed, mutations) => {
          const bytes = [...(seeds[seed] as Buffer)];
          for (const m of mutations) {
            const at = m.at % Math.max(1, bytes.length);
            if (m.kind === 'flip') bytes[at] = m.byte;
            else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
            else bytes.splice(at, 1);
          }
          check(Uint8Array.from(bytes));
        },
      ),
      { numRuns: 500 },
    );
  });
});
