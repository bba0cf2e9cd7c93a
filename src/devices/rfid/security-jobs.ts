/**
 * The security writes a pad owes its tags: one job per tag, the newest request for it standing.
 * A job is tried at once; one whose tag did not answer is kept (`pending`) and tried again each
 * time an inventory sees the tag, until it is done, fails for good, or `maxPending` newer jobs
 * push it out. What becomes of each is told as `security_set`, `security_pending` or
 * `security_failed` {uid, secured, attempts, reason?}. The pad (rfid-pad.ts) decides when a
 * kept job's tag is seen and the reader free to write.
 */
import type { Clock } from '../../core/clock.js';
import type { TagUid } from '../../protocols/iso15693/uid.js';
import type { RfidReader } from './reader.js';
import { attemptSecurity, type SecurityJob, type SecurityOptions, type SecurityOutcome } from './security.js';

export interface SecurityJobsOptions {
  reader: RfidReader;
  security: SecurityOptions;
  clock: Clock;
  /** A write done and read back: the tag's kept memory now holds this security. */
  secured(uid: TagUid, secured: boolean): void;
  publish(type: 'security_set' | 'security_pending' | 'security_failed', data: Record<string, unknown>): void;
}

export class SecurityJobs {
  /** In the order they were asked for: the oldest is the first pushed out. */
  private readonly jobs = new Map<TagUid, SecurityJob>();

  constructor(private readonly options: SecurityJobsOptions) {}

  /** Jobs kept, waiting for their tag. */
  get size(): number {
    return this.jobs.size;
  }

  pending(): Array<{ uid: TagUid; secured: boolean; attempts: number; reason?: string }> {
    return [...this.jobs.values()].map((j) => ({
      uid: j.uid,
      secured: j.secured,
      attempts: j.attempts,
      ...(j.lastError ? { reason: j.lastError } : {}),
    }));
  }

  /** A new request for `uid`'s security, in place of any before it (once that one's write has ended). */
  async set(uid: TagUid, secured: boolean): Promise<SecurityOutcome> {
    const existing = this.jobs.get(uid);
    if (existing?.busy) await this.waitIdle(existing);
    const job: SecurityJob = { uid, secured, attempts: 0, busy: false };
    this.jobs.delete(uid);
    this.jobs.set(uid, job);
    this.trim();
    return this.run(job);
  }

  /** The job kept for a tag an inventory saw, tried again unless a write of it is under way. */
  async retry(uid: TagUid): Promise<void> {
    const job = this.jobs.get(uid);
    if (job && !job.busy) await this.run(job);
  }

  private async run(job: SecurityJob): Promise<SecurityOutcome> {
    const { reader, security, publish } = this.options;
    const result = await attemptSecurity(reader, security, job);
    const base = { uid: job.uid, secured: job.secured, attempts: job.attempts };
    if (this.jobs.get(job.uid) !== job) {
      // A newer request for this tag replaced this one meanwhile.
      return { uid: job.uid, secured: job.secured, status: result.ok ? 'done' : 'failed' };
    }
    if (result.ok) {
      this.jobs.delete(job.uid);
      this.options.secured(job.uid, job.secured);
      publish('security_set', base);
      return { uid: job.uid, secured: job.secured, status: 'done' };
    }
    if (result.retryable) {
      publish('security_pending', { ...base, reason: result.reason });
      return { uid: job.uid, secured: job.secured, status: 'pending', reason: result.reason };
    }
    this.jobs.delete(job.uid);
    publish('security_failed', { ...base, reason: result.reason });
    return { uid: job.uid, secured: job.secured, status: 'failed', reason: result.reason };
  }

  private trim(): void {
    while (this.jobs.size > this.options.security.maxPending) {
      const oldest = this.jobs.values().next().value as SecurityJob;
      this.jobs.delete(oldest.uid);
      this.options.publish('security_failed', {
        uid: oldest.uid,
        secured: oldest.secured,
        attempts: oldest.attempts,
        reason: 'rfid_pending_overflow',
      });
    }
  }

  private async waitIdle(job: SecurityJob): Promise<void> {
    while (job.busy) await this.options.clock.sleep(5);
  }
}
