import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/core/errors.js';

/** A config with one simulated pad whose `tags` are written as given (YAML flow style). */
const withTags = (tags: string) =>
  parseConfigText(
    `version: 1\nsimulators:\n  - { id: pad-sim, kind: rfid-pad, tags: ${tags} }\n`,
    'yaml',
    {},
  );

function issuesOf(tags: string): ReadonlyArray<{ path: string; message: string }> {
  try {
    withTags(tags);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

describe('simulated pad tags in the config', () => {
  it('takes reference tags by name and library items by barcode, with defaults filled in', () => {
    const config = withTags(
      '[V1, { item: "31000004" }, { item: "31000013", set: { part: 2, parts: 3 }, owner: DK-718500, secured: false }, { item: "21000001", usage: patron-card }]',
    );
    expect(config.simulators[0]).toMatchObject({
      kind: 'rfid-pad',
      tags: [
        'V1',
        { item: '31000004', usage: 'circulating', owner: 'SE-RPL' },
        {
          item: '31000013',
          usage: 'circulating',
          owner: 'DK-718500',
          secured: false,
          set: { part: 2, parts: 3 },
        },
        { item: '21000001', usage: 'patron-card', owner: 'SE-RPL' },
      ],
    });
    // Not said: the pad decides by the use (an item secured, a patron card not; test/simulators/rfid-pad/presets.test.ts).
    const tags = config.simulators[0]!.kind === 'rfid-pad' ? config.simulators[0]!.tags : [];
    expect(tags.map((tag) => (typeof tag === 'string' ? tag : tag.secured))).toEqual([
      'V1',
      undefined,
      false,
      undefined,
    ]);
  });

  it('says what is wrong with the form that was written', () => {
    expect(issuesOf('[V9]')).toEqual([
      {
        path: 'simulators[0].tags[0]',
        message: 'must be one of V1, V2, V3, V5, blank, or an item such as { item: "31000004" }, got "V9"',
      },
    ]);
    expect(issuesOf('[{ item: 31000004 }]')).toEqual([
      {
        path: 'simulators[0].tags[0]',
        message: expect.stringContaining('item: must be a string, got 31000004'),
      },
    ]);
    expect(issuesOf('[{ itme: "31000004" }]')[0]?.message).toMatch(/item: is required.*"itme"/);
    expect(issuesOf('[{ item: "31000013", set: { part: 4, parts: 3 } }]')).toEqual([
      { path: 'simulators[0].tags[0].set', message: 'part must be at most parts' },
    ]);
    expect(issuesOf('[{ item: "31000004", owner: SE-RIVERSIDELIB }]')).toEqual([
      { path: 'simulators[0].tags[0].owner', message: 'owner library has room for 13 bytes' },
    ]);
    expect(issuesOf('[{ item: "" }]')).toEqual([
      { path: 'simulators[0].tags[0].item', message: 'must not be empty, got ""' },
    ]);
  });
});
