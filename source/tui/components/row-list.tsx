import {Box} from 'ink';
import {fitCell, type PlacedColumn} from '../../model/columns.js';
import type {SnapshotRow} from '../../model/snapshot-row.js';
import {rowLine, titleLine} from '../view.js';
import {Line} from './line.js';

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
  /** The time (Unix seconds) the snapshot stands for: uptimes count to it. */
  readonly now?: number;
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
  now,
}: RowListProps) {
  return (
    <Box flexDirection="column">
      <Line
        bold
        inverse={!color}
        color={color ? 'cyan' : undefined}
        text={titleLine(placed, sort, width)}
        width={width}
      />
      {rows.length === 0 ? (
        <Line dimColor={color} text={fitCell(emptyText, width)} width={width} />
      ) : null}
      {rows.map((row, index) => {
        // The join makes keys unique; should two rows ever share one, only the first is the
        // selection and each still gets a React key of its own (a shared one breaks drawing).
        const isDuplicate = rows.findIndex((other) => other.key === row.key) !== index;
        const isSelected = row.key === selectedKey && !isDuplicate;
        const tint =
          row.untrusted !== null
            ? 'red'
            : row.helper !== null
              ? 'yellow'
              : row.container !== null
                ? 'green'
                : undefined;
        return (
          <Line
            key={isDuplicate ? `${row.key}#${index}` : row.key}
            inverse={isSelected}
            color={color ? tint : undefined}
            text={rowLine(row, placed, inProgress, width, now)}
            width={width}
          />
        );
      })}
    </Box>
  );
}
