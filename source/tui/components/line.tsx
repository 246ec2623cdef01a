import {Text, type TextProps, Transform} from 'ink';
import {memo} from 'react';

/** Props of Line: Ink's Text styles, the text, and the cells it may take. */
export interface LineProps extends Pick<TextProps, 'bold' | 'color' | 'dimColor' | 'inverse'> {
  /** One line of already fitted text: no wider than `width`, no newline, no control character. */
  readonly text: string;
  readonly width: number;
}

const blanks = new Map<number, string>();
function blankOf(width: number): string {
  let blank = blanks.get(width);
  if (blank === undefined) {
    blank = ' '.repeat(width);
    blanks.set(width, blank);
  }
  return blank;
}

/**
 * One styled line of the dashboard.
 *
 * Ink lays a Text out by measuring its string, and keeps every string it ever measured in a
 * module-level map that is never emptied. A dashboard that runs for days redraws rows whose
 * text keeps changing (uptimes, refresh times), so that map would grow by every version of
 * every row: an estimated 0.7 MB an hour with 60 rows. Here Ink measures a run of blanks as
 * wide as the line may be (one string per width), and a Transform puts the text in place of
 * the blanks, inside the styles Ink applied to them, only when the frame is drawn.
 */
function LineView({text, width, ...style}: LineProps) {
  const blank = blankOf(Math.max(1, width));
  return (
    <Transform transform={(styled) => styled.replace(blank, () => text)}>
      <Text {...style}>{blank}</Text>
    </Transform>
  );
}

/** LineView, memoised: a row whose text and style did not change is not even reconciled. */
export const Line = memo(LineView);
