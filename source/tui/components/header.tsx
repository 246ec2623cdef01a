import {Box} from 'ink';
import type {Snapshot} from '../../snapshot.js';
import {enginesLine, headerLine} from '../view.js';
import {Line} from './line.js';

/** Props of Header. */
export interface HeaderProps {
  readonly snapshot: Snapshot | null;
  readonly shown: number;
  readonly paused: boolean;
  readonly intervalMs: number;
  /** Tagged containers (shown when any). */
  readonly tagged?: number;
  readonly width: number;
  readonly color: boolean;
}

/** Two lines: host, rows, interval, refresh time, paused; then the engines and any problem. */
export function Header({snapshot, shown, paused, intervalMs, tagged, width, color}: HeaderProps) {
  const engines = enginesLine(snapshot, width);
  return (
    <Box flexDirection="column">
      <Line
        bold
        color={color && paused ? 'yellow' : undefined}
        text={headerLine(snapshot, shown, {paused, intervalMs, tagged}, width)}
        width={width}
      />
      <Line
        color={color ? (engines.isProblem ? 'red' : 'gray') : undefined}
        text={engines.text}
        width={width}
      />
    </Box>
  );
}
