/**
 * Secret masking for log output: field names that look sensitive, and secret-shaped text (JWTs,
 * bearer tokens, `name=value` pairs) inside any string.
 *
 * Guarantees: nothing here throws, whatever it is given (throwing getters, cycles, errors); the
 * result of `maskValue` is plain data that `JSON.stringify` accepts on Node and on Espruino;
 * masking is idempotent. Where a rule is unsure it masks: a log line with one `***` too many
 * costs a little readability, one too few leaks a credential into a log that outlives it.
 *
 * Espruino's regex engine is small and quirky (measured on 2v29: `\S`, `\b`, lazy quantifiers,
 * `(?:…)` and alternation inside a group misbehave, and a negated class can match past the end
 * of the string), so the only regex here uses literal text and positive classes; the other
 * rules are scanned by hand, which also keeps them allocation-free on strings with no secret.
 * Its `indexOf` has a false hit at the end of the string too: see `contains`.
 */

/** Field names masked when the caller names none: the words secrets travel under. */
export const DEFAULT_MASKED_FIELDS: readonly string[] = [
  "token",
  "password",
  "secret",
  "key",
  "authorization",
];

/** What a masked value becomes. */
export const MASK = "***";

/** Containers nested deeper than this are not copied: log fields are meant to be shallow. */
const MAX_DEPTH = 8;

const CIRCULAR = "[circular]";
const TOO_DEEP = "[too deep]";
const UNREADABLE = "[unreadable]";

/**
 * Fields at least this long also mask any name that merely contains them once separators are
 * dropped (`passwordhash`, `userTokenValue`). Shorter ones would catch ordinary words that
 * happen to contain them (`keyboard`, `keypad`), so they match only at the end of a word.
 */
const CONTAINS_MIN_LENGTH = 5;

/**
 * Three base64(url) segments, the first starting with `eyJ` (`{"` encoded). `+`, `/` and `=` are
 * accepted too, so a token encoded with the standard alphabet or padding is masked as well.
 * The `/` inside the classes is escaped because Espruino's lexer ends a regex literal at the
 * first unescaped `/`, even inside a class (2v29: the whole script then fails to parse).
 */
// biome-ignore lint/complexity/noUselessEscapeInRegex: required by Espruino's lexer, see above.
const JWT = /eyJ[A-Za-z0-9_=+\/-]*\.[A-Za-z0-9_=+\/-]+\.[A-Za-z0-9_=+\/-]*/g;

const TAB = 9;
const LF = 10;
const VT = 11;
const FF = 12;
const CR = 13;
const SPACE = 32;
const DOUBLE_QUOTE = 34;
const AMPERSAND = 38;
const SINGLE_QUOTE = 39;
const COMMA = 44;
const HYPHEN = 45;
const DOT = 46;
const COLON = 58;
const SEMICOLON = 59;
const EQUALS = 61;
const LEFT_BRACKET = 91;
const BACKSLASH = 92;
const RIGHT_BRACKET = 93;
const UNDERSCORE = 95;
const LEFT_BRACE = 123;
const RIGHT_BRACE = 125;

const OTHER = 0;
const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;

/**
 * Whether a field (or property, header, parameter) name looks like it holds a secret.
 *
 * The name is split into words at camelCase and PascalCase humps (`HTTPAuth` → `HTTP`, `Auth`),
 * at letter/digit boundaries and at every other character (`_`, `-`, `.`, spaces). It is masked
 * when, for some listed field, compared case-insensitively:
 * - a word is the field, ends with it (`apikey`, `accesstoken`), or is its plural (`tokens`);
 * - the whole name without separators ends with the field or its plural (`passWord`);
 * - for fields of 5 or more letters, the name without separators contains it (`passwordhash`).
 *
 * `keys` is masked, like every other plural: a list of keys may be a list of API keys, and a
 * name cannot tell which. Code that logs the names of changed settings should call that field
 * `changed` or `settings`, not `keys`. The end-of-word rule also masks `monkey` or `hockey`;
 * firmware logs rarely carry those, and over-masking is the safe side.
 */
