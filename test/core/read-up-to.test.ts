import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileTooLargeError, readFileUpTo, readLogoFile } from '../../src/core/read-up-to.js';
import { tempFolders } from '../helpers/temp-folders.js';

const newFolder = tempFolders('carrel-read-');
let dir: string;
beforeAll(() => {
  dir = newFolder();
});

describe('readFileUpTo', () => {
  it('reads a file of exactly the limit whole, across several reads', () => {
    const limit = 200 * 1024 + 3;
    const file = join(dir, 'exact');
    const bytes = Buffer.alloc(limit, 0x5a);
    bytes[limit - 1] = 0x0a;
    writeFileSync(file, bytes);
    expect(readFileUpTo(file, limit).equals(bytes)).toBe(true);
  });

  it('refuses one byte more, and a file that never ends', () => {
    const file = join(dir, 'over');
    writeFileSync(file, Buffer.alloc(1025));
    expect(() => readFileUpTo(file, 1024)).toThrow(new FileTooLargeError(1024));
    expect(() => readFileUpTo(file, 1024)).toThrow('larger than 1 KiB');
    expect(() => readFileUpTo('/dev/zero', 2 * 1024 * 1024)).toThrow('larger than 2 MiB');
  });

  it('passes on what the system says about a path it cannot read', () => {
    expect(() => readFileUpTo(join(dir, 'missing'), 10)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => readFileUpTo(dir, 10)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expect(readFileUpTo(empty, 10)).toEqual(Buffer.alloc(0));
  });

  it('reads a configured logo, or says in one sentence why it cannot', () => {
    const logo = join(dir, 'logo.png');
    writeFileSync(logo, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(readLogoFile(logo, 'receipt logo')).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(() => readLogoFile('/dev/zero', 'card logo')).toThrow(
      expect.objectContaining({
        code: 'logo_unreadable',
        message: 'cannot read the card logo /dev/zero: larger than 2 MiB',
      }),
    );
  });
});
