import {Box} from 'ink';
import type {LogsPaneLine} from '../logs-pane.js';
import {Line} from './line.js';

const tones: Record<
  LogsPaneLine['tone'],
  {readonly color?: string; readonly bold?: boolean; readonly dimColor?: boolean}
> = {
  title: {color: 'cyan', bold: true},
  stderr: {color: 'red'},
  plain: {},
  note: {dimColor: true},
  error: {color: 'red', bold: true},
  hint: {dimColor: true},
};

/** The logs pane in place of the list: title, lines (stderr in red), position and keys. */
export function LogsPane({
  lines,
  width,
  color,
}: {
  /** Fitted to `width` already (logsPaneLines). */
  readonly lines: readonly LogsPaneLine[];
  readonly width: number;
  readonly color: boolean;
}) {
  return (
    <Box flexDirection="column">
      {lines.map((line, index) => {
        const tone = tones[line.tone];
        return (
          <Line
            // Lines move up as new ones come: keyed by place, each Line redraws only if its text changed.
            // biome-ignore lint/suspicious/noArrayIndexKey: the place on screen is the identity here.
            key={index}
            bold={line.tone === 'title' || (color && tone.bold)}
            color={color ? tone.color : undefined}
            dimColor={color && tone.dimColor}
            text={line.text}
            width={width}
          />
        );
      })}
    </Box>
  );
}
