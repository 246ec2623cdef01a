/** What a stop or kill did. */
export type StopOutcome = 'stopped' | 'already-stopped' | 'not-found' | 'failed';

/** The outcome of a stop or kill with its facts. */
export interface StopReport {
  readonly outcome: StopOutcome;
  /** The engine that answered with the outcome; null when none did. */
  readonly endpoint: string | null;
  /** Why it failed (outcome 'failed'), or why the id was refused; else null. */
  readonly error: Error | null;
}

/** A stop (`POST /containers/ID/stop`, the engine's grace period) or a kill (`/kill`). */
export type StopAction = 'stop' | 'kill';

/**
 * How one engine kind's stop and kill endpoints answer: each status code's outcome, and an
 * optional reading of an error body for engines that say "not running" with a 500.
 */
export interface StopStatusTable {
  readonly stop: Readonly<Record<number, StopOutcome>>;
  readonly kill: Readonly<Record<number, StopOutcome>>;
  /** An outcome read from the body of an answer the table has no entry for, else undefined. */
  readonly readBody?: (
    action: StopAction,
    statusCode: number,
    body: string,
  ) => StopOutcome | undefined;
}
