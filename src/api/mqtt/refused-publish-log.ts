import type { Clock } from '../../core/clock.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/** One warning per client and topic in this long; the refusals between are counted in the next. */
export const REFUSED_PUBLISH_LOG_INTERVAL_MS = 60_000;
/** Client and topic pairs remembered at most: a client making up topics cannot grow the map unbounded. */
const MAX_REMEMBERED = 1000;
/** A topic longer than this is cut in the log: a client chooses it, the log line stays a line. */
const MAX_TOPIC_LOGGED = 200;

/** What was refused, as the log line says it, and what became of the client. */
const REFUSALS = {
  publish: { verb: 'publish on', outcome: 'disconnected' },
  subscribe: { verb: 'subscribe to', outcome: 'its subscription refused; still connected' },
} as const;

/**
 * The embedded broker's PUBLISHes and SUBSCRIBEs refused, as IT sees them: a kiosk given a
 * monitor token, or publishing under another client id, is dropped at each request, reconnects
 * and is dropped again; one subscribing to another client's answers stays connected and hears
 * none. A warning names the client, the topic or filter and why, once a minute per client, kind
 * and topic, counting the refusals it did not log. Never the payload (a request carries a patron
 * and a PIN).
 */
export class RefusedPublishLog {
  private readonly last = new Map<string, { at: number; unlogged: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  refused(
    clientId: string,
    topic: string,
    why: () => string | undefined,
    kind: keyof typeof REFUSALS = 'publish',
  ): void {
    const key = `${kind}\u0000${clientId}\u0000${topic}`;
    const now = this.clock.monotonic();
    const seen = this.last.get(key);
    if (seen && now - seen.at < REFUSED_PUBLISH_LOG_INTERVAL_MS) {
      seen.unlogged++;
      return;
    }
    this.forgetOld(now);
    this.last.delete(key);
    this.last.set(key, { at: now, unlogged: 0 });
    const shown = printable(topic.length > MAX_TOPIC_LOGGED ? `${topic.slice(0, MAX_TOPIC_LOGGED)}…` : topic);
    const client = printable(clientId);
    const reason = this.reason(why);
    const since =
      seen && seen.unlogged > 0 ? `; refused ${seen.unlogged} more times since the last line` : '';
    this.logger.warn(
      { clientId: client, topic: shown, ...(seen && seen.unlogged > 0 && { refusedSince: seen.unlogged }) },
      `MQTT client "${client}" may not ${REFUSALS[kind].verb} ${shown}${reason ? `: ${reason}` : ''} (${REFUSALS[kind].outcome}${since})`,
    );
  }

  private reason(why: () => string | undefined): string | undefined {
    try {
      return why();
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'MQTT refusal not explained');
      return undefined;
    }
  }

  /** Drops pairs whose minute is over, and the oldest when too many are left (insertion order). */
  private forgetOld(now: number): void {
    for (const [key, seen] of this.last) {
      if (now - seen.at < REFUSED_PUBLISH_LOG_INTERVAL_MS && this.last.size < MAX_REMEMBERED) break;
      this.last.delete(key);
    }
  }
}

/** Control characters (a line break a client put in its topic) shown as `?`: one log line stays one. */
function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}
