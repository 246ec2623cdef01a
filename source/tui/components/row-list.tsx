import {Box} from 'ink';
import {fitCell, type PlacedColumn} from '../../model/columns.js';
import {isTreeLine, type ListLine} from '../selection.js';
import {groupLine, rowLine, titleLine} from '../view.js';
import {Line} from './line.js';

/** Props of RowList. */
export interface RowListProps {
  /** The lines in the window (rows, or the tree's groups and rows), filtered, sorted and cut to the height. */
  readonly rows: readonly ListLine[];
  readonly placed: readonly PlacedColumn[];
  readonly selectedKey: string | null;
  readonly sort: {readonly column: string; readonly descending: boolean};
  readonly inProgress: Readonly<Record<string, string>>;
  /** Tagged containers by id: their rows are marked `+`. */
  readonly tags: Readonly<Record<string, unknown>>;
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
  tags,
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
      {rows.map((line, index) => {
        // The join makes keys unique; should two rows ever share one, only the first is the
        // selection and each still gets a React key of its own (a shared one breaks drawing).
        const isDuplicate = rows.findIndex((other) => other.key === line.key) !== index;
        const isSelected = line.key === selectedKey && !isDuplicate;
        if (isTreeLine(line) && line.kind === 'group') {
          const isTagged = line.container !== null && tags[line.container.id] !== undefined;
          return (
            <Line
              key={isDuplicate ? `${line.key}#${index}` : line.key}
              inverse={isSelected}
              bold
              color={
                color
                  ? isTagged
                    ? 'magenta'
                    : line.group === 'process'
                      ? undefined
                      : 'green'
                  : undefined
              }
              text={groupLine(line, width, now, isTagged)}
              width={width}
            />
          );
        }
        const row = isTreeLine(line) ? line.row : line;
        const isTagged = row.container !== null && tags[row.container.id] !== undefined;
        const tint = isTagged
          ? 'magenta'
          : row.untrusted !== null
            ? 'red'
            : row.helper !== null
              ? 'yellow'
              : row.container !== null
                ? 'green'
                : undefined;
        return (
          <Line
            key={isDuplicate ? `${line.key}#${index}` : line.key}
            inverse={isSelected}
            color={color ? tint : undefined}
            bold={isTagged}
            text={rowLine(row, placed, inProgress, width, now, isTagged)}
            width={width}
          />
        );
      })}
    </Box>
  );
}
