import {formatUptime, isUptimeStepCrossed, shownUptimeAt} from '../model/format.js';
import type {SnapshotRow} from '../model/snapshot-row.js';
import type {Snapshot} from '../snapshot.js';

/** Looks of rows already computed: the shown snapshot's rows are compared at every tick. */
const looks = new WeakMap<SnapshotRow, string>();

function rowLook(row: SnapshotRow): string {
  let look = looks.get(row);
  if (look === undefined) {
    look = computeRowLook(row);
    looks.set(row, look);
  }
  return look;
}

function computeRowLook(row: SnapshotRow): string {
  const container = row.container;
  return [
    row.key,
    row.addresses.join(','),
    row.pids.join(','),
    row.sockets ?? 1,
    // A process replaced under the same pid is another process: the screen (and the identity
    // a prompt takes from it) must follow.
    row.startTicks,
    row.process,
    row.user,
    row.helper,
    container === null
      ? ''
      : // Not the status ("Up 5 minutes"): the list does not show it, and the engines move it
        // every minute for every container (only the detail pane shows it; see isSameDetail).
        `${container.id}|${container.name}|${container.image}|${container.state}`,
    row.ambiguous ? row.candidates.length : '',
  ].join('\u0000');
}

/** The uptime `row` shows on a screen of the time `takenAt` (ms). */
const shownUptime = (row: SnapshotRow, takenAt: number): string =>
  formatUptime(shownUptimeAt(row, takenAt / 1000));

/** A refresh this slow is shown at once: the user should see it (an engine slow to answer). */
const slowRefreshMs = 500;

/**
 * True when a new snapshot would draw the same header: same engines and warnings, the same
 * number of rows, and the uptimes' clock has not stepped since it was drawn. The refresh
 * time is shown anew at each step (every 10 s, in the frame where the uptimes move), and at
 * once only when a refresh became slow: a detection tick takes tens of ms more than a plain
 * one, and following each such wobble cost two frames every 15 s.
 */
export function isSameHeader(shown: Snapshot, next: Snapshot): boolean {
  const drift = Math.abs(next.durationMs - shown.durationMs);
  if (
    (next.durationMs >= slowRefreshMs && drift > shown.durationMs / 2) ||
    isUptimeStepCrossed(shown.takenAt, next.takenAt)
  ) {
    return false;
  }
  if (
    shown.rows.length !== next.rows.length ||
    shown.enginesPending !== next.enginesPending ||
    shown.warnings.join('\n') !== next.warnings.join('\n') ||
    shown.engines.map((report) => `${report.endpoint}|${report.ok}|${report.containers}`).join() !==
      next.engines.map((report) => `${report.endpoint}|${report.ok}|${report.containers}`).join()
  ) {
    return false;
  }
  return true;
}

/**
 * True when a new snapshot would draw the same screen: same rows as shown (uptimes at their
 * shown precision) and the same header.
 */
export function isSameScreen(shown: Snapshot, next: Snapshot): boolean {
  if (!isSameHeader(shown, next)) {
    return false;
  }
  // A row past its first minute shows its uptime on the stepped clock, which has not stepped
  // (isSameHeader): the same row object then draws the same line. Only the rows a refresh
  // made anew, and young ones, are compared: 20,000 rows cost no work each when 3 moved.
  const pastMinuteAt = Math.min(shown.takenAt, next.takenAt) / 1000 - 60;
  return shown.rows.every((row, index) => {
    const other = next.rows[index];
    if (row === other && (row.startedAt === null || row.startedAt <= pastMinuteAt)) {
      return true;
    }
    // The uptime as shown: seconds under a minute, then minutes on a clock that steps every
    // 10 s, so rows redraw when their shown minute ticks over, all in one frame.
    return (
      other !== undefined &&
      rowLook(row) === rowLook(other) &&
      shownUptime(row, shown.takenAt) === shownUptime(other, next.takenAt)
    );
  });
}

/** True when every one of `rows` shows the same uptime at `now` as at `then` (ms). */
export function isSameUptimes(rows: readonly SnapshotRow[], then: number, now: number): boolean {
  return rows.every((row) => shownUptime(row, then) === shownUptime(row, now));
}

/**
 * True when the detail pane of the row `key` would show the same container status in `next`
 * as in `shown` (the one thing of a row it shows that the list does not).
 */
export function isSameDetail(shown: Snapshot, next: Snapshot, key: string): boolean {
  const before = shown.rows.find((row) => row.key === key);
  const after = next.rows.find((row) => row.key === key);
  return before?.container?.status === after?.container?.status;
}
