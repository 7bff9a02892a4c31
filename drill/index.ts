/** The drill's programmatic entry points (`npm run drill` is drill/cli.ts). */
export { runDrill } from './run-drill';
export type { DrillOptions } from './run-record';
export { tearDownKept } from './keep';
export { summaryText } from './report';
