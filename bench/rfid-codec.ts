/**
 * RFID tag-data codec throughput on one core: decodeTag() decodes/s of an ISO 28560-3 tag with
 * extension blocks (Annex B.2) and an ISO 28560-2 tag (Annex D), plus the block-reversed
 * retry. Warm-up first; prints nothing.
 */

import {
  decodeTag,
  encodeIso28560Part2,
  encodeIso28560Part3,
  reverseBlocks,
} from '../src/protocols/rfid/index.js';
import type { BenchResult } from './types.js';

/** Runs `fn` in batches until `ms` have passed; returns operations per second. */
function measure(fn: () => unknown, ms: number): number {
  const batch = 2000;
  let count = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < until) {
    for (let i = 0; i < batch; i++) fn();
    count += batch;
    now = process.hrtime.bigint();
  }
  return Math.round((count * 1e9) / Number(now - start));
}

let sink: unknown;

export async function run(): Promise<BenchResult[]> {
  const part3 = encodeIso28560Part3({
    primaryItemId: '1000000136',
    ownerLibrary: 'DK-718500',
    extensions: [
      { kind: 'library', mediaFormat: 1 },
      {
        kind: 'acquisition',
        supplierId: 'Bogvognen',
        productId: '1234567890',
        supplierInvoiceNumber: 'a789656c',
      },
    ],
  });
  const part2 = encodeIso28560Part2(
    {
      primaryItemId: '123456789012',
      set: { parts: 12, part: 3 },
      shelfLocation: 'QA268.L55',
      ownerLibrary: 'US-InU-Mu',
    },
    { order: [1, 2, 4, 6, 3] },
  );
  const cases: Array<[string, Uint8Array, string]> = [
    [`ISO 28560-3 tag with extensions (${part3.length} B)`, part3, '28560-3'],
    [`ISO 28560-3 tag, block-reversed (${part3.length} B)`, reverseBlocks(part3), '28560-3'],
    [`ISO 28560-2 tag (${part2.length} B)`, part2, '28560-2'],
  ];
  const results: BenchResult[] = [];
  for (const [name, memory, format] of cases) {
    const check = decodeTag(memory);
    if (!check.ok || check.format !== format || check.warnings.length > 0) {
      throw new Error(`bench vector ${name} does not decode cleanly`);
    }
    const decode = () => {
      sink = decodeTag(memory);
    };
    measure(decode, 300);
    const decodes = measure(decode, 1500);
    results.push({
      name: `decodeTag ${name}`,
      value: decodes,
      unit: 'decodes/s',
      target: '≥ 100,000',
      met: decodes >= 100_000,
    });
  }
  void sink;
  return results;
}
