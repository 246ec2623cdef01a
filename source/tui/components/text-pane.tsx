import {Box} from 'ink';
import {Line} from './line.js';

/** Keys for lines that may repeat: the text plus how many times it came before. */
function lineKeys(lines: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return lines.map((line) => {
    const count = seen.get(line) ?? 0;
    seen.set(line, count + 1);
    return `${count}:${line}`;
  });
}

/** Lines in place of the list (help screen, detail pane); the first is the title, the last says where and how to close. */
export function TextPane({
  lines,
  width,
  color,
}: {
  /** Fitted to `width` already (helpLines, detailLines). */
  readonly lines: readonly string[];
  readonly width: number;
  readonly color: boolean;
}) {
  const keys = lineKeys(lines);
  return (
    <Box flexDirection="column">
      {lines.map((line, index) => (
        <Line
          key={keys[index]}
          bold={index === 0}
          color={color && index === 0 ? 'cyan' : undefined}
          dimColor={color && index > 0 && index === lines.length - 1}
          text={line}
          width={width}
        />
      ))}
    </Box>
  );
}
