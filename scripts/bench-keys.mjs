// Key-to-screen latency and bytes written per key, for bench-tui.mjs, measured on what the
// program writes to its terminal. A tmux control-mode client (`tmux -C attach`) gets every
// chunk the program writes to its pane as a `%output` notification the moment tmux reads it,
// so a key's latency is the time from writing `send-keys` to the control client to the first
// chunk that completes the newly selected row (inverse video, then the row's port). Polling
// capture-pane would add its own period (tens of ms per capture on a loaded 2-core machine) to
// every sample; %output timestamps are as fine as the event loop of this process.
import {spawn} from 'node:child_process';
import {setTimeout as sleep} from 'node:timers/promises';

/** CSI sequences (colours, cursor moves, erase): stripped to compare text. */
const csi = new RegExp(`${'\u001B'}\\[[0-9;?]*[ -/]*[@-~]`, 'g');
const stripCsi = (text) => text.replace(csi, '');

/** tmux writes bytes under 0x20 and the backslash of %output data as \ooo octal. */
const unescapeOutput = (data) =>
  data.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(Number.parseInt(octal, 8)));

/**
 * Attaches a control-mode client to `session` ({socket, label}). Resolves {chunks, send, close}:
 * chunks is the list of {at, data} written by the program since attaching (data as latin1, one
 * char per byte), send(keys) writes one send-keys command and returns the time it was written.
 */
export async function attachControl(session, env) {
  const child = spawn('tmux', ['-S', session.socket, '-C', 'attach', '-t', session.label], {
    env,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const chunks = [];
  let pending = '';
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (data) => {
    const at = performance.now();
    pending += data;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line.startsWith('%output ')) {
        chunks.push({at, data: unescapeOutput(line.slice(line.indexOf(' ', 8) + 1))});
      }
    }
  });
  await sleep(300);
  return {
    chunks,
    send(keys) {
      const at = performance.now();
      child.stdin.write(`send-keys -t ${session.label} ${keys}\n`);
      return at;
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}

/** The text since chunk `from`, and the time the chunk that completes `predicate` arrived. */
function firstMatch(chunks, from, predicate) {
  let text = '';
  for (let index = from; index < chunks.length; index++) {
    text += chunks[index].data;
    if (predicate(text)) return chunks[index].at;
  }
  return null;
}

/** Whether the text holds a row in inverse video (SGR 7) that shows ` ${port} `. */
const selects = (port) => (text) => {
  const at = text.lastIndexOf('\u001B[7m');
  return at !== -1 && stripCsi(text.slice(at).split('\n')[0]).includes(` ${port} `);
};

/**
 * Sends `key`, waits until the program wrote the row of `port` selected and has been silent
 * for `quietMs` (at most `timeoutMs`). Resolves {ms: latency or null, bytes: written since}.
 */
export async function pressAndSettle(control, key, port, {quietMs = 250, timeoutMs = 2000} = {}) {
  const from = control.chunks.length;
  const sentAt = control.send(key);
  let seenAt = null;
  while (performance.now() - sentAt < timeoutMs) {
    await sleep(5);
    seenAt ??= firstMatch(control.chunks, from, selects(port));
    const lastAt = control.chunks.at(-1)?.at ?? sentAt;
    if (seenAt !== null && performance.now() - Math.max(lastAt, sentAt) >= quietMs) break;
  }
  let bytes = 0;
  for (let index = from; index < control.chunks.length; index++) {
    bytes += control.chunks[index].data.length;
  }
  return {ms: seenAt === null ? null : seenAt - sentAt, bytes};
}

const percentile = (sorted, share) =>
  sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];

/** {count, p50, p95, max} of numbers (null entries count as misses). */
export function summarize(values) {
  const sorted = values.filter((value) => value !== null).sort((a, b) => a - b);
  return {
    count: values.length,
    missed: values.length - sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    max: sorted.at(-1) ?? null,
  };
}

/**
 * Bytes per `j` on a screen that does not scroll: from the top of the list, `count` presses of
 * j, each settled. `firstPort` is the port of the row j selects first, rows sorted by port.
 */
export async function measureBytesPerKey(control, ports, {count = 8} = {}) {
  const samples = [];
  for (const port of ports.slice(0, count)) {
    samples.push(await pressAndSettle(control, 'j', port));
    await sleep(50 + Math.random() * 100);
  }
  return samples;
}

/**
 * Latency of `rounds` runs of `run` presses of j (down) then as many of Up, on rows whose ports
 * follow each other (`ports`, the order on screen). Each press waits for the screen to settle,
 * then 50-150 ms (a person's pace of repeated presses), so each sample is one key on its own.
 */
export async function measureLatency(control, ports, startIndex, {rounds = 2, run = 40} = {}) {
  const samples = [];
  let index = startIndex;
  for (let round = 0; round < rounds; round++) {
    for (const [key, step] of [
      ['j', 1],
      ['Up', -1],
    ]) {
      for (let press = 0; press < run; press++) {
        const next = index + step;
        if (next < 0 || next >= ports.length) break;
        const sample = await pressAndSettle(control, key, ports[next], {quietMs: 120});
        samples.push({key, ...sample});
        index = next;
        await sleep(50 + Math.random() * 100);
      }
    }
  }
  return samples;
}
