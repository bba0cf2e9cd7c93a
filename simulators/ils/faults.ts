/**
 * Faults the ILS simulator can be told to show, to test how a client copes with
 * a slow, flaky, hung or sloppy SIP2 server. Changed at run time with
 * `setFaults` or the control API (PUT /api/faults).
 */
import { z } from 'zod';

export const ilsFaultsSchema = z
  .object({
    /**
     * Stop answering: every request is read and none is answered (nor carried out),
     * 93 and 99 included, until cleared. Connections stay open and new ones are
     * accepted, unanswered too: a server that hangs, not one that is down.
     */
    hang: z.boolean().optional(),
    /** Slow: wait this long before each response. */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    /**
     * Drop: answer this many messages on a connection, then close it when the next one
     * arrives, without answering or acting on it (a link lost mid-transaction).
     */
    dropAfterMessages: z.number().int().min(0).optional(),
    /** Close a connection that has sent nothing for this long, like servers do. */
    idleTimeoutMs: z.number().int().min(1).max(86_400_000).optional(),
    /** Send responses without AY/AZ even when the account has error detection on. */
    omitChecksums: z.boolean().optional(),
    /** Send this line (a plain-text error, say) before each response. */
    garbageLine: z
      .string()
      .max(1024)
      .regex(/^[^\r\n]*$/, 'one line')
      .optional(),
    /**
     * Lose answers after acting: the next `times` requests of this type (`feePaid`,
     * `checkout`…) are carried out, and the connection is closed instead of answering
     * (the ILS has done it; the client never hears).
     */
    loseAnswers: z
      .strictObject({ type: z.string().min(1), times: z.number().int().min(1).max(1000).default(1) })
      .optional(),
    /**
     * Lose requests: the next `times` requests of this type are read and neither
     * carried out nor answered (lost on their way to the ILS).
     */
    ignoreRequests: z
      .strictObject({ type: z.string().min(1), times: z.number().int().min(1).max(1000).default(1) })
      .optional(),
    /**
     * Ask for requests again: the next `times` requests of this type are not acted on and
     * answered 96 (Request SC Resend), as an ILS whose line garbles what it reads.
     */
    resendRequests: z
      .strictObject({ type: z.string().min(1), times: z.number().int().min(1).max(1000).default(1) })
      .optional(),
    /**
     * Garble answers after acting: the next `times` requests of this type are carried out and
     * answered with a checksum (AZ) that does not match, and so is every copy asked for again (97),
     * as an ILS whose line garbles what it writes (the answer cannot be read, the request was done).
     * Only an answer with error detection carries a checksum to garble.
     */
    garbleAnswers: z
      .strictObject({ type: z.string().min(1), times: z.number().int().min(1).max(1000).default(1) })
      .optional(),
    /** Terminate every response with CR LF whatever the account says. */
    forceCrLf: z.boolean().optional(),
    /** The Koha-shaped REST API (koha-rest.ts): down, slow, refusing, or losing answers. */
    rest: z
      .strictObject({
        /** Close every REST connection unanswered (a server that cannot be reached). */
        unreachable: z.boolean().optional(),
        /** Wait this long before each REST answer. */
        latencyMs: z.number().int().min(0).max(600_000).optional(),
        /** Answer every REST request with this HTTP status and a Koha error body. */
        refuse: z.number().int().min(400).max(599).optional(),
        /** The next `times` debits are added, and the connection closed instead of answering. */
        loseDebitAnswers: z.number().int().min(1).max(1000).optional(),
        /** …and then the API stays unreachable (the ILS went down right after adding the debit). */
        downAfterLostAnswer: z.boolean().optional(),
        /** The next `times` debits are lost on their way: the connection closes, nothing is added. */
        dropDebits: z.number().int().min(1).max(1000).optional(),
      })
      .optional(),
  })
  .strict();

export type IlsFaults = z.infer<typeof ilsFaultsSchema>;

/** Validates faults from an API or a test; throws a ZodError naming the bad key. */
export function parseIlsFaults(input: unknown): IlsFaults {
  return ilsFaultsSchema.parse(input);
}
