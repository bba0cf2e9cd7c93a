import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { LinkMessage, MqttLink } from './link.js';
import type { CarrelTopics } from './topics.js';

export interface OwnStateWatchOptions {
  topics: CarrelTopics;
  site: string;
  gateway: string;
  /** This run's id in the gateway state it publishes: a state with another is another desk's. */
  instance: string;
  logger: Logger;
  clock: Clock;
  /** The API's link to the broker now (none before start). */
  link: () => MqttLink | undefined;
  /** The API has stopped: nothing more is published or said. */
  stopped: () => boolean;
  /**
   * On an external broker, whose ACL may drop the desk's publishes: how long its own state may take
   * to come back, and its MQTT user (named in what is said). Undefined for the embedded broker.
   */
  external?: { echoTimeoutMs?: number | undefined; username?: string | undefined } | undefined;
  /** Publishes this desk's `online` state again, with the `since` of its last connect. */
  publishOnline: (link: MqttLink, since: string) => void;
}

/**
 * What the broker hands back on this desk's own `state` topic: another desk publishing as this one
 * (its site and gateway), and — on an external broker — this desk's own online not coming back,
 * a broker ACL dropping what the desk publishes. Each is said in the log and, while it lasts, by
 * `problem()` (on /readyz, and so by doctor and /metrics).
 */
export class OwnStateWatch {
  /** Since when this desk says it is online (its last connect), for the state it publishes again. */
  private onlineSince: string | undefined;
  /**
   * Another desk publishing as this one (its site and gateway), while it does: when it was last
   * said (monotonic ms), so that it is said again every TWIN_REMINDER_MS, not at each of its states.
   */
  private twin: { saidAt: number } | undefined;
  /** Sessions with the broker so far: the first one's state subscription is made after its online. */
  private connects = 0;
  /**
   * Waiting for this desk's own `state` to come back from an external broker: a publish its ACL
   * refuses is dropped without a word over MQTT 3.1.1 (and QoS 0 on MQTT 5). `unheard` is set
   * while it does not come back; `unheardSaid`, once the warning was given this run.
   */
  private echo: { timer: TimerHandle } | undefined;
  private unheard = false;
  private unheardSaid = false;

  constructor(private readonly options: OwnStateWatchOptions) {}

  /** A session with the broker began at `since`, its online about to be published. */
  connected(since: string): void {
    this.onlineSince = since;
    this.connects++;
  }

  /** Connected: another desk publishing as this one, or the broker not giving this desk's state back. */
  problem(): string | undefined {
    return this.twin ? this.twinSaid() : this.unheard ? this.unheardSaidAs() : undefined;
  }

  stop(): void {
    this.echo?.timer.cancel();
    this.echo = undefined;
  }

  /**
   * This desk's own `state` topic, as published live by anyone, and as the broker keeps it when
   * the first session subscribes — which it does after publishing its online, so what the broker
   * keeps then is newer than that; on a later session the subscription is made again before the
   * online, and the copy kept may be an earlier run's (a broker restored from its persistence file),
   * so it is not taken. This desk's own states come back with its instance. Another `online` is
   * another desk configured with the same site and gateway — a desk PC cloned from another's, on a
   * broker that does not make client ids of user names: both take every request sent to the desk
   * and the fleet view mixes them. It is said in
   * the log and on /readyz (and so by `carrel doctor` and /metrics), and this desk says it is
   * online again once, so that the other desk hears of it too. Another `offline` (the other desk's
   * last will or its stop) left the broker saying this living desk is offline: it says online again.
   */
  onStateMessage(message: LinkMessage): void {
    const link = this.options.link();
    if (message.payload.length === 0 || this.options.stopped() || !link?.connected) return;
    if (message.retained && this.connects > 1) return;
    let state: unknown;
    try {
      state = JSON.parse(message.payload.toString('utf8'));
    } catch {
      return;
    }
    if (typeof state !== 'object' || state === null) return;
    const { status, instance } = state as { status?: unknown; instance?: unknown };
    if (instance === this.options.instance) {
      if (status === 'online') this.heardOwnState();
      return;
    }
    const now = this.options.clock.monotonic();
    const { topics, logger } = this.options;
    if (status === 'online') {
      const first = this.twin === undefined;
      if (first || now - this.twin!.saidAt >= TWIN_REMINDER_MS) {
        this.twin = { saidAt: now };
        logger.warn({ base: topics.base }, this.twinSaid());
      }
      if (first) this.sayOnline(link);
    } else if (status === 'offline') {
      if (this.twin) {
        this.twin = undefined;
        logger.info(
          { base: topics.base },
          `the other desk publishing as ${topics.base} went offline; this desk says it is online again`,
        );
      }
      this.sayOnline(link);
    }
  }

