import {writeFileSync} from 'node:fs';
import {monitorEventLoopDelay, PerformanceObserver} from 'node:perf_hooks';
import {type FrameCacheState, takeInkFrameCacheCounters} from './tui/ink-frame-cache.js';
import type {DashboardServices} from './tui/services.js';

/** The dashboard's services, watched; plus what the CLI hands Ink and calls on quit. */
export interface WatchedServices extends DashboardServices {
  /** For Ink's render option of the same name: how long each frame took to draw. */
  readonly onRender: ((metrics: {renderTime: number}) => void) | undefined;
  /** Writes the report if the window has not ended yet (on quit). */
  stop(): void;
}

/**
 * For the benchmark: when NANODOCK_TOP_STALL_FILE names a file, nanodock-top measures the
 * event loop's delays (monitorEventLoopDelay, 1 ms resolution), how long Ink takes to draw
 * each frame and the garbage collections of 8 ms or more (kind and flags as Node reports them),
 * and writes them there as JSON.
 *
 * The window starts 1 s after the first snapshot (loading modules, the first full scan and the
 * first, cold, frames are startup), or again at the first SIGUSR2; it ends at the second SIGUSR2,
 * or on quit. The benchmark signals the start and the end of its idle window, so the figures
 * cover exactly the seconds it measures CPU over, and not the frame drawn on quitting.
 */
export function watchStalls(
  file: string | undefined,
  services: DashboardServices,
  frameCache: FrameCacheState,
): WatchedServices {
  if (!file) {
    return {...services, onRender: undefined, stop: () => {}};
  }
  const histogram = monitorEventLoopDelay({resolution: 1});
  let isScheduled = false;
  let isCounting = false;
  let isWritten = false;
  let from = '1 s after the first snapshot';
  let renders: number[] = [];
  let windowStart = 0;
  /** Garbage collections of 8 ms or more in the window: the stalls that are V8's, not ours. */
  let collections: {atMs: number; ms: number; kind: number; flags: number}[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    if (!isCounting) {
      return;
    }
    for (const entry of list.getEntries()) {
      if (entry.duration >= 8) {
        const {detail} = entry as unknown as {detail?: {kind?: number; flags?: number}};
        collections.push({
          atMs: Math.round(entry.startTime - windowStart),
          ms: Math.round(entry.duration * 10) / 10,
          kind: detail?.kind ?? 0,
          flags: detail?.flags ?? 0,
        });
      }
    }
  });
  gcObserver.observe({entryTypes: ['gc']});
  const startWindow = (): void => {
    histogram.reset();
    histogram.enable();
    renders = [];
    collections = [];
    windowStart = performance.now();
    takeInkFrameCacheCounters();
    isCounting = true;
  };
  const write = (): void => {
    if (isWritten) {
      return;
    }
    isWritten = true;
    isCounting = false;
    histogram.disable();
    gcObserver.disconnect();
    const sorted = renders.toSorted((a, b) => a - b);
    const at = (share: number): number => sorted[Math.floor(share * (sorted.length - 1))] ?? 0;
    writeFileSync(
      file,
      JSON.stringify({
        maxMs: histogram.max / 1e6,
        p99Ms: histogram.percentile(99) / 1e6,
        from,
        windowMs: Math.round(performance.now() - windowStart),
        renders: {count: sorted.length, medianMs: at(0.5), maxMs: at(1)},
        collections,
        frameCache: frameCache.active ? takeInkFrameCacheCounters() : frameCache.why,
      }),
    );
  };
  let signals = 0;
  process.on('SIGUSR2', () => {
    signals++;
    if (signals === 1) {
      from = 'the first SIGUSR2';
      startWindow();
    } else {
      write();
    }
  });
  return {
    ...services,
    refresh: (onUpdate, signal) =>
      services.refresh((snapshot) => {
        onUpdate(snapshot);
        if (!isScheduled) {
          isScheduled = true;
          setTimeout(() => {
            if (signals === 0) {
              startWindow();
            }
          }, 1000).unref();
        }
      }, signal),
    onRender: ({renderTime}) => {
      if (isCounting) {
        renders.push(renderTime);
      }
    },
    stop: write,
  };
}
