import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

/** The terminal's size, following resize events (Ink 6 has no useWindowSize). */
export function useTerminalSize(fallback = {columns: 80, rows: 24}): {
  columns: number;
  rows: number;
} {
  const {stdout} = useStdout();
  const read = () => ({
    columns: stdout.columns || fallback.columns,
    rows: stdout.rows || fallback.rows,
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // read depends only on stdout.
    // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  }, [stdout]);
  return size;
}