  private sayOnline(link: MqttLink): void {
    if (this.onlineSince === undefined) return;
    this.options.publishOnline(link, this.onlineSince);
  }

  /**
   * Waits for this desk's own online state to come back from an external broker (it subscribes to
   * its state topic). Not back in time: the broker most likely drops what the desk publishes — an
   * ACL that does not let its user write its tree — and dashboards and the fleet view see no state
   * of the desk and no error. Said once in the log and, while it lasts, on /readyz (and so by
   * doctor); the online is published again every minute to see whether it comes back.
   */
  awaitEcho(): void {
    const { clock, logger, topics } = this.options;
    if (this.options.external === undefined || this.options.stopped()) return;
    this.echo?.timer.cancel();
    const timeoutMs = this.echoTimeoutMs();
    this.echo = {
      timer: clock.setTimeout(
        'mqtt-own-state-echo',
        () => {
          this.echo = undefined;
          const link = this.options.link();
          if (this.options.stopped() || !link?.connected) return;
          this.unheard = true;
          if (!this.unheardSaid) {
            this.unheardSaid = true;
            logger.warn({ base: topics.base, topic: topics.state().name }, this.unheardSaidAs());
          }
          this.echo = {
            timer: clock.setTimeout(
              'mqtt-own-state-recheck',
              () => {
                this.echo = undefined;
                const again = this.options.link();
                if (this.options.stopped() || !again?.connected) return;
                this.sayOnline(again);
                this.awaitEcho();
              },
              ECHO_RECHECK_MS,
            ),
          };
        },
        timeoutMs,
      ),
    };
  }

  private echoTimeoutMs(): number {
    return this.options.external?.echoTimeoutMs || ECHO_TIMEOUT_MS;
  }

  private heardOwnState(): void {
    if (!this.unheard) {
      this.echo?.timer.cancel();
      this.echo = undefined;
      return;
    }
    this.unheard = false;
    this.echo?.timer.cancel();
    this.echo = undefined;
    this.options.logger.info(
      { base: this.options.topics.base },
      `the MQTT broker now delivers ${this.options.topics.state().name} back to this desk: its publishes reach the broker again`,
    );
  }

  private unheardSaidAs(): string {
    const { topics } = this.options;
    const state = topics.state().name;
    const seconds = Math.round(this.echoTimeoutMs() / 1000);
    const username = this.options.external?.username;
    const user = username === undefined ? 'this desk' : `the desk's MQTT user "${username}"`;
    return `the MQTT broker ${this.options.link()?.where ?? ''} did not deliver this desk's own ${state} back to it within ${seconds} s of publishing it: the broker most likely drops what the desk publishes — its ACL does not let ${user} write (or read) ${topics.base}/#, and over MQTT 3.1.1 a broker drops a refused publish without telling the client — so dashboards and the fleet view see no state of this desk; let that user write and read ${topics.base}/# in the broker's ACL (carrel mqtt acl prints the lines; reload the broker), and Carrel notices by itself within a minute`;
  }

  private twinSaid(): string {
    const { topics, site, gateway } = this.options;
    return `another desk publishes as ${topics.base} on the MQTT broker ${this.options.link()?.where ?? ''}: two desks are configured with site "${site}" and gateway "${gateway}" (a desk PC cloned from another?) — both take every MQTT request sent to this desk and the fleet view mixes them; give each desk its own gateway (or site) in its configuration`;
  }
}

/** How long the desk's own state may take to come back from the broker, by default. */
const ECHO_TIMEOUT_MS = 5000;
/** While it does not come back, it is published again this often to see whether it does. */
const ECHO_RECHECK_MS = 60_000;

/** Another desk publishing as this one is said again this often while it goes on. */
const TWIN_REMINDER_MS = 10 * 60_000;
