import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/core/bytes.js';

describe('formatBytes', () => {
  it('says a size in the unit a person reads it in', () => {
    expect(formatBytes(245_760)).toBe('240 KiB');
    expect(formatBytes(1)).toBe('1 KiB');
    expect(formatBytes(300 * 1024 ** 2)).toBe('300 MiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
  });
});
