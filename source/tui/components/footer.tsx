import {footerLine} from '../view.js';
import {Line} from './line.js';

/** The keys that matter most, in one line. */
export function Footer({width, color}: {readonly width: number; readonly color: boolean}) {
  return <Line dimColor={color} text={footerLine(width)} width={width} />;
}