export function isMaskedName(name: string, fields: readonly string[]): boolean {
  if (typeof name !== "string" || name.length === 0) return false;
  const patterns = loweredFields(fields);
  if (patterns.words.length === 0) return false;
  let flat = "";
  let wordStart = -1;
  let previous = OTHER;
  for (let i = 0; i <= name.length; i++) {
    const kind = i < name.length ? charKind(name.charCodeAt(i)) : OTHER;
    if (wordStart >= 0 && (kind === OTHER || startsWord(name, i, previous, kind))) {
      const word = name.slice(wordStart, i).toLowerCase();
      if (endsWithAny(word, patterns)) return true;
      flat += word;
      wordStart = -1;
    }
    if (kind !== OTHER && wordStart < 0) wordStart = i;
    previous = kind;
  }
  return endsWithAny(flat, patterns) || containsLong(flat, patterns.words);
}

/**
 * A copy of `value` fit to log: every property whose name `isMaskedName` accepts has its whole
 * value (whatever it is) replaced by `MASK`, at any depth, through objects and arrays; every
 * string, property names included, goes through `maskText`.
 *
 * It follows JSON where JSON has an answer (functions, symbols and `undefined` are dropped from
 * objects and become `null` in arrays; `toJSON` is honoured, so a Date becomes its ISO string)
 * and answers where JSON would throw or loop: a cycle becomes "[circular]", a container nested
 * deeper than 8 "[too deep]", a property whose getter throws "[unreadable]", a BigInt its
 * decimal string. An Error becomes `{ name, message }`: its stack would only add noise, and its
 * other own properties differ between Node and Espruino. A `__proto__` key is dropped: writing
 * it would replace the copy's prototype (on Espruino too) instead of adding a field.
 */
export function maskValue(value: unknown, fields: readonly string[]): unknown {
  try {
    return copy(value, fields, [], 0);
  } catch {
    return UNREADABLE;
  }
}

/**
 * `text` with secrets replaced by `MASK`:
 * - JWTs (`eyJ…` `.` `…` `.` `…`);
 * - the token after `Bearer` (any case; the word itself stays, as the scheme helps a reader);
 * - the value of `name=value`, `name: value`, `"name":"value"` (quoted either way, and also
 *   backslash-escaped as in JSON inside a JSON string) when `isMaskedName(name)`. An unquoted
 *   value ends at whitespace, `,`, `&`, `;` or a quote; one that opens with `{` or `[` runs to
 *   its matching bracket; a quoted value runs to its closing quote, spaces included, or to the
 *   end of the text when the quote never closes. A leading `Bearer `/`Basic ` scheme is kept.
 */
export function maskText(text: string, fields: readonly string[]): string {
  if (typeof text !== "string") return "";
  let out = text;
  if (contains(out, "eyJ")) out = out.replace(JWT, MASK);
  out = maskBearerTokens(out);
  if (out.indexOf("=") >= 0 || out.indexOf(":") >= 0) out = maskPairs(out, fields);
  return out;
}

interface FieldPatterns {
  words: string[];
  plurals: string[];
}

/** One entry cache: callers pass the same configured list on every call. */
let cachedFields: readonly string[] | undefined;
let cachedPatterns: FieldPatterns = { words: [], plurals: [] };

function loweredFields(fields: readonly string[]): FieldPatterns {
  if (fields === cachedFields) return cachedPatterns;
  const words: string[] = [];
  const plurals: string[] = [];
  const count = fields && typeof fields.length === "number" ? fields.length : 0;
  for (let i = 0; i < count; i++) {
    const field = fields[i];
    // An empty field would end every word and mask everything; it can only be a config slip.
    if (typeof field !== "string" || field.length === 0) continue;
    const lower = field.toLowerCase();
    words.push(lower);
    plurals.push(`${lower}s`);
  }
  cachedFields = fields;
  cachedPatterns = { words, plurals };
  return cachedPatterns;
}

function charKind(code: number): number {
  if (code >= 97 && code <= 122) return LOWER;
  if (code >= 65 && code <= 90) return UPPER;
  if (code >= 48 && code <= 57) return DIGIT;
  // Letters outside ASCII carry no case boundary we can see cheaply: keep them inside the word.
  return code > 127 ? LOWER : OTHER;
}

/** Whether the character at `i` (of kind `kind`) begins a new word inside a run of letters. */
function startsWord(name: string, i: number, previous: number, kind: number): boolean {
  if ((previous === DIGIT) !== (kind === DIGIT)) return true;
  if (previous === LOWER && kind === UPPER) return true;
  // The last capital of a run begins the next word when a lowercase letter follows: HTTPAuth.
  return (
    previous === UPPER &&
    kind === UPPER &&
    i + 1 < name.length &&
    charKind(name.charCodeAt(i + 1)) === LOWER
  );
}

