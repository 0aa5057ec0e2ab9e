// Text from a server or a file made safe for a terminal: control characters shown as escapes, so
// that no such text can move the cursor, set the window title or overwrite a line.

// C0 controls (ESC, BEL, CR ...), DEL, C1 controls (8-bit CSI, OSC ...), the bidirectional-text
// controls that reorder what is shown, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// JSON.stringify escapes C0 controls already; these it leaves raw.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex = (char: string, digits: number): string => char.charCodeAt(0).toString(16).padStart(digits, '0');

const escapeChar = (char: string): string => (char.charCodeAt(0) < 0x100 ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`);

/**
 * Text from a server or a file, made safe to print: every control character (ESC, BEL, CR, C1,
 * bidirectional controls ...) is shown as an escape (`\x1b`), so it cannot move the cursor, set the
 * window title or overwrite a line. `keepNewlines` leaves `\n` alone (multi-line messages).
 *
 * @example
 * import { printable } from 'invokeai-rx/node';
 * printable('done\r\x1b]0;pwned\x07'); // 'done\\x0d\\x1b]0;pwned\\x07'
 */
export const printable = (text: string, keepNewlines = false): string => text.replace(keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL, escapeChar);

/** `JSON.stringify` with the controls it leaves raw (DEL, C1, bidirectional) written as `\u` escapes: the same JSON, safe on a terminal. */
export const printableJson = (value: unknown, indent?: number): string => JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (char) => `\\u${hex(char, 4)}`);
