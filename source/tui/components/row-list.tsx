import {Box, Text} from 'ink';
import type {PlacedColumn} from '../../model/columns.js';
import type {SnapshotRow} from '../../model/snapshot-row.js';
import {rowLine, titleLine} from '../view.js';

/** Props of RowList. */
export interface RowListProps {
  /** The rows in the window, already filtered, sorted and cut to the height. */
  readonly rows: readonly SnapshotRow[];
  readonly placed: readonly PlacedColumn[];
  readonly selectedKey: string | null;
  readonly sort: {readonly column: string; readonly descending: boolean};
  readonly inProgress: Readonly<Record<string, string>>;
  readonly width: number;
  readonly color: boolean;
  /** Shown instead of rows when there are none. */
  readonly emptyText: string;
}

/** Column titles and one line per row; helper rows stand out, the selection is inverse. */
export function RowList({
  rows,
  placed,
  selectedKey,
  sort,
  inProgress,
  width,
  color,
  emptyText,
}: RowListProps) {
  return (
    <Box flexDirection="column">
      <Text bold inverse={!color} color={color ? 'cyan' : undefined} wrap="truncate-end">
        {titleLine(placed, sort, width)}
      </Text>
      {rows.length === 0 ? <Text dimColor={color}>{emptyText}</Text> : null}
      {rows.map((row) => {
        const isSelected = row.key === selectedKey;
        const tint = row.helper !== null ? 'yellow' : row.container !== null ? 'green' : undefined;
        return (
          <Text
            key={row.key}
            inverse={isSelected}
            color={color ? tint : undefined}
            wrap="truncate-end"
          >
            {rowLine(row, placed, inProgress, width)}
          </Text>
        );
      })}
    </Box>
  );
}