function endsWithAny(word: string, patterns: FieldPatterns): boolean {
  for (let i = 0; i < patterns.words.length; i++) {
    if (word.endsWith(patterns.words[i]) || word.endsWith(patterns.plurals[i])) return true;
  }
  return false;
}

function containsLong(flat: string, words: string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    if (words[i].length >= CONTAINS_MIN_LENGTH && contains(flat, words[i])) return true;
  }
  return false;
}

/**
 * `text.includes(part)`, correct on Espruino: 2v29's `indexOf` and `includes` report a needle
 * whose beginning matches the end of the text (`"fieldts".indexOf("secrets")` is 6). Such a
 * false hit is the first position where the text runs out, so no real match can follow it.
 */
function contains(text: string, part: string): boolean {
  const at = text.indexOf(part);
  return at >= 0 && at + part.length <= text.length;
}

function copy(value: unknown, fields: readonly string[], path: object[], depth: number): unknown {
  switch (typeof value) {
    case "string":
      return maskText(value, fields);
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return String(value);
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  const container = value as object;
  if (path.indexOf(container) >= 0) return CIRCULAR;
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (isError(container)) return errorShape(container, fields);
  path.push(container);
  let result: unknown;
  try {
    result = copyContainer(container, fields, path, depth);
  } catch {
    result = UNREADABLE;
  }
  path.pop();
  return result;
}

function copyContainer(
  value: object,
  fields: readonly string[],
  path: object[],
  depth: number,
): unknown {
  const toJSON = readProperty(value, "toJSON");
  if (typeof toJSON === "function") {
    // The container stays on the path: a toJSON that returns its own object is a cycle.
    return copy(toJSON.call(value), fields, path, depth);
  }
  if (Array.isArray(value)) return copyArray(value, fields, path, depth);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === "__proto__") continue;
    const name = maskText(key, fields);
    if (isMaskedName(key, fields)) {
      // The value is never read: a masked getter is not even run.
      out[name] = MASK;
      continue;
    }
    const item = copy(readProperty(value, key), fields, path, depth + 1);
    if (item !== undefined) out[name] = item;
  }
  return out;
}

function copyArray(
  value: unknown[],
  fields: readonly string[],
  path: object[],
  depth: number,
): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < value.length; i++) {
    const item = copy(readProperty(value, i), fields, path, depth + 1);
    out.push(item === undefined ? null : item);
  }
  return out;
}

