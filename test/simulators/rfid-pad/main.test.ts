import { afterEach, describe, expect, it, vi } from 'vitest';
import { runRfidPadSimulator, tagsOption } from '../../../simulators/rfid-pad/main.js';
import { decodeIso28560Part3 } from '../../../src/protocols/rfid/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runRfidPadSimulator (carrel sim rfid-pad)', () => {
  it('starts with sample-library items given by barcode with --items, and stops on SIGTERM', async () => {
    const lines: string[] = [];
    let announced!: () => void;
    const ready = new Promise<void>((resolve) => {
      announced = resolve;
    });
    vi.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
      if (line.includes('control')) announced();
    });
    const running = runRfidPadSimulator([
      '--port',
      '0',
      '--http-port',
      '0',
      '--tags',
      'V1',
      '--items',
      '31000004,31000013:2/3',
    ]);
    await ready;
    const control = /control {2}(http:\/\/127\.0\.0\.1:\d+\/api\/tags)/.exec(lines.join('\n'))?.[1];
    const { tags } = (await (await fetch(control!)).json()) as {
      tags: Array<{ memoryHex: string; afi: number; dsfid: number }>;
    };
    expect(tags).toHaveLength(3);
    const items = tags.slice(1).map((tag) => {
      const result = decodeIso28560Part3(Uint8Array.from(Buffer.from(tag.memoryHex, 'hex')));
      if (!result.ok) throw new Error(result.error.message);
      return { afi: tag.afi, dsfid: tag.dsfid, ...result.fields };
    });
    expect(items).toMatchObject([
      { afi: 0x07, dsfid: 0x3e, primaryItemId: '31000004', isil: 'SE-RPL', set: { part: 1, parts: 1 } },
      { afi: 0x07, dsfid: 0x3e, primaryItemId: '31000013', isil: 'SE-RPL', set: { part: 2, parts: 3 } },
    ]);

    process.emit('SIGTERM');
    expect(await running).toBe(0);
  });

  it('keeps the reference tags as the default only when neither --tags nor --items is given', () => {
    expect(tagsOption(undefined, undefined)).toEqual(
      ['V1', 'V2', 'V3', 'V5', 'blank'].map((preset) => ({ preset })),
    );
    expect(tagsOption(undefined, '31000005')).toEqual([
      { item: { id: '31000005', usage: 'circulating', owner: 'SE-RPL' } },
    ]);
    expect(tagsOption('V2', '31000005')).toHaveLength(2);
  });

  it('rejects a bad item or preset with a usage error', async () => {
    await expect(runRfidPadSimulator(['--items', ''])).rejects.toMatchObject({ code: 'usage' });
    await expect(runRfidPadSimulator(['--items', '31000013:4/3'])).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining('part must be at most parts'),
    });
    await expect(runRfidPadSimulator(['--items', '31000013:1-3'])).rejects.toMatchObject({ code: 'usage' });
    await expect(runRfidPadSimulator(['--tags', 'V9'])).rejects.toMatchObject({ code: 'usage' });
  });
});
