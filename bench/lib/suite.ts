/** One benchmark group: its name on the command line, its BENCHMARKS.md title, its run. */
import type { Figure, FigureContext } from './report.ts';

export interface Suite {
  key: string;
  title: string;
  run: (ctx: FigureContext) => Promise<{ figures: Figure[]; notes?: string[] }>;
}
