import type {ContainerStats} from './container-stats.js';

/** What a restart did. */
export type RestartOutcome = 'restarted' | 'not-found' | 'failed';

/** The outcome of a restart with its facts. */
export interface RestartReport {
  readonly outcome: RestartOutcome;
  /** The engine that answered with the outcome; null when none did. */
  readonly endpoint: string | null;
  /** Why it failed (outcome `failed`), or why the id was refused; else null. */
  readonly error: Error | null;
}

/** What a stats request gave. */
export type StatsReport =
  | {
      readonly outcome: 'ok';
      readonly stats: ContainerStats;
      readonly endpoint: string;
      readonly error: null;
    }
  | {
      /**
       * `not-running`: the engine has the container but it is not running (no sample);
       * `not-found`: no engine has it; `failed`: see `error`.
       */
      readonly outcome: 'not-running' | 'not-found' | 'failed';
      readonly stats: null;
      /** The engine that answered; null when none did. */
      readonly endpoint: string | null;
      /** Why it failed (outcome `failed`), or why the id was refused; else null. */
      readonly error: Error | null;
    };
