import type {Key} from 'ink';
import type {AppAction, KeyPress, Mode, PaneScroll} from './types.js';

/** Everything a key can ask for in the list. */
export type Command =
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'home'
  | 'end'
  | 'filter'
  | 'sort-next'
  | 'sort-previous'
  | 'sort-invert'
  | 'detail'
  | 'kill'
  | 'stop'
  | 'restart'
  | 'tag'
  | 'untag-all'
  | 'logs'
  | 'group'
  | 'expand'
  | 'collapse'
  | 'pause'
  | 'help'
  | 'redraw'
  | 'quit';

type Matcher = (press: KeyPress) => boolean;
const char =
  (text: string): Matcher =>
  ({input, key}) =>
    input === text && !key.ctrl && !key.meta;
const special =
  (name: keyof Key): Matcher =>
  ({key}) =>
    key[name] === true;
const ctrl =
  (text: string): Matcher =>
  ({input, key}) =>
    key.ctrl === true && input === text;
const functionKey =
  (number: number): Matcher =>
  ({functionKey: pressed}) =>
    pressed === number;

/**
 * Function keys by their unmodified escape sequence (without the leading ESC): xterm and tmux
 * (`OP`…`OS`, `[15~`…`[24~`), rxvt (`[11~`…`[14~`) and the Linux console (`[[A`…`[[E`).
 * Ink's useInput reports these keys as an empty input with no flag set, so the app reads them
 * from the raw input (see readFunctionKeys).
 */
const functionKeySequences: Readonly<Record<string, number>> = {
  OP: 1,
  OQ: 2,
  OR: 3,
  OS: 4,
  '[11~': 1,
  '[12~': 2,
  '[13~': 3,
  '[14~': 4,
  '[[A': 1,
  '[[B': 2,
  '[[C': 3,
  '[[D': 4,
  '[[E': 5,
  '[15~': 5,
  '[17~': 6,
  '[18~': 7,
  '[19~': 8,
  '[20~': 9,
  '[21~': 10,
  '[23~': 11,
  '[24~': 12,
};

const escapeChar = String.fromCharCode(0x1b);

/**
 * The function keys (1-12) in a chunk of raw terminal input, in order; other keys (and
 * function keys with Shift, Ctrl or Alt) are skipped. Never throws.
 */
export function readFunctionKeys(chunk: string): number[] {
  const found: number[] = [];
  // ESC, then SS3 + one letter, or CSI (or the console's `[[`) + digits + `~` or one letter.
  const pattern = new RegExp(`${escapeChar}(O[A-Z]|\\[\\[[A-E]|\\[\\d+~)`, 'g');
  for (const match of chunk.matchAll(pattern)) {
    const number = functionKeySequences[match[1] ?? ''];
    if (number !== undefined) {
      found.push(number);
    }
  }
  return found;
}

/** One binding: the command, the keys that give it, and how the help and footer name it. */
export interface Binding {
  readonly command: Command;
  readonly keys: string;
  readonly description: string;
  readonly matchers: readonly Matcher[];
  /** Shown in the footer (the rest only in the help screen). */
  readonly inFooter: boolean;
  /** The footer's one word for it. */
  readonly short: string;
}

