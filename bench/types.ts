/** One measured figure. `target` is the goal as text ("≤ 1.5 s"); `met` whether it was reached. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
}
