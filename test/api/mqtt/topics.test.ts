import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
    expect(topics.request('checkout').name).toBe('carrel/main-library/desk-1/request/checkout');
    expect(topics.response('checkout').name).toBe('carrel/main-library/desk-1/response/checkout');
    expect(topics.requestFilter()).toBe('carrel/main-library/desk-1/request/+');
  });

  it('retains only the gateway state and device states', () => {
    const retained = Object.entries(TOPIC_SPECS)
      .filter(([, spec]) => spec.retain)
      .map(([kind]) => kind);
    expect(retained.sort()).toEqual(['deviceState', 'state']);
    expect(topics.state().retain).toBe(true);
    expect(topics.deviceState('receipt-1').retain).toBe(true);
    expect(topics.deviceEvent('receipt-1', 'x').retain).toBe(false);
    expect(topics.response('x').retain).toBe(false);
  });

  it.each(['+', '#', 'a/b', 'nul\u0000', '', 'x'.repeat(129), 'tag+', 'level/#'])(
    'refuses the segment %j in ids, event types, actions, site and gateway',
    (segment) => {
      expect(isSafeTopicSegment(segment)).toBe(false);
      expect(() => topics.deviceState(segment)).toThrow(TopicSegmentError);
      expect(() => topics.deviceEvent('receipt-1', segment)).toThrow(TopicSegmentError);
      expect(() => topics.deviceEvent(segment, 'printer.paper_out')).toThrow(TopicSegmentError);
      expect(() => topics.request(segment)).toThrow(TopicSegmentError);
      expect(() => topics.response(segment)).toThrow(TopicSegmentError);
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

  it('reads the action of a request topic and nothing else', () => {
    expect(topics.actionOf('carrel/main-library/desk-1/request/checkout')).toBe('checkout');
    expect(topics.actionOf('carrel/main-library/desk-1/request/')).toBeUndefined();
    expect(topics.actionOf('carrel/main-library/desk-2/request/checkout')).toBeUndefined();
    expect(topics.actionOf('carrel/main-library/desk-1/response/checkout')).toBeUndefined();
    expect(topics.actionOf('carrel/main-library/desk-1/request/a/b')).toBeUndefined();
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

describe('filterReachesResponses', () => {
  it('tells which subscription filters can see response topics', async () => {
    const { filterReachesResponses } = await import('../../../src/api/mqtt/auth.js');
    const base = 'carrel/lib/desk-1';
    for (const filter of [
      '#',
      'carrel/#',
      `${base}/#`,
      `${base}/response/+`,
      `${base}/response/echo`,
      'carrel/+/+/response/#',
      '+/+/+/+/+',
    ]) {
      expect(filterReachesResponses(filter, base), filter).toBe(true);
    }
    for (const filter of [
      `${base}/state`,
      `${base}/devices/#`,
      `${base}/response`,
      'carrel/+/+/devices/+/state',
      'other/#',
    ]) {
      expect(filterReachesResponses(filter, base), filter).toBe(false);
    }
  });
});
