/**
 * The firmware as a board stores it: pretokenised, as the Espruino IDE uploads code to Storage.
 * Every reserved word and multi-character operator becomes the one byte the interpreter's lexer
 * uses for it (`function` is 0x91, `===` 0x8B), every string literal a length-prefixed run of raw
 * bytes, every small integer one to three bytes. The lexer reads these bytes wherever it finds
 * them (`jslex.c`; its token numbering is frozen for exactly this use), so the program runs as
 * the text would: the reference trace and the budget run of `test:espruino` run this form.
 *
 * Why it matters on a board: the firmware is about a sixth smaller in Storage, which a board that
 * keeps two slots for updates must hold twice; and a string literal longer than a JsVar's few
 * characters is no longer copied into RAM when evaluated: the lexer hands out a string that points
 * into the code in flash.
 *
 * The tokeniser is the Espruino IDE's own (`espruino` package, `plugins/pretokenise.js`, run in a
 * sandbox with the acorn it was written against), with every option on, as for 2v25.396 and
 * later (integers too); the boards' profiles name 2v29. The result is a binary string: one
 * character per byte.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { runInNewContext } from "node:vm";

export interface Pretokeniser {
  tokenise(code: string): string;
  untokenise(bytes: string): string;
}

interface Acorn {
  tokenizer(
    code: string,
    options: { ecmaVersion: number },
  ): Iterable<{
    type: { label: string };
    value: unknown;
    start: number;
    end: number;
  }>;
}

/** The longest string literal a pretokenised program can hold: its length is two bytes. */
const LONGEST_STRING = 65535;

const requireCjs = createRequire(import.meta.url);
const pluginFile = requireCjs.resolve("espruino/plugins/pretokenise.js");
const acorn = createRequire(pluginFile)("acorn") as Acorn;
let loaded: Pretokeniser | null = null;

/** espruino-cli's pretokeniser, loaded once into a sandbox that holds only what it reads. */
export function pretokeniser(): Pretokeniser {
  if (loaded) return loaded;
  const Espruino = {
    Plugins: {} as { Pretokenise?: Pretokeniser },
    // `2` is "always tokenise everything": strings and integers as well as words.
    Config: { PRETOKENISE: 2 },
    Core: {
      Env: { getBoardData: () => ({}) },
      Config: { add() {} },
      // What the tokeniser calls for `atob("...")` literals and the untokeniser for strings.
      Utils: {
        atob: (text: string) => Buffer.from(text, "base64").toString("latin1"),
        toJSONishString: (text: string) => JSON.stringify(text),
      },
    },
    addProcessor() {},
  };
  runInNewContext(readFileSync(pluginFile, "utf8"), { acorn, Espruino, console });
  const plugin = Espruino.Plugins.Pretokenise;
  if (!plugin) throw new Error(`${pluginFile} did not register its pretokeniser`);
  loaded = plugin;
  return plugin;
}

/** `code`, a program the gate has passed, as the bytes a board stores. */
export function pretokenise(code: string): string {
  let previous = "";
  for (const token of acorn.tokenizer(code, { ecmaVersion: 2020 })) {
    // The IDE's tokeniser drops a longer literal without a word.
    if (token.type.label === "string" && (token.value as string).length > LONGEST_STRING) {
      throw new Error(`pretokenise: a string literal at ${token.start} is 64 KB or more`);
    }
    // It also drops the space in `a - -b`, which the lexer would then read as `a-- b`.
    const text = code.slice(token.start, token.end);
    const sign = text[0];
    if ((sign === "-" || sign === "+") && previous.endsWith(sign)) {
      throw new Error(
        `pretokenise: "${previous} ${text}" at ${token.start} would be stored as "${previous}${text}": write ${sign}(${sign}…)`,
      );
    }
    previous = /^[-+]+$/.test(text) ? text : "";
  }
  const bytes = pretokeniser().tokenise(code);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes.charCodeAt(i) > 0xff) {
      throw new Error(`pretokenise: a character above 0xFF at ${i}: the firmware must be bytes`);
    }
  }
  return bytes;
}
