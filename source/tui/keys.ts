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
    keys: '/',
    description: 'filter: port, range (3000-4000) or text',
    matchers: [char('/')],
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
    keys: 'k',
    description: 'kill the container (or signal the process)',
    matchers: [char('k')],
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
    keys: '>',
    description: 'sort by the next column',
    matchers: [char('>'), char('.')],
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
    keys: '?',
    description: 'this help',
    matchers: [char('?')],
    short: 'help',
    inFooter: true,
  },
  {
    command: 'quit',
    short: 'quit',
    keys: 'q ^C',
    description: 'quit',
    matchers: [char('q'), ctrl('c')],
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
  pause: {type: 'pause-toggle'},
  help: {type: 'help-toggle'},
  redraw: {type: 'redraw'},
};

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
    case 'help':
    case 'detail': {
      const scroll = paneScrollFor(press);
      if (scroll !== undefined) {
        return {type: 'pane-scroll', to: scroll};
      }
      if (
        key.escape ||
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
        return {type: 'status', status: null};
      }
      return command === undefined ? undefined : commandActions[command];
    }
  }
}
