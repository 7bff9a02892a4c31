/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface StepTiming {
  startedAt: string;
  endedAt: string;
  ms: number;
}

/** Runs a step and stamps its timing (start, end, milliseconds) on the result. */
export const timed = async <T extends object>(step: () => Promise<T>): Promise<T & StepTiming> => {
  const started = Date.now();
  const result = await step();
  const ended = Date.now();
  return { ...result, startedAt: new Date(started).toISOString(), endedAt: new Date(ended).toISOString(), ms: ended - started };
};
