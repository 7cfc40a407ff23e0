/**
 * How a file name's bytes travel as text (CONTRACT "Additions": paths carry every byte). A Linux path is
 * a byte string; JSON, DynamoDB and CSV want valid UTF-8 and people want to read it. So:
 *
 * - valid UTF-8 is kept as it is, except control characters (C0 `\x00`-`\x1f`, DEL `\x7f`, C1
 *   U+0080-U+009F), which could hide a name in a terminal, a log line or a mail header;
 * - every byte that is a control character or not part of valid UTF-8 is written `\xHH` (lowercase hex);
 * - a backslash is written `\x5c` only where it would otherwise read as such an escape (followed by `x`
 *   and two lowercase hex digits), so ordinary names, and Windows paths, keep their backslashes.
 *
 * The encoding is reversible (`decodeWirePath(encodeWirePath(b))` equals `b`) and a valid UTF-8 name
 * without control characters encodes to itself. Why not percent-encoding: `%` is common in real names
 * (systemd `%i` units) and would change them; why not lone surrogates (Python's surrogateescape): DynamoDB
 * and many JSON parsers refuse invalid UTF-16. Pure; no zod, so the agent bundle carries it.
 */

const HEX = '0123456789abcdef';
const hex = (byte: number) => `\\x${HEX[byte >> 4]}${HEX[byte & 15]}`;

/** A control character the wire never carries raw: C0, DEL and C1. */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function utf8Length(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number) => i + k < bytes.length && (bytes[i + k]! & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const b1 = bytes[i + 1]!;
    if (b0 === 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b0 === 0xed && b1 >= 0xa0) return 0; // UTF-16 surrogate
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const b1 = bytes[i + 1]!;
    if (b0 === 0xf0 && b1 < 0x90) return 0; // overlong
    if (b0 === 0xf4 && b1 >= 0x90) return 0; // beyond U+10FFFF
    return 4;
  }
  return 0;
}

const isHexDigit = (byte: number | undefined) => byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66));

/**
 * The wire form of a name or path given as bytes (what `readdirSync(dir, { encoding: 'buffer' })` gives).
 * @example encodeWirePath(Buffer.from([0x65, 0x76, 0x69, 0x6c, 0xff])) // 'evil\\xff'
 */
export function encodeWirePath(bytes: Uint8Array): string {
  // Fast path: printable ASCII without a backslash, the overwhelming majority of names.
  let plain = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b >= 0x7f || b === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0x5c) {
      out += bytes[i + 1] === 0x78 && isHexDigit(bytes[i + 2]) && isHexDigit(bytes[i + 3]) ? hex(b) : '\\';
      i += 1;
      continue;
    }
    const n = utf8Length(bytes, i);
    if (n === 0 || b < 0x20 || b === 0x7f || (n === 2 && b === 0xc2 && bytes[i + 1]! <= 0x9f)) {
      // Invalid, or a control character: every byte of it escaped.
      const width = n === 0 ? 1 : n;
      for (let k = 0; k < width; k++) out += hex(bytes[i + k]!);
      i += width;
      continue;
    }
    out += Buffer.from(bytes.buffer, bytes.byteOffset + i, n).toString('utf8');
    i += n;
  }
  return out;
}

/** The bytes a wire path stands for: `\xHH` escapes decoded, everything else as UTF-8. */
export function decodeWirePath(text: string): Buffer {
  if (!text.includes('\\x')) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  const escape = /\\x([0-9a-f]{2})/g;
  for (let match = escape.exec(text); match; match = escape.exec(text)) {
    parts.push(Buffer.from(text.slice(start, match.index), 'utf8'), Buffer.from([parseInt(match[1]!, 16)]));
    start = match.index + 4;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** The wire form of a name Node already decoded as a string (valid UTF-8 names only: a fast path for the walk). */
export function encodeWireName(name: string): string {
  return /[\u0000-\u001f\u007f-\u009f\\]/.test(name) ? encodeWirePath(Buffer.from(name, 'utf8')) : name;
}

/**
 * Why `path` is not an acceptable wire path, or null when it is: absolute (`/` or a drive letter), no
 * raw control character, no empty, `.` or `..` segment (which could climb out of a target).
 */
export function wirePathProblem(path: string): string | null {
  if (CONTROL_CHARACTER.test(path)) return 'contains a raw control character (escape it as \\xHH)';
  const windows = /^[A-Za-z]:[\\/]/.test(path);
  if (!windows && !path.startsWith('/')) return 'is not absolute';
  const rest = windows ? path.slice(3) : path.slice(1);
  if (rest === '') return null; // a root
  for (const segment of rest.split(windows ? /[\\/]/ : '/')) {
    if (segment === '') return 'has an empty segment';
    if (segment === '.' || segment === '..') return 'has a . or .. segment';
  }
  return null;
}
