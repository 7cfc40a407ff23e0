/**
 * Regular expressions as picomatch globs, where a glob can say the same thing. AIDE writes its paths
 * as regular expressions (`/etc/ssh/ssh_host_.*_key$`); Driftwatch targets and excludes are globs.
 * The common idioms translate exactly:
 *
 * | regex | glob |
 * |---|---|
 * | `\.`, `\-`, `\ ` (escaped literal) | the character (glob-special ones escaped) |
 * | `.` / `.*` / `.+` | `?` / `*` / `?*` |
 * | `[a-z]`, `[^/]`, `\d`, `\w` | `[a-z]`, `[!/]`, `[0-9]`, `[A-Za-z0-9_]` |
 * | `x?`, `x*`, `x+` (x one character, class or group) | `?(x)`, `*(x)`, `+(x)` (extglobs) |
 * | `(a|b)` | `@(a|b)` |
 * | leading `^`, trailing `$` | reported as anchors |
 *
 * Anything else (counted repetition `{2,3}`, `\s`, look-around, back-references, `|` outside a group,
 * `^`/`$` in the middle) has no faithful glob and gives a `problem` instead. One approximation is
 * documented rather than hidden: `.*` becomes `*`, which stops at `/` while the regex does not.
 */

export interface RegexAsGlob {
  glob: string;
  /** The regex began with `^`. */
  anchoredStart: boolean;
  /** The regex ended with `$`: it matches whole paths, not only their beginning. */
  anchoredEnd: boolean;
}

export type RegexConversion = RegexAsGlob | { problem: string };

class Untranslatable extends Error {}

const GLOB_SPECIAL = new Set(['*', '?', '[', ']', '{', '}', '(', ')', '|', '\\', '!', '+', '@']);
const literal = (ch: string): string => (GLOB_SPECIAL.has(ch) ? `\\${ch}` : ch);

/** One item of a sequence, before its quantifier is known. */
interface Atom {
  /** As it stands alone in the glob. */
  glob: string;
  /** As it stands inside an extglob's parentheses. */
  inner: string;
  /** The regex `.` (any one character). */
  anyChar: boolean;
}

class Converter {
  private i = 0;
  anchoredStart = false;
  anchoredEnd = false;

  constructor(private readonly src: string) {}

  convert(): string {
    if (this.src.startsWith('^')) {
      this.anchoredStart = true;
      this.i = 1;
    }
    const alternatives = this.alternatives(false);
    if (alternatives.length > 1) throw new Untranslatable('an alternation (|) outside a group has no glob equivalent');
    return alternatives[0]!;
  }

  private alternatives(inGroup: boolean): string[] {
    const found = [this.sequence(inGroup)];
    while (this.src[this.i] === '|') {
      this.i++;
      found.push(this.sequence(inGroup));
    }
    return found;
  }

  private sequence(inGroup: boolean): string {
    let out = '';
    while (this.i < this.src.length) {
      const ch = this.src[this.i]!;
      if (ch === '|') break;
      if (ch === ')') {
        if (!inGroup) throw new Untranslatable('unbalanced )');
        break;
      }
      if (ch === '$') {
        if (this.i === this.src.length - 1 && !inGroup) {
          this.anchoredEnd = true;
          this.i++;
          continue;
        }
        throw new Untranslatable('$ before the end of the expression');
      }
      if (ch === '^') throw new Untranslatable('^ after the start of the expression');
      if ('*+?{'.includes(ch)) throw new Untranslatable(`${ch} repeats nothing`);
      const atom = this.atom();
      out += this.quantified(atom);
    }
    return out;
  }

  private atom(): Atom {
    const ch = this.src[this.i]!;
    if (ch === '.') {
      this.i++;
      return { glob: '?', inner: '?', anyChar: true };
    }
    if (ch === '\\') return this.escape();
    if (ch === '[') return this.charClass();
    if (ch === '(') {
      this.i++;
      if (this.src.startsWith('?:', this.i)) this.i += 2;
      else if (this.src[this.i] === '?') throw new Untranslatable('look-around and named groups have no glob equivalent');
      const alternatives = this.alternatives(true);
      if (this.src[this.i] !== ')') throw new Untranslatable('unbalanced (');
      this.i++;
      const inner = alternatives.join('|');
      return { glob: alternatives.length === 1 ? inner : `@(${inner})`, inner, anyChar: false };
    }
    this.i++;
    return { glob: literal(ch), inner: literal(ch), anyChar: false };
  }