/** The list's key bindings, as data: the footer, the help screen and the handler all read this. */
export const bindings: readonly Binding[] = [
  {
    command: 'up',
    short: 'up',
    keys: '↑',
    description: 'move up',
    matchers: [special('upArrow')],
    inFooter: false,
  },
  {
    command: 'down',
    short: 'down',
    keys: '↓ j',
    description: 'move down',
    matchers: [special('downArrow'), char('j')],
    inFooter: false,
  },
  {
    command: 'page-up',
    short: 'page',
    keys: 'PgUp',
    description: 'page up',
    matchers: [special('pageUp'), ctrl('b')],
    inFooter: false,
  },
  {
    command: 'page-down',
    short: 'page',
    keys: 'PgDn',
    description: 'page down',
    matchers: [special('pageDown'), ctrl('f')],
    inFooter: false,
  },
  {
    command: 'home',
    short: 'top',
    keys: 'Home g',
    description: 'first row',
    matchers: [special('home'), char('g')],
    inFooter: false,
  },
  {
    command: 'end',
    short: 'bottom',
    keys: 'End G',
    description: 'last row',
    matchers: [special('end'), char('G')],
    inFooter: false,
  },
  {
    command: 'filter',
    short: 'filter',
    keys: '/ F3 F4',
    description: 'filter: port prefix (808), exact port (=8080), range (3000-4000) or text',
    matchers: [char('/'), functionKey(3), functionKey(4)],
    inFooter: true,
  },
  {
    command: 'detail',
    short: 'details',
    keys: 'Enter',
    description: 'details of the row',
    matchers: [special('return')],
    inFooter: true,
  },
  {
    command: 'kill',
    short: 'kill',
    keys: 'k F9',
    description: 'kill the container (or signal the process)',
    matchers: [char('k'), functionKey(9)],
    inFooter: true,
  },
  {
    command: 'stop',
    short: 'stop',
    keys: 's',
    description: 'stop the container gracefully',
    matchers: [char('s')],
    inFooter: true,
  },
  {
    command: 'restart',
    short: 'restart',
    keys: 'r',
    description: 'restart the container',
    matchers: [char('r')],
    inFooter: false,
  },
  {
    command: 'logs',
    short: 'logs',
    keys: 'l',
    description: "the container's logs, following (f pauses, / searches, Esc closes)",
    matchers: [char('l')],
    inFooter: true,
  },
  {
    command: 'tag',
    short: 'tag',
    keys: 'Space',
    description: 'tag or untag the container: k, s and r then act on every tagged one',
    matchers: [char(' ')],
    inFooter: true,
  },
  {
    command: 'untag-all',
    short: 'untag',
    keys: 'U',
    description: 'untag every container',
    matchers: [char('U')],
    inFooter: false,
  },
  {
    command: 'group',
    short: 'group',
    keys: 't F5',
    description: 'group by compose project, container and process (a tree), or list ports',
    matchers: [char('t'), functionKey(5)],
    inFooter: true,
  },
  {
    command: 'expand',
    short: 'expand',
    keys: '→ +',
    description: 'expand the group (Enter on a group toggles it)',
    matchers: [special('rightArrow'), char('+')],
    inFooter: false,
  },
  {
    command: 'collapse',
    short: 'collapse',
    keys: '← -',
    description: 'collapse the group (on a row: go to its group)',
    matchers: [special('leftArrow'), char('-')],
    inFooter: false,
  },
  {
    command: 'sort-previous',
    short: 'sort',
    keys: '<',
    description: 'sort by the previous column',
    matchers: [char('<'), char(',')],
    inFooter: false,
  },
  {
    command: 'sort-next',
    short: 'sort',
    keys: '> F6',
    description: 'sort by the next column',
    matchers: [char('>'), char('.'), functionKey(6)],
    inFooter: true,
  },
  {
    command: 'sort-invert',
    short: 'invert',
    keys: 'I',
    description: 'invert the sort',
    matchers: [char('I')],
    inFooter: false,
  },
  {
    command: 'redraw',
    short: 'redraw',
    keys: '^L',
    description: 'redraw the screen (in every screen)',
    matchers: [ctrl('l')],
    inFooter: false,
  },
  {
    command: 'pause',
    short: 'pause',
    keys: 'p',
    description: 'pause or resume refreshing',
    matchers: [char('p')],
    inFooter: true,
  },
  {
    command: 'help',
    keys: 'F1 ?',
    description: 'this help',
    matchers: [char('?'), functionKey(1)],
    short: 'help',
    inFooter: true,
  },
  {
    command: 'quit',
    short: 'quit',
    keys: 'q F10 ^C',
    description: 'quit',
    matchers: [char('q'), functionKey(10), ctrl('c')],
    inFooter: true,
  },
];

/**
 * `k` is both "up" (vi) and "kill" in htop-style tools; here `k` kills, as the card asks, and
 * up is the arrow key. `j` still moves down for vi hands.
 */
function commandFor(press: KeyPress): Command | undefined {
  return bindings.find((binding) => binding.matchers.some((matches) => matches(press)))?.command;
}

const commandActions: Partial<Record<Command, AppAction>> = {
  up: {type: 'move', by: -1},
  down: {type: 'move', by: 1},
  'page-up': {type: 'page', direction: -1},
  'page-down': {type: 'page', direction: 1},
  home: {type: 'move-to', where: 'top'},
  end: {type: 'move-to', where: 'bottom'},
  filter: {type: 'filter-open'},
  'sort-next': {type: 'sort-next'},
  'sort-previous': {type: 'sort-previous'},
  'sort-invert': {type: 'sort-invert'},
  detail: {type: 'detail-toggle'},
  kill: {type: 'request', verb: 'kill'},
  stop: {type: 'request', verb: 'stop'},
  restart: {type: 'request', verb: 'restart'},
  tag: {type: 'tag-toggle'},
  'untag-all': {type: 'tags-clear'},
  logs: {type: 'logs-open'},
  group: {type: 'group-toggle'},
  expand: {type: 'group-expand', expanded: true},
  collapse: {type: 'group-expand', expanded: false},
  pause: {type: 'pause-toggle'},
  help: {type: 'help-toggle'},
  redraw: {type: 'redraw'},
};

