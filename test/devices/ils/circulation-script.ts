/**
 * A scripted ILS's circulation: who has which item. Answers 11, 09, 17 and 63
 * from that state; the test decides when an answer is swallowed.
 */
import type { AnySip2Message } from '../../../src/protocols/sip2/index.js';
import { DATE, defaultAnswer, type Reply, type Script } from './scripted-server.js';

export class ScriptedLibrary {
  /** item → patron who has it */
  readonly loans = new Map<string, string>();
  /** How many of the next answers of a type to swallow (the ILS acts, the answer is lost). */
  readonly swallow = new Map<string, number>();
  /** Like swallow, but the ILS does not act either. */
  readonly ignore = new Map<string, number>();
  /** Drop the connection instead of answering (after acting). */
  readonly dropInstead = new Map<string, number>();

  script: Script = (request, reply) => this.handle(request, reply);

  private take(map: Map<string, number>, type: string): boolean {
    const left = map.get(type) ?? 0;
    if (left <= 0) return false;
    map.set(type, left - 1);
    return true;
  }

  private handle(request: AnySip2Message, reply: Reply): void {
    const known = defaultAnswer(request);
    if (known) {
      reply.send(known);
      return;
    }
    if (this.take(this.ignore, request.type)) return;
    const answer = this.act(request);
    if (!answer) return;
    if (this.take(this.swallow, request.type)) return;
    if (this.take(this.dropInstead, request.type)) {
      reply.drop();
      return;
    }
    reply.send(answer);
  }

  private act(request: AnySip2Message) {
    switch (request.type) {
      case 'checkout': {
        const holder = this.loans.get(request.itemIdentifier);
        const ok = holder === undefined || holder === request.patronIdentifier;
        if (ok) this.loans.set(request.itemIdentifier, request.patronIdentifier);
        return {
          type: 'checkoutResponse',
          ok,
          renewalOk: holder === request.patronIdentifier,
          magneticMedia: false,
          desensitize: ok,
          transactionDate: DATE,
          institutionId: request.institutionId,
          patronIdentifier: request.patronIdentifier,
          itemIdentifier: request.itemIdentifier,
          titleIdentifier: 'Dune',
          dueDate: ok ? '20260201    235900' : '',
        } as const;
      }
      case 'checkin': {
        const ok = this.loans.delete(request.itemIdentifier);
        return {
          type: 'checkinResponse',
          ok,
          resensitize: true,
          magneticMedia: false,
          alert: false,
          transactionDate: DATE,
          institutionId: request.institutionId,
          itemIdentifier: request.itemIdentifier,
          permanentLocation: 'MAIN',
        } as const;
      }
      case 'itemInformation': {
        const holder = this.loans.get(request.itemIdentifier);
        return {
          type: 'itemInformationResponse',
          circulationStatus: holder ? 'charged' : 'available',
          securityMarker: 'tattleTape',
          feeType: 'other',
          transactionDate: DATE,
          itemIdentifier: request.itemIdentifier,
          titleIdentifier: 'Dune',
          permanentLocation: 'MAIN',
          ...(holder && { dueDate: '20260201    235900' }),
        } as const;
      }
      case 'patronInformation': {
        const charged = [...this.loans]
          .filter(([, p]) => p === request.patronIdentifier)
          .map(([item]) => item);
        return {
          type: 'patronInformationResponse',
          language: 'english',
          transactionDate: DATE,
          chargedItemsCount: charged.length,
          institutionId: request.institutionId,
          patronIdentifier: request.patronIdentifier,
          personalName: 'Zoe Example',
          validPatron: true,
          validPatronPassword: request.patronPassword === '1234',
          ...(request.summary === 'chargedItems' && { chargedItems: charged.map((item) => `${item} Dune`) }),
        } as const;
      }
      default:
        return undefined;
    }
  }
}
