export type {
  DeskTransaction,
  StatisticsDimension,
  StatisticsGrouping,
  StatisticsQuery,
  StatisticsReport,
  StatisticsRow,
  StatisticsService,
} from '../contracts/statistics.js';
export { STATISTICS_DIMENSIONS } from '../contracts/statistics.js';
export { statisticsCsv } from './csv.js';
export { DeskStatistics, MAX_RANGE_DAYS } from './desk-statistics.js';
export { StatisticsRangeError } from './errors.js';
export { type StatisticsRecorder, statisticsOn } from './lazy-statistics.js';
export {
  type LocalStatisticsQuery,
  type LocalStatisticsReport,
  localStatisticsReport,
} from './local-report.js';
export { STATISTICS_RETENTION_DAYS } from './retention.js';
