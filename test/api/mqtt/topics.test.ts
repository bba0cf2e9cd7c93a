import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatchesFilter } from '../../../src/api/mqtt/link.js';
import {
  CarrelTopics,
  encodePayload,
  hasWildcardOrNul,
  isSafeTopicSegment,
  TOPIC_SPECS,
  TopicSegmentError,
} from '../../../src/api/mqtt/topics.js';

const topics = new CarrelTopics('main-library', 'desk-1');

describe('CarrelTopics', () => {
  it('builds every topic under carrel/<site>/<gateway>', () => {
    expect(topics.base).toBe('carrel/main-library/desk-1');
    expect(topics.state().name).toBe('carrel/main-library/desk-1/state');
    expect(topics.deviceState('receipt-1').name).toBe('carrel/main-library/desk-1/devices/receipt-1/state');
    expect(topics.deviceEvent('receipt-1', 'printer.paper_out').name).toBe(
      'carrel/main-library/desk-1/devices/receipt-1/events/printer.paper_out',
    );
    expect(topics.request('kiosk-1', 'checkout').name).toBe(
      'carrel/main-library/desk-1/clients/kiosk-1/request/checkout',
    );
    expect(topics.response('kiosk-1', 'checkout').name).toBe(
      'carrel/main-library/desk-1/clients/kiosk-1/response/checkout',
    );
    expect(topics.requestFilter()).toBe('carrel/main-library/desk-1/clients/+/request/#');
    expect(topics.clientRequestFilter('kiosk-1')).toBe(
      'carrel/main-library/desk-1/clients/kiosk-1/request/#',
    );
    expect(topics.clientResponseFilter('kiosk-1')).toBe(
      'carrel/main-library/desk-1/clients/kiosk-1/response/#',
    );
  });

  it('retains only the gateway state, the desk totals (counts) and device states', () => {
    const retained = Object.entries(TOPIC_SPECS)
      .filter(([, spec]) => spec.retain)
      .map(([kind]) => kind);
    expect(retained.sort()).toEqual(['deviceState', 'state', 'totals']);
    expect(topics.state().retain).toBe(true);
    expect(topics.totals()).toMatchObject({ name: 'carrel/main-library/desk-1/totals', retain: true });
    expect(topics.deviceState('receipt-1').retain).toBe(true);
    expect(topics.deviceEvent('receipt-1', 'x').retain).toBe(false);
    expect(topics.response('kiosk-1', 'x').retain).toBe(false);
    expect(topics.request('kiosk-1', 'x').retain).toBe(false);
  });

  it.each(['+', '#', 'a/b', 'nul\u0000', '', 'x'.repeat(129), 'tag+', 'level/#'])(
    'refuses the segment %j in ids, event types, actions, site and gateway',
    (segment) => {
      expect(isSafeTopicSegment(segment)).toBe(false);
      expect(() => topics.deviceState(segment)).toThrow(TopicSegmentError);
      expect(() => topics.deviceEvent('receipt-1', segment)).toThrow(TopicSegmentError);
      expect(() => topics.deviceEvent(segment, 'printer.paper_out')).toThrow(TopicSegmentError);
      expect(() => topics.request('kiosk-1', segment)).toThrow(TopicSegmentError);
      expect(() => topics.response('kiosk-1', segment)).toThrow(TopicSegmentError);
      expect(() => topics.request(segment, 'checkout')).toThrow(TopicSegmentError);
      expect(() => topics.response(segment, 'checkout')).toThrow(TopicSegmentError);
      expect(() => topics.clientResponseFilter(segment)).toThrow(TopicSegmentError);
      expect(() => new CarrelTopics(segment, 'desk-1')).toThrow(TopicSegmentError);
      expect(() => new CarrelTopics('main-library', segment)).toThrow(TopicSegmentError);
    },
  );

  it('never builds a topic with a wildcard or an extra level from any id', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (device, type) => {
        try {
          const name = topics.deviceEvent(device, type).name;
          expect(name.split('/')).toHaveLength(7);
          expect(hasWildcardOrNul(name)).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(TopicSegmentError);
        }
      }),
    );
  });

  it('reads the asking client and the action of a request topic, and nothing else', () => {
    const base = 'carrel/main-library/desk-1';
    const area = `${base}/clients/kiosk-1`;
    // One level names an action; what else a client publishes under request/ is kept, to be answered.
    for (const [topic, action] of [
      [`${area}/request/checkout`, 'checkout'],
      [`${area}/request/circulation/checkout`, 'circulation/checkout'],
      [`${area}/request/`, ''],
      [`${area}/request`, ''],
      [`${area}/request//`, '/'],
    ] as const) {
      expect(topics.requestOf(topic), topic).toEqual({ clientId: 'kiosk-1', action });
    }
    for (const topic of [
      `${base}/request/checkout`,
      `${base}/clients//request/checkout`,
      `${base}/clients/kiosk-1`,
      `${base}/clients/kiosk-1/`,
      `${base}/clients/kiosk-1/response/checkout`,
      `${base}/clients/kiosk-1/requests/checkout`,
      `${base}/clients/kiosk-1/x/request/checkout`,
      `${base}/clients/kiosk-1/request/+`,
      `${base}/clients/kiosk-1/request/#`,
      'carrel/main-library/desk-2/clients/kiosk-1/request/checkout',
    ]) {
      expect(topics.requestOf(topic), topic).toBeUndefined();
    }
  });

  it("answers a request on its mirror in the asker's answers area, whatever the action", () => {
    const area = 'carrel/main-library/desk-1/clients/kiosk-1';
    expect(topics.answerTopic('kiosk-1', 'checkout')).toBe(`${area}/response/checkout`);
    expect(topics.answerTopic('kiosk-1', 'circulation/checkout')).toBe(
      `${area}/response/circulation/checkout`,
    );
    expect(topics.answerTopic('kiosk-1', '')).toBe(`${area}/response`);
    expect(topics.answerTopic('kiosk-1', 'a/+')).toBe(`${area}/response`);
    // Always a topic the asker may read, and nobody else.
    for (const action of ['checkout', 'a/b/c', '', '/', 'x'.repeat(300), 'a/#']) {
      const topic = topics.answerTopic('kiosk-1', action);
      expect(topicMatchesFilter(topics.clientResponseFilter('kiosk-1'), topic), action).toBe(true);
      expect(hasWildcardOrNul(topic), action).toBe(false);
    }
  });

  it('knows the answers area of each client', () => {
    const base = 'carrel/main-library/desk-1';
    expect(topics.isResponseTopicOf('kiosk-1', `${base}/clients/kiosk-1/response/checkout`)).toBe(true);
    expect(topics.isResponseTopicOf('kiosk-1', `${base}/clients/kiosk-1/response/screen/7`)).toBe(true);
    for (const topic of [
      `${base}/clients/kiosk-1/response/`,
      `${base}/clients/kiosk-1/response/+`,
      `${base}/clients/kiosk-1/response/#`,
      `${base}/clients/kiosk-1/request/checkout`,
      `${base}/clients/kiosk-2/response/checkout`,
      `${base}/clients/kiosk-10/response/checkout`,
      `${base}/response/checkout`,
      `${base}/state`,
      'kiosk-1/replies',
    ]) {
      expect(topics.isResponseTopicOf('kiosk-1', topic), topic).toBe(false);
    }
    expect(topics.isResponseTopicOf('+', `${base}/clients/+/response/x`)).toBe(false);
  });

  it('knows its own tree', () => {
    expect(topics.owns('carrel/main-library/desk-1')).toBe(true);
    expect(topics.owns('carrel/main-library/desk-1/state')).toBe(true);
    expect(topics.owns('carrel/main-library/desk-10/state')).toBe(false);
    expect(topics.owns('elsewhere')).toBe(false);
  });

  it('encodes payloads as JSON', () => {
    expect(encodePayload(topics.state(), { status: 'offline' })).toBe('{"status":"offline"}');
  });
});
