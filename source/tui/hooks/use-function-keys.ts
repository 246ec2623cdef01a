import {useStdin} from 'ink';
import {type Dispatch, useEffect} from 'react';
import {readFunctionKeys} from '../keys.js';
import type {AppAction} from '../types.js';

/**
 * Dispatches F1-F12 as key presses with their number. Ink 6.8's useInput reports a function
 * key as an empty input with no flag set, so this reads the raw chunks of the stdin Ink gives
 * (useStdin, public): a 'data' listener beside Ink's 'readable' one sees each chunk as Ink
 * reads it and does not change how the stream flows. The empty press useInput also sends is
 * ignored by the reducer (see isBlank).
 */
export function useFunctionKeys(dispatch: Dispatch<AppAction>): void {
  const {stdin, isRawModeSupported} = useStdin();
  useEffect(() => {
    if (!isRawModeSupported) {
      return;
    }
    const onData = (chunk: Buffer | string): void => {
      for (const number of readFunctionKeys(String(chunk))) {
        dispatch({type: 'key', press: {input: '', key: {}, functionKey: number}});
      }
    };
    stdin.on('data', onData);
    return () => {
      stdin.off('data', onData);
    };
  }, [stdin, isRawModeSupported, dispatch]);
}
