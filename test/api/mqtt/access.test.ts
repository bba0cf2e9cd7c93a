import { describe, expect, it } from 'vitest';
import {
  ClientAccess,
  filtersOverlap,
  grantsFor,
  roleOfScopes,
  sharedFilter,
} from '../../../src/api/mqtt/access.js';
import { topicMatchesFilter } from '../../../src/api/mqtt/link.js';
import { CarrelTopics } from '../../../src/api/mqtt/topics.js';

const topics = new CarrelTopics('main-library', 'desk-1');
const base = topics.base;
const kiosk = new ClientAccess(topics, 'requester', 'kiosk-a');
const monitor = new ClientAccess(topics, 'reader', 'it-monitoring');

const PUBLIC = [
  `${base}/state`,
  `${base}/devices/pad-1/state`,
  `${base}/devices/pad-1/events/rfid.tag_arrived`,
];
const OWN_ANSWER = `${base}/clients/kiosk-a/response/circulation.checkout`;
const OWN_REQUEST = `${base}/clients/kiosk-a/request/circulation.checkout`;
const OTHERS = [
  `${base}/clients/kiosk-b/response/circulation.checkout`,
  `${base}/clients/kiosk-b/request/circulation.checkout`,
  `${base}/request/circulation.checkout`,
  `${base}/response/circulation.checkout`,
  `${base}/clients/kiosk-a`,
  `${base}/devices/pad-1/secrets`,
  base,
];

describe('MQTT access rule', () => {
  it('a monitor reads the public topics only and publishes nothing in the tree', () => {
    for (const topic of PUBLIC) expect(monitor.mayReceive(topic), topic).toBe(true);
    for (const topic of [...OTHERS, OWN_ANSWER, `${base}/clients/it-monitoring/response/x`]) {
      expect(monitor.mayReceive(topic), topic).toBe(false);
    }
    for (const topic of [...PUBLIC, ...OTHERS, `${base}/clients/it-monitoring/request/x`]) {
      expect(monitor.mayPublish(topic), topic).toBe(false);
    }
  });

  it('a kiosk reads the public topics and its own answers, and asks in its own area only', () => {
    for (const topic of [...PUBLIC, OWN_ANSWER, `${base}/clients/kiosk-a/response/screen/1`]) {
      expect(kiosk.mayReceive(topic), topic).toBe(true);
    }
    for (const topic of [...OTHERS, OWN_REQUEST]) expect(kiosk.mayReceive(topic), topic).toBe(false);
    // Its whole request subtree, so that a mistyped action reaches the gateway and is answered.
    const ownArea = `${base}/clients/kiosk-a`;
    for (const topic of [OWN_REQUEST, `${OWN_REQUEST}/extra`, `${ownArea}/request`, `${ownArea}/request/`]) {
      expect(kiosk.mayPublish(topic), topic).toBe(true);
      expect(kiosk.mayRetain(topic), topic).toBe(false);
    }
    for (const topic of [...PUBLIC, ...OTHERS, OWN_ANSWER, `${ownArea}/requests/x`, `${ownArea}/x`]) {
      expect(kiosk.mayPublish(topic), topic).toBe(false);
    }
  });

  it('leaves topics outside the tree alone, but keeps $SYS from every client', () => {
    for (const access of [kiosk, monitor]) {
      for (const topic of ['kiosk/7/replies', 'carrel/main-library/desk-2/state', '$share/g/x']) {
        expect(access.mayReceive(topic), topic).toBe(true);
        expect(access.mayPublish(topic), topic).toBe(true);
        expect(access.mayRetain(topic), topic).toBe(true);
      }
      for (const topic of ['$SYS/broker/new/clients', '$SYS']) {
        expect(access.mayReceive(topic), topic).toBe(false);
        expect(access.mayPublish(topic), topic).toBe(false);
      }
    }
  });

  it('a client id that is no topic segment gets no area', () => {
    for (const clientId of ['', 'a/b', '+', '#']) {
      const odd = new ClientAccess(topics, 'requester', clientId);
      expect(grantsFor(topics, 'requester', clientId).write).toEqual([]);
      expect(odd.mayPublish(`${base}/clients/+/request/x`)).toBe(false);
      expect(odd.mayReceive(`${base}/state`)).toBe(true);
    }
  });

  it('refuses subscriptions that can reach nothing the client may read, grants the rest', () => {
    const granted = ['#', '+/#', 'carrel/#', `${base}/#`, 'carrel/+/+/request/+', `${base}/devices/+/state`];
    for (const filter of [...granted, `$share/g/${base}/#`]) {
      expect(monitor.maySubscribe(filter), filter).toBe(true);
      expect(kiosk.maySubscribe(filter), filter).toBe(true);
    }
    for (const filter of [`${base}/clients/+/response/+`, `${base}/clients/kiosk-a/#`]) {
      expect(kiosk.maySubscribe(filter), filter).toBe(true);
      expect(monitor.maySubscribe(filter), filter).toBe(false);
    }
    for (const filter of [
      '$SYS/#',
      `$share/g/$SYS/#`,
      `${base}/request/#`,
      `${base}/clients/+/request/+`,
      `${base}/clients/+/request/#`,
      `${base}/clients/kiosk-a/request/#`,
      `${base}/clients/kiosk-b/#`,
      `$share/g/${base}/clients/kiosk-b/#`,
      base,
    ]) {
      expect(kiosk.maySubscribe(filter), filter).toBe(false);
      expect(monitor.maySubscribe(filter), filter).toBe(false);
    }
  });

  it('a monitor-only token reads; any other scope asks', () => {
    expect(roleOfScopes(['monitor'])).toBe('reader');
    expect(roleOfScopes(['kiosk'])).toBe('requester');
    expect(roleOfScopes(['monitor', 'staff'])).toBe('requester');
    expect(roleOfScopes(['admin'])).toBe('requester');
  });

  it('reads the filter of a shared subscription', () => {
    expect(sharedFilter('$share/g/carrel/#')).toBe('carrel/#');
    expect(sharedFilter('$share/g')).toBe('');
    expect(sharedFilter('carrel/#')).toBeUndefined();
  });
});

describe('filtersOverlap', () => {
  /** Every sequence of `length` levels over `alphabet`. */
  function sequences(alphabet: string[], length: number): string[][] {
    if (length === 0) return [[]];
    return sequences(alphabet, length - 1).flatMap((rest) => alphabet.map((level) => [level, ...rest]));
  }

  it('is true exactly when some topic matches both filters (every filter of up to 3 levels and #)', () => {
    const filters = [1, 2, 3].flatMap((n) =>
      sequences(['a', 'b', '+'], n).flatMap((levels) => [levels.join('/'), [...levels, '#'].join('/')]),
    );
    filters.push('#');
    // 'c' stands for any level neither filter names; 4 levels witness every overlap of such filters.
    const topics = [1, 2, 3, 4].flatMap((n) => sequences(['a', 'b', 'c'], n).map((l) => l.join('/')));
    for (const x of filters) {
      for (const y of filters) {
        const witnessed = topics.some((t) => topicMatchesFilter(x, t) && topicMatchesFilter(y, t));
        if (filtersOverlap(x, y) !== witnessed) expect.fail(`${x} ∩ ${y}: expected ${witnessed}`);
      }
    }
  });
});