/**
 * A press with no text, no flag and no function key: what Ink reports for a function key
 * (which then comes again with its number) or Insert.
 */
export function isBlank({input, key, functionKey: number}: KeyPress): boolean {
  return (
    input === '' &&
    number === undefined &&
    !Object.entries(key).some(([name, value]) => value === true && name !== 'shift')
  );
}

/** The keys that scroll a pane (help, details), as in less: arrows and j, pages, ends. */
const paneScrollKeys: readonly (readonly [PaneScroll, readonly Matcher[]])[] = [
  ['up', [special('upArrow')]],
  ['down', [special('downArrow'), char('j')]],
  ['page-up', [special('pageUp'), ctrl('b')]],
  ['page-down', [special('pageDown'), ctrl('f'), char(' ')]],
  ['top', [special('home'), char('g')]],
  ['bottom', [special('end'), char('G')]],
];

function paneScrollFor(press: KeyPress): PaneScroll | undefined {
  return paneScrollKeys.find(([, matchers]) => matchers.some((matches) => matches(press)))?.[0];
}

/** What a key press means in a mode: an action, `quit`, or nothing. */
export function interpretKey(mode: Mode, press: KeyPress): AppAction | 'quit' | undefined {
  const {input, key} = press;
  if (key.ctrl && input === 'c') {
    return 'quit';
  }
  if (isBlank(press)) {
    // A key Ink reports as nothing (a function key, Insert): never an answer to a question.
    // A function key comes again, read from the raw input, with its number.
    return undefined;
  }
  if (press.functionKey === 10 && mode.kind !== 'filter') {
    return 'quit';
  }
  if (key.ctrl && input === 'l') {
    return {type: 'redraw'};
  }
  switch (mode.kind) {
    case 'filter':
      if (key.return) {
        return {type: 'filter-commit'};
      }
      if (key.escape) {
        return {type: 'filter-cancel'};
      }
      if (key.backspace || key.delete) {
        return {type: 'filter-input', text: mode.draft.slice(0, -1)};
      }
      if (input !== '' && !key.ctrl && !key.meta && !key.upArrow && !key.downArrow) {
        return {type: 'filter-input', text: mode.draft + input};
      }
      return undefined;
    case 'confirm':
    case 'confirm-many':
      if (input === 'y' || input === 'Y') {
        return {type: 'confirm', yes: true};
      }
      // Anything else is no: a destructive action needs the one explicit key.
      return {type: 'confirm', yes: false};
    case 'choose-signal':
      if (key.return || input === 't' || input === 'T') {
        return {type: 'choose-signal', signal: 'SIGTERM'};
      }
      if (input === 'K') {
        return {type: 'choose-signal', signal: 'SIGKILL'};
      }
      return {type: 'close'};
    case 'logs-search':
      if (key.return) {
        return {type: 'logs-search-commit'};
      }
      if (key.escape) {
        return {type: 'logs-search-cancel'};
      }
      if (key.backspace || key.delete) {
        return {type: 'logs-search-input', text: mode.draft.slice(0, -1)};
      }
      if (input !== '' && !key.ctrl && !key.meta && !key.upArrow && !key.downArrow) {
        return {type: 'logs-search-input', text: mode.draft + input};
      }
      return undefined;
    case 'logs': {
      const scroll = paneScrollFor(press);
      if (scroll !== undefined) {
        return {type: 'pane-scroll', to: scroll};
      }
      if (input === 'f' && !key.ctrl && !key.meta) {
        return {type: 'logs-follow-toggle'};
      }
      if (input === '/' || press.functionKey === 3) {
        return {type: 'logs-search-open'};
      }
      if (key.escape || input === 'q' || input === 'l' || key.leftArrow) {
        return {type: 'close'};
      }
      return undefined;
    }
    case 'help':
    case 'detail': {
      const scroll = paneScrollFor(press);
      if (scroll !== undefined) {
        return {type: 'pane-scroll', to: scroll};
      }
      if (
        key.escape ||
        (mode.kind === 'help' && press.functionKey === 1) ||
        key.return ||
        input === 'q' ||
        input === '?' ||
        (mode.kind === 'detail' && key.leftArrow)
      ) {
        return {type: 'close'};
      }
      return undefined;
    }
    case 'list': {
      const command = commandFor(press);
      if (command === 'quit') {
        return 'quit';
      }
      if (key.escape) {
        // Esc clears what is set: the status message and an active filter.
        return {type: 'clear'};
      }
      return command === undefined ? undefined : commandActions[command];
    }
  }
}
