import chalk from 'chalk';
import {Box, renderToString, Text} from 'ink';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Line} from '../../source/tui/components/line.js';

describe('Line', () => {
  // Ink colours through chalk, which sees no terminal under vitest: force colours on, so the
  // styles are really compared.
  const level = chalk.level;
  beforeAll(() => {
    chalk.level = 3;
  });
  afterAll(() => {
    chalk.level = level;
  });
  it('draws like a Text of the same styles', () => {
    for (const style of [
      {},
      {bold: true},
      {color: 'green'},
      {inverse: true, color: 'yellow'},
      {dimColor: true},
    ] as const) {
      const line = renderToString(<Line text="tcp 0.0.0.0 18080  " width={20} {...style} />, {
        columns: 30,
      });
      const text = renderToString(<Text {...style}>{'tcp 0.0.0.0 18080  '}</Text>, {columns: 30});
      expect(line).toBe(text);
      if (Object.keys(style).length > 0) {
        expect(line).toContain('\u001B[');
      }
    }
  });

  it('puts the text in literally (no $-patterns) and keeps wide characters', () => {
    const out = renderToString(
      <Box flexDirection="column">
        <Line text="a $& b $1 c $$" width={20} />
        <Line text="数据库 web" width={20} color="cyan" />
      </Box>,
      {columns: 30},
    );
    expect(out.split('\n')[0]).toBe('a $& b $1 c $$');
    expect(out).toContain('数据库 web');
  });
});
