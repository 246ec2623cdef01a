import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

interface Size {
  readonly columns: number;
  readonly rows: number;
}

const fallback: Size = {columns: 80, rows: 24};

function sizeOf(stdout: NodeJS.WriteStream): Size {
  return {columns: stdout.columns || fallback.columns, rows: stdout.rows || fallback.rows};
}

/** The terminal's size, following resize events (Ink 6 has no useWindowSize). */
export function useTerminalSize(): Size {
  const {stdout} = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = (): void => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
