/**
 * Characters JSON.stringify leaves raw that a terminal acts on without showing them: DEL and
 * the C1 controls (U+0080-U+009F; U+009B is a CSI on some terminals), every format character
 * (Unicode Cf: the bidi marks, embeddings, overrides and isolates, zero-width spaces and
 * joiners, the byte order mark, tag characters) and the line and paragraph separators: the
 * same set the views show as '?' (model/columns.ts, printable). JSON.stringify already escapes
 * C0 controls and lone surrogates.
 */
const unsafeCharacters = /[\u007F-\u009F\p{Cf}\p{Zl}\p{Zp}]/gu;

/** Any character past printable ASCII: text without one has none of the above. */
const beyondAscii = /[^ -~\t\n\r]/;

/**
 * `json` (JSON.stringify's output) with each such character written as \uXXXX escapes (a
 * character beyond U+FFFF, such as a tag character, as its surrogate pair, as JSON writes
 * them): still valid JSON that parses back to the same strings, and safe to print on a
 * terminal. Outside strings JSON text is ASCII, and no escape sequence of JSON contains such a
 * character, so each one found is a character of a string.
 */
export function escapeJsonForTerminal(json: string): string {
  if (!beyondAscii.test(json)) {
    return json; // the common case, found by a scan much cheaper than the one below
  }
  return json.replace(unsafeCharacters, (character) => {
    let escaped = '';
    for (let index = 0; index < character.length; index++) {
      escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`;
    }
    return escaped;
  });
}
