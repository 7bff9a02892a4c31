/** The drill's programmatic entry points (`npm run drill` is drill/cli.ts). */
export { runDrill, type DrillOptions } from './run-drill';
export { tearDownKept } from './keep';
export { summaryText } from './report';
