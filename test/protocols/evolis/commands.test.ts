import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blankPanel,
  command,
  compressPanel,
  type EvolisCommand,
  EvolisCommandFramer,
  type EvolisCommandItem,
  encodeCommand,
  LINE_BYTES,
  MAX_TEXT_COMMAND,
  PANEL_DOTS,
  packPanel,
  panelBytes,
} from '../../../src/protocols/evolis/index.js';

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** A 1-bit panel whose packed bytes are full of CR and ESC, the bytes a CR-split framer trips on. */
function hostilePanel(): Buffer {
  const data = Buffer.alloc(panelBytes(2));
  for (let i = 0; i < data.length; i++) data[i] = i % 3 === 0 ? 0x0d : i % 3 === 1 ? 0x1b : 0x00;
  return data;
}

/** The commands Printer-EVOLIS's evolis-driver.pl sends for a one-sided black card, as bytes. */
const VECTORS: Array<{ name: string; wire: Buffer; command: EvolisCommand }> = [
  { name: 'ribbon black', wire: ascii('\x1bPr;k\r'), command: command('Pr', 'k') },
  { name: 'insertion from feeder', wire: ascii('\x1bPmi;F;s\r'), command: command('Pmi', 'F', 's') },
  { name: 'contrast', wire: ascii('\x1bPc;k;=;10\r'), command: command('Pc', 'k', '=', '10') },
  { name: 'sequence start', wire: ascii('\x1bSs\r'), command: command('Ss') },
  { name: 'front', wire: ascii('\x1bSr\r'), command: command('Sr') },
  {
    name: 'magstripe track 2',
    wire: ascii('\x1bDm;2;21234000123455\r'),
    command: command('Dm', '2', '21234000123455'),
  },
  {
    name: 'black panel download holding CR and ESC',
    wire: Buffer.concat([ascii('\x1bDb;k;2;'), hostilePanel(), ascii('\r')]),
    command: { name: 'Db', panel: 'k', levels: 2, data: hostilePanel() },
  },
  {
    name: 'compressed overlay download',
    wire: Buffer.concat([
      ascii(`\x1bDbc;o;2;${1016 + 2};`),
      Buffer.alloc(1014, 0xff),
      Buffer.of(0x02, 0x0d, 0x0d),
      Buffer.of(0x00),
      ascii('\r'),
    ]),
    command: {
      name: 'Dbc',
      panel: 'o',
      levels: 2,
      data: Buffer.concat([Buffer.alloc(1014, 0xff), Buffer.of(0x02, 0x0d, 0x0d), Buffer.of(0x00)]),
    },
  },
  { name: 'sequence end', wire: ascii('\x1bSe\r'), command: command('Se') },
];

const commandsOf = (items: EvolisCommandItem[]) => items.flatMap((item) => (item.ok ? [item.command] : []));

/** Commands with a download's data as its length and a digest, so thousands of comparisons stay cheap. */
const summaryOf = (commands: EvolisCommand[]) =>
  commands.map((c) =>
    'data' in c ? { ...c, data: `${c.data.length}:${createHash('sha1').update(c.data).digest('hex')}` } : c,
  );

