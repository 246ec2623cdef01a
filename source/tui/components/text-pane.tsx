import {Box, Text} from 'ink';

/** Lines in place of the list (help screen, detail pane); the first is the title. */
export function TextPane({
  lines,
  color,
}: {
  readonly lines: readonly string[];
  readonly color: boolean;
}) {
  return (
    <Box flexDirection="column">
      {lines.map((line, index) => (
        // Lines are static text in a fixed order: their index is their identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <Text
          key={index}
          bold={index === 0}
          color={color && index === 0 ? 'cyan' : undefined}
          wrap="truncate-end"
        >
          {line === '' ? ' ' : line}
        </Text>
      ))}
    </Box>
  );
}
