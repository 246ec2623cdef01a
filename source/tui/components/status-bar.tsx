import type {Mode, StatusMessage} from '../types.js';
import {statusLine} from '../view.js';
import {Line} from './line.js';

/** Props of StatusBar. */
export interface StatusBarProps {
  readonly mode: Mode;
  readonly status: StatusMessage | null;
  readonly filterText: string;
  readonly refreshError: string | null;
  readonly width: number;
  readonly color: boolean;
}

const tones = {
  info: undefined,
  ok: 'green',
  error: 'red',
  progress: 'cyan',
  prompt: 'yellow',
} as const;

/** The prompt of the current mode (filter, question), else the last outcome, else the filter. */
export function StatusBar({mode, status, filterText, refreshError, width, color}: StatusBarProps) {
  const line = statusLine(mode, status, filterText, refreshError, width);
  return (
    <Line
      color={color ? tones[line.tone] : undefined}
      bold={line.tone === 'prompt'}
      text={line.text}
      width={width}
    />
  );
}
