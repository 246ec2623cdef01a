import type {Snapshot} from '../snapshot.js';
import type {
  ContainerTarget,
  LogLineView,
  PendingAction,
  StatsState,
  StatusMessage,
} from './types.js';

/** A container's log lines as they come; close() stops reading (the iteration then ends). */
export interface LogSource extends AsyncIterable<LogLineView> {
  close(): void;
}

/**
 * Everything the dashboard asks of the world. The app receives it as a prop: production wires
 * the library (createServices), tests pass fakes, and no component does I/O of its own.
 */
export interface DashboardServices {
  /**
   * One refresh: calls onUpdate with each snapshot it produces; rejects only on abort. `fresh`
   * when a change is expected (an engine event, a finished action, the user's refresh): what
   * may be read less often on a big host is read now.
   */
  refresh(
    onUpdate: (snapshot: Snapshot) => void,
    signal: AbortSignal,
    options?: {readonly fresh?: boolean},
  ): Promise<void>;
  /** Carries out a confirmed action and says how it went. Never rejects. */
  runAction(action: PendingAction): Promise<StatusMessage>;
  /**
   * The container's last `tail` log lines, then the new ones as they come, through the engine
   * that reported it. The iteration ends when the container stops; it throws when the logs
   * cannot be read (with a message that says why).
   */
  openLogs(target: ContainerTarget, options: {readonly tail: number}): LogSource;
  /** One resource sample of the container, through its engine. Never rejects. */
  readStats(target: ContainerTarget, signal: AbortSignal): Promise<StatsState>;
  /** Calls onChange when an engine reports a container event; returns the unsubscribe. */
  watchEvents(onChange: () => void): () => void;
}
