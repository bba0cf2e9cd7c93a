/**
 * The desk statistics (every checkout, checkin, renewal and hold through the
 * API or the SIP2 relay, counted per quarter hour) as the measure
 * `circulation.transactions`.
 */
import type { StatisticsService } from '../contracts/statistics.js';
import { HOUR_QUARTERS, type MeasureRow, type MeasureSource, QUARTER_MS } from './measures.js';

/**
 * Where a terminal stands: `self-service` (a kiosk token, a self-check through the SIP2 relay),
 * `staff` (a staff or admin token: the staffed desk), or `other` (a terminal the configuration no
 * longer names, the loopback caller of a desk without tokens).
 */
export type TerminalChannel = 'self-service' | 'staff' | 'other';

/** Each terminal's channel, from the tokens and the relay's self-check accounts configured. */
export function terminalChannels(config: {
  tokens: ReadonlyArray<{ name: string; scopes: readonly string[] }>;
  relayAccounts: ReadonlyArray<{ kioskUser: string }>;
}): (terminal: string) => TerminalChannel {
  const channels = new Map<string, TerminalChannel>();
  for (const account of config.relayAccounts) channels.set(account.kioskUser, 'self-service');
  for (const token of config.tokens)
    if (token.scopes.includes('staff') || token.scopes.includes('admin')) channels.set(token.name, 'staff');
    else if (token.scopes.includes('kiosk') && !channels.has(token.name))
      channels.set(token.name, 'self-service');
  return (terminal) => channels.get(terminal) ?? 'other';
}

export function circulationMeasures(
  statistics: StatisticsService,
  channelOf: (terminal: string) => TerminalChannel = () => 'other',
): MeasureSource {
  return {
    measures: [
      {
        name: 'circulation.transactions',
        summary:
          'checkouts, checkins, renewals and holds at the terminals (kiosks, desk clients, self-checks through the relay), refused ones with the reason, offline ones apart',
        unit: 'count',
        dimensions: ['terminal', 'channel', 'kind', 'outcome', 'reason', 'offline'],
      },
    ],
    *rows(fromQuarter, toQuarter, _wanted, keep, slot) {
      // Grouped in SQL by what the report keeps apart (outcome and offline always are): a year
      // of a branch's terminals is then thousands of rows, not hundreds of thousands. Per hour
      // when the report tells only hours apart (four times fewer rows), else per quarter hour.
      const perHour = slot === HOUR_QUARTERS;
      const report = statistics.query({
        from: fromQuarter * QUARTER_MS,
        to: toQuarter * QUARTER_MS,
        groupBy: [
          perHour ? 'hour' : 'quarter',
          ...(keep.has('terminal') || keep.has('channel') ? (['terminal'] as const) : []),
          ...(['kind', 'reason'] as const).filter((dim) => keep.has(dim)),
        ],
      });
      for (const row of report.rows)
        yield {
          quarter: Date.parse((perHour ? row.hour : row.quarter) ?? '') / QUARTER_MS,
          measure: 'circulation.transactions',
          dims: {
            terminal: row.terminal ?? '',
            channel: row.terminal === undefined ? '' : channelOf(row.terminal),
            kind: row.kind ?? '',
            outcome: row.outcome,
            reason: row.reason ?? '',
            offline: row.offline ? 'yes' : 'no',
          },
          value: row.count,
        } satisfies MeasureRow;
    },
  };
}
