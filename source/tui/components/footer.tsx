import {Text} from 'ink';
import {footerLine} from '../view.js';

/** The keys that matter most, in one line. */
export function Footer({width, color}: {readonly width: number; readonly color: boolean}) {
  return (
    <Text dimColor={color} wrap="truncate-end">
      {footerLine(width)}
    </Text>
  );
}