  private escape(): Atom {
    const next = this.src[this.i + 1];
    if (next === undefined) throw new Untranslatable('a trailing backslash');
    this.i += 2;
    if (next === 'd') return { glob: '[0-9]', inner: '[0-9]', anyChar: false };
    if (next === 'w') return { glob: '[A-Za-z0-9_]', inner: '[A-Za-z0-9_]', anyChar: false };
    if (/[A-Za-z0-9]/.test(next)) throw new Untranslatable(`\\${next} has no glob equivalent`);
    return { glob: literal(next), inner: literal(next), anyChar: false };
  }

  private charClass(): Atom {
    let j = this.i + 1;
    let body = '';
    if (this.src[j] === '^') {
      body += '!';
      j++;
    }
    if (this.src[j] === ']') {
      body += '\\]';
      j++;
    }
    for (; j < this.src.length && this.src[j] !== ']'; j++) {
      const ch = this.src[j]!;
      if (ch === '[' && this.src[j + 1] === ':') throw new Untranslatable('POSIX classes ([:alpha:]) are not translated');
      if (ch === '\\') {
        const next = this.src[j + 1];
        if (next === undefined) break;
        j++;
        if (next === 'd') body += '0-9';
        else if (next === 'w') body += 'A-Za-z0-9_';
        else if (/[A-Za-z0-9]/.test(next)) throw new Untranslatable(`\\${next} has no glob equivalent`);
        else body += next === ']' || next === '\\' ? `\\${next}` : next;
        continue;
      }
      body += ch;
    }
    if (j >= this.src.length) throw new Untranslatable('unbalanced [');
    this.i = j + 1;
    return { glob: `[${body}]`, inner: `[${body}]`, anyChar: false };
  }

  private quantified(atom: Atom): string {
    const q = this.src[this.i];
    if (q === '{') throw new Untranslatable('counted repetition ({n,m}) has no glob equivalent');
    if (q !== '*' && q !== '+' && q !== '?') return atom.glob;
    this.i++;
    if (this.src[this.i] === '?') this.i++; // lazy: the same set of matches
    // `[^/]*` is what a glob's `*` means anyway.
    if (atom.anyChar || atom.glob === '[!/]') {
      if (q === '*') return '*';
      if (q === '+') return '?*';
      throw new Untranslatable(`${atom.anyChar ? '.' : '[^/]'}? has no glob equivalent`);
    }
    return `${q === '*' ? '*' : q === '+' ? '+' : '?'}(${atom.inner})`;
  }
}

/**
 * The glob that matches what `regex` matches, with its anchors, or the reason there is none.
 * @example regexToGlob('/etc/ssh/ssh_host_.*_key$') // { glob: '/etc/ssh/ssh_host_*_key', anchoredStart: false, anchoredEnd: true }
 */
export function regexToGlob(regex: string): RegexConversion {
  const converter = new Converter(regex);
  try {
    const glob = converter.convert();
    return { glob, anchoredStart: converter.anchoredStart, anchoredEnd: converter.anchoredEnd };
  } catch (error) {
    if (error instanceof Untranslatable) return { problem: error.message };
    throw error;
  }
}

/** Whether a converted glob still holds wildcard syntax (an unescaped glob character). */
export function globHasWildcard(glob: string): boolean {
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '\\') {
      i++;
      continue;
    }
    if ('*?[]{}()|!+@'.includes(ch)) return true;
  }
  return false;
}

/** A glob with its escapes removed: the literal text it matches (only meaningful when it has no wildcard). */
export function unescapeGlob(glob: string): string {
  return glob.replace(/\\(.)/g, '$1');
}
