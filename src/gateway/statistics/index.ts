export { statisticsCsv } from './csv.js';
export { DeskStatistics, MAX_RANGE_DAYS } from './desk-statistics.js';
export { StatisticsRangeError } from './errors.js';
export { type DeskStatisticsPort, statisticsOn } from './lazy-statistics.js';
export { STATISTICS_RETENTION_DAYS } from './retention.js';
export type {
  DeskTransaction,
  StatisticsDimension,
  StatisticsPort,
  StatisticsQuery,
  StatisticsReport,
  StatisticsRow,
} from './types.js';
export { STATISTICS_DIMENSIONS } from './types.js';