/** A property's value, or "[unreadable]" when its getter throws. */
function readProperty(value: object, key: string | number): unknown {
  try {
    return (value as Record<string | number, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

/** Espruino's TypeError, SyntaxError and ReferenceError do not inherit from Error (2v29). */
function isError(value: object): boolean {
  return (
    value instanceof Error ||
    value instanceof TypeError ||
    value instanceof SyntaxError ||
    value instanceof ReferenceError
  );
}

function errorShape(error: object, fields: readonly string[]): { name: string; message: string } {
  // Espruino leaves `name` null on built-in errors and says which one in `type`.
  const name = readProperty(error, "name");
  const type = readProperty(error, "type");
  const message = readProperty(error, "message");
  return {
    name: maskText(
      typeof name === "string" ? name : typeof type === "string" ? type : "Error",
      fields,
    ),
    message: typeof message === "string" ? maskText(message, fields) : "",
  };
}

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB || code === LF || code === CR || code === VT || code === FF;
}

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

function isQuote(code: number): boolean {
  return code === DOUBLE_QUOTE || code === SINGLE_QUOTE;
}

function isNameChar(code: number): boolean {
  return charKind(code) !== OTHER || code === UNDERSCORE || code === HYPHEN || code === DOT;
}

function isValueStop(code: number): boolean {
  return (
    isWhitespace(code) ||
    code === COMMA ||
    code === AMPERSAND ||
    code === SEMICOLON ||
    isQuote(code)
  );
}

/** Whether `text` holds `lowerWord` at `at`, ignoring ASCII case. */
function matchesAt(text: string, at: number, lowerWord: string): boolean {
  if (at + lowerWord.length > text.length) return false;
  for (let i = 0; i < lowerWord.length; i++) {
    let code = text.charCodeAt(at + i);
    if (code >= 65 && code <= 90) code += 32;
    if (code !== lowerWord.charCodeAt(i)) return false;
  }
  return true;
}

function indexOfIgnoringCase(text: string, lowerWord: string, from: number): number {
  for (let i = from; i + lowerWord.length <= text.length; i++) {
    if (matchesAt(text, i, lowerWord)) return i;
  }
  return -1;
}

/** Past the blanks at `at`. */
function skipBlanks(text: string, at: number): number {
  let i = at;
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  return i;
}

/** Past a run of non-whitespace at `at`. */
function skipToken(text: string, at: number): number {
  let i = at;
  while (i < text.length && !isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

function maskBearerTokens(text: string): string {
  let found = indexOfIgnoringCase(text, "bearer", 0);
  if (found < 0) return text;
  let out = "";
  let copied = 0;
  while (found >= 0) {
    const tokenStart = skipBlanks(text, found + 6);
    let next = found + 6;
    if (tokenStart > next) {
      const tokenEnd = skipToken(text, tokenStart);
      if (tokenEnd > tokenStart) {
        out += text.slice(copied, tokenStart) + MASK;
        copied = tokenEnd;
      }
      next = tokenEnd;
    }
    found = indexOfIgnoringCase(text, "bearer", next);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Past an auth scheme (`Bearer `, `Basic `) at `at`, or `at` when there is none. */
function skipScheme(text: string, at: number): number {
  const length = matchesAt(text, at, "bearer") ? 6 : matchesAt(text, at, "basic") ? 5 : 0;
  if (length === 0) return at;
  const after = skipBlanks(text, at + length);
  return after > at + length ? after : at;
}

/**
 * Whether the name before the separator at `sep` (past blanks and an optional, possibly escaped,
 * quote) is masked. It never reaches below `floor`, the end of the last masked value.
 */
function maskedNameBefore(
  text: string,
  sep: number,
  floor: number,
  fields: readonly string[],
): boolean {
  let j = sep - 1;
  while (j >= floor && isBlank(text.charCodeAt(j))) j--;
  if (j >= floor && isQuote(text.charCodeAt(j))) {
    j--;
    if (j >= floor && text.charCodeAt(j) === BACKSLASH) j--;
  }
  const nameEnd = j + 1;
  while (j >= floor && isNameChar(text.charCodeAt(j))) j--;
  return nameEnd > j + 1 && isMaskedName(text.slice(j + 1, nameEnd), fields);
}

/** The end of a quoted value whose content starts at `at`: its closing quote, or the text's end. */
function quotedEnd(text: string, at: number, quote: number, escaped: boolean): number {
  for (let i = at; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (escaped) {
      if (code === BACKSLASH && text.charCodeAt(i + 1) === quote) return i;
    } else if (code === BACKSLASH) {
      i++;
    } else if (code === quote) {
      return i;
    }
  }
  return text.length;
}

/** Past the bracket that closes the one at `at` (strings inside skipped), or the text's end. */
function bracketEnd(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === DOUBLE_QUOTE) {
      i = quotedEnd(text, i + 1, DOUBLE_QUOTE, false);
    } else if (code === LEFT_BRACE || code === LEFT_BRACKET) {
      depth++;
    } else if (code === RIGHT_BRACE || code === RIGHT_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

function unquotedEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === LEFT_BRACE || first === LEFT_BRACKET) return bracketEnd(text, at);
  let i = at;
  while (i < text.length && !isValueStop(text.charCodeAt(i))) i++;
  return i;
}

function maskPairs(text: string, fields: readonly string[]): string {
  let out = "";
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== COLON && code !== EQUALS) continue;
    if (!maskedNameBefore(text, i, copied, fields)) continue;
    let start = skipBlanks(text, i + 1);
    let quote = 0;
    let escaped = false;
    if (text.charCodeAt(start) === BACKSLASH && isQuote(text.charCodeAt(start + 1))) {
      escaped = true;
      quote = text.charCodeAt(start + 1);
      start += 2;
    } else if (isQuote(text.charCodeAt(start))) {
      quote = text.charCodeAt(start);
      start++;
    }
    start = skipScheme(text, start);
    const end = quote === 0 ? unquotedEnd(text, start) : quotedEnd(text, start, quote, escaped);
    if (end > start) {
      out += text.slice(copied, start) + MASK;
      copied = end;
      i = end - 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
