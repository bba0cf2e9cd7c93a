import { describe, expect, it } from 'vitest';
import { ClientIdBindings } from '../../../src/api/mqtt/client-ids.js';

describe('ClientIdBindings', () => {
  const nobodyConnected = () => false;

  it('keeps a client id for the holder that first used it', () => {
    const bindings = new ClientIdBindings<string>();
    expect(bindings.claim('kiosk-a', 'token A', nobodyConnected)).toBe(true);
    expect(bindings.claim('kiosk-a', 'token B', nobodyConnected)).toBe(false);
    expect(bindings.claim('kiosk-a', 'token A', nobodyConnected)).toBe(true);
    expect(bindings.claim('kiosk-b', 'token B', nobodyConnected)).toBe(true);
  });

  it('when full, forgets the id used longest ago by a client not connected, never a connected one', () => {
    const bindings = new ClientIdBindings<string>(3);
    const connected = new Set(['a']);
    const isConnected = (id: string) => connected.has(id);
    for (const id of ['a', 'b', 'c']) expect(bindings.claim(id, `holder ${id}`, isConnected)).toBe(true);
    expect(bindings.claim('b', 'holder b', isConnected)).toBe(true); // b is now the most recent
    expect(bindings.claim('d', 'holder d', isConnected)).toBe(true); // forgets c, not a (connected)
    expect(bindings.size).toBe(3);
    expect(bindings.claim('a', 'someone else', isConnected)).toBe(false);
    expect(bindings.claim('b', 'someone else', isConnected)).toBe(false);
    expect(bindings.claim('c', 'someone else', isConnected)).toBe(true);
  });

  it('refuses a new id when every bound client is connected', () => {
    const bindings = new ClientIdBindings<string>(2);
    const everyone = () => true;
    expect(bindings.claim('a', 'A', everyone)).toBe(true);
    expect(bindings.claim('b', 'B', everyone)).toBe(true);
    expect(bindings.claim('c', 'C', everyone)).toBe(false);
    expect(bindings.claim('a', 'A', everyone)).toBe(true);
  });
});
