import type {Snapshot} from '../snapshot.js';
import type {PendingAction, StatusMessage} from './types.js';

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
  /** Calls onChange when an engine reports a container event; returns the unsubscribe. */
  watchEvents(onChange: () => void): () => void;
}
