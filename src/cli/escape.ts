/**
 * What doctor prints comes partly from strangers: a token's header and claims, a fetched
 * metadata document or JWKS, the command line. A terminal acts on control characters in it
 * (clear the screen, move the cursor, set the title, fake a green "all checks passed"), so
 * every line is escaped on its way out, whatever the output mode: C0 controls (tab and
 * newline included: a claim must not start a line of its own), DEL, C1 controls (U+0080 to
 * U+009F, which some terminals take as CSI/OSC) and the bidirectional overrides that reorder
 * what is shown.
 */

/** C0, DEL, C1, and the bidi embedding/override/isolate controls. */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
/** What `JSON.stringify` leaves raw inside strings (the newlines outside them are its layout). */
const UNSAFE_IN_JSON = /[\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unsafe character spelt out: `\x1b`, `\x9b`, `\u202e`. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * JSON text (from `JSON.stringify`, which escapes C0 only) with DEL, C1 and bidi controls as
 * `\u` escapes too: still valid JSON that parses back to the same strings.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
