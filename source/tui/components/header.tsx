import {Box, Text} from 'ink';
import type {Snapshot} from '../../snapshot.js';
import {enginesLine, headerLine} from '../view.js';

/** Props of Header. */
export interface HeaderProps {
  readonly snapshot: Snapshot | null;
  readonly shown: number;
  readonly paused: boolean;
  readonly intervalMs: number;
  readonly width: number;
  readonly color: boolean;
}

/** Two lines: host, rows, interval, refresh time, paused; then the engines and any problem. */
export function Header({snapshot, shown, paused, intervalMs, width, color}: HeaderProps) {
  const engines = enginesLine(snapshot, width);
  return (
    <Box flexDirection="column">
      <Text bold color={color && paused ? 'yellow' : undefined} wrap="truncate-end">
        {headerLine(snapshot, shown, {paused, intervalMs}, width)}
      </Text>
      <Text color={color ? (engines.isProblem ? 'red' : 'gray') : undefined} wrap="truncate-end">
        {engines.text}
      </Text>
    </Box>
  );
}