describe('Evolis commands', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: generate, parse, mirror`, () => {
      expect(encodeCommand(vector.command).equals(vector.wire)).toBe(true);
      const items = new EvolisCommandFramer().push(vector.wire);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ ok: true, size: vector.wire.length });
      expect(summaryOf(commandsOf(items))).toEqual(summaryOf([vector.command]));
      expect(encodeCommand(commandsOf(items)[0]!).equals(vector.wire)).toBe(true);
    });
  }

  it('refuses to build a command an argument would break', () => {
    expect(() => encodeCommand(command('Dm', '2', '12;34'))).toThrow(/character/);
    expect(() => encodeCommand(command('Dm', '2', '12\r'))).toThrow(/character/);
    expect(() => encodeCommand(command('S s'))).toThrow(/not a command name/);
    expect(() => encodeCommand({ name: 'Db', panel: 'k', levels: 2, data: Buffer.alloc(10) })).toThrow(
      /82296/,
    );
  });

  it('compresses a panel as the guide says: 0x00 blank line, 0xFF full line, else count and bytes', () => {
    const panel = blankPanel('k', 2);
    panel.dots.fill(1, PANEL_DOTS, 2 * PANEL_DOTS); // line 1 full
    panel.dots[2 * PANEL_DOTS] = 1; // line 2: first dot only
    const compressed = compressPanel(panel);
    expect([...compressed.subarray(0, 5)]).toEqual([0x00, 0xff, 0x01, 0x80, 0x00]);
    expect(compressed.length).toBe(1016 + 1);
    expect(packPanel(panel).length).toBe(LINE_BYTES * 1016);
  });
});

describe('Evolis command framer', () => {
  const stream = Buffer.concat([...VECTORS.map((v) => v.wire), Buffer.alloc(64)]);

  it('finds every command when the stream is split at every byte offset', () => {
    const expected = summaryOf(VECTORS.map((v) => v.command));
    // The whole job split in two at every offset outside the panel data and every 61st inside it,
    // then each vector on its own at every offset.
    const panelStart = VECTORS.slice(0, 6).reduce((n, v) => n + v.wire.length, 0) + 'xDb;k;2;'.length;
    const panelEnd = panelStart + panelBytes(2);
    for (let at = 0; at <= stream.length; at += at < panelStart || at > panelEnd ? 1 : 61) {
      const framer = new EvolisCommandFramer();
      const items = [...framer.push(stream.subarray(0, at)), ...framer.push(stream.subarray(at))];
      expect(items.every((item) => item.ok)).toBe(true);
      expect(summaryOf(commandsOf(items))).toEqual(expected);
    }
    for (const vector of VECTORS.filter((v) => v.wire.length < 2000)) {
      for (let at = 0; at <= vector.wire.length; at++) {
        const framer = new EvolisCommandFramer();
        const items = [...framer.push(vector.wire.subarray(0, at)), ...framer.push(vector.wire.subarray(at))];
        expect(commandsOf(items)).toEqual([vector.command]);
      }
    }
  });

  it('reads the whole job byte by byte', () => {
    const framer = new EvolisCommandFramer();
    const items: EvolisCommandItem[] = [];
    for (const byte of stream) items.push(...framer.push(Uint8Array.of(byte)));
    expect(summaryOf(commandsOf(items))).toEqual(summaryOf(VECTORS.map((v) => v.command)));
  });

  it('skips bytes that start no command, once, and goes on at the next ESC', () => {
    const items = new EvolisCommandFramer().push(ascii('junk\r\x1bSs\r'));
    expect(items[0]).toMatchObject({ ok: false, error: { code: 'evolis_garbage' } });
    expect(commandsOf(items)).toEqual([command('Ss')]);
  });

  it('refuses a download with a bad header and a compressed panel whose length is wrong', () => {
    const framer = new EvolisCommandFramer();
    expect(framer.push(ascii('\x1bDb;x;2;'))[0]).toMatchObject({ error: { code: 'evolis_bad_download' } });
    expect(commandsOf(framer.push(ascii('\x01\x02\r\x1bSe\r')))).toEqual([command('Se')]);
    expect(new EvolisCommandFramer().push(ascii('\x1bDbc;k;2;12;'))[0]).toMatchObject({
      error: { code: 'evolis_bad_download' },
    });
  });

  it('reports a download whose data runs past its length', () => {
    const wire = Buffer.concat([ascii('\x1bDb;k;2;'), Buffer.alloc(panelBytes(2)), ascii('XX\r\x1bSe\r')]);
    const items = new EvolisCommandFramer().push(wire);
    expect(items[0]).toMatchObject({ ok: false, error: { code: 'evolis_bad_download' } });
    expect(commandsOf(items)).toEqual([command('Se')]);
  });

  it('holds no text command longer than its bound', () => {
    const items = new EvolisCommandFramer().push(
      ascii(`\x1bDm;1;${'A'.repeat(MAX_TEXT_COMMAND + 10)}\r\x1bSs\r`),
    );
    expect(items[0]).toMatchObject({ ok: false, error: { code: 'evolis_too_long' } });
    expect(commandsOf(items)).toEqual([command('Ss')]);
  });

  it('never throws on random and mutated input, and recovers on the next good command', () => {
    const small = VECTORS.filter((v) => v.wire.length < 2000);
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: small.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (noise, pick, where, value) => {
          const framer = new EvolisCommandFramer();
          const mutated = Buffer.from(small[pick]!.wire);
          mutated[where % mutated.length] = value;
          for (const chunk of noise) framer.push(chunk);
          framer.push(mutated);
          // A CR ends whatever was in progress unless a download counts it; then a good command is read.
          const items = framer.push(ascii('\r\x1bSs\r'));
          const last = items.at(-1);
          if (!framer.inCommand && last?.ok) expect(last.command.name).toBeTypeOf('string');
        },
      ),
      { numRuns: 500 },
    );
  });
});
