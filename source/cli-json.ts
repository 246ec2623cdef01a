/**
 * Characters JSON.stringify leaves raw that a terminal acts on without showing them: DEL and
 * the C1 controls (U+0080-U+009F; U+009B is a CSI on some terminals), the Arabic letter mark
 * and the zero-width and bidi marks, embeddings, overrides and isolates (U+200B-U+200F,
 * U+202A-U+202E, U+2066-U+2069), line and paragraph separators (U+2028, U+2029), the word
 * joiner and invisible operators (U+2060-U+2064) and the byte order mark (U+FEFF). JSON.stringify
 * already escapes C0 controls and lone surrogates.
 */
const unsafeCharacters = /[\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g;

/**
 * `json` (JSON.stringify's output) with each such character written as a \uXXXX escape: still
 * valid JSON that parses back to the same strings, and safe to print on a terminal. Outside
 * strings JSON text is ASCII, and no escape sequence of JSON contains such a character, so
 * each one found is a character of a string.
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(
    unsafeCharacters,
    (character) => `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
