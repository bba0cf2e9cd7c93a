import { describe, expect, it } from 'vitest';
import { topicMatchesFilter } from '../../../src/api/mqtt/link.js';

describe('topicMatchesFilter', () => {
  it('matches "+" as one level and a trailing "#" as the rest, parent level included', () => {
    const requests = 'carrel/main/desk-1/request/+';
    expect(topicMatchesFilter(requests, 'carrel/main/desk-1/request/echo')).toBe(true);
    expect(topicMatchesFilter(requests, 'carrel/main/desk-1/request')).toBe(false);
    expect(topicMatchesFilter(requests, 'carrel/main/desk-1/request/echo/x')).toBe(false);
    expect(topicMatchesFilter(requests, 'carrel/main/desk-2/request/echo')).toBe(false);
    expect(topicMatchesFilter('carrel/#', 'carrel')).toBe(true);
    expect(topicMatchesFilter('carrel/#', 'carrel/a/b')).toBe(true);
    expect(topicMatchesFilter('carrel/#', 'library/a')).toBe(false);
    expect(topicMatchesFilter('a/+/c', 'a//c')).toBe(true);
    expect(topicMatchesFilter('a/b', 'a/b')).toBe(true);
    expect(topicMatchesFilter('a/b', 'a/b/c')).toBe(false);
  });

  it('keeps first-level wildcards off $ topics', () => {
    expect(topicMatchesFilter('#', '$SYS/broker/clients')).toBe(false);
    expect(topicMatchesFilter('+/broker/clients', '$SYS/broker/clients')).toBe(false);
    expect(topicMatchesFilter('$SYS/#', '$SYS/broker/clients')).toBe(true);
    expect(topicMatchesFilter('#', 'carrel/a')).toBe(true);
  });
});
