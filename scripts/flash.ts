/**
 * `npm run flash -- --port <serial port | tcp://host:port> --board <profile> --device <file>`
 * (`--managers a,b` to override the device file's list, `--firmware <file>` for another build,
 * `--timeout <s>` for a slow link).
 *
 * Builds if the bundles are missing or older than the sources, checks that the firmware and the
 * managers fit the board profile (before connecting), then, through espruino-cli, writes:
 * 1. nothing bootable first: `.boot0`, `.bootcde`, both slots and their markers are erased, so
 *    a flash cut short leaves a board at its prompt, never a half-written firmware that boots;
 * 2. the provisioning files from the device file, each read back on the board (length and
 *    `E.CRC32`) and compared with what was sent;
 * 3. the firmware into slot A (`fw.a`), read back the same way, then its marker (`fw.a.m`:
 *    staged, no attempt, not committed; layout in `runtime/bootSlots.ts`);
 * 4. last, the boot stub as `.boot0`, read back: only now does the board boot the firmware.
 * Secrets from the device file are never printed, not even in espruino-cli's output shown when
 * something fails. Exits 1 with one clear line per problem.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { checkFit, loadProfile } from "../board/profiles/profiles.js";
import { MARKER_BYTES, markerFile, markerHeader, slotFile } from "../runtime/bootSlots.js";
import { pretokenise } from "./espruino/pretokenise.js";
import { readDeviceFile } from "./flash/deviceFile.js";
import { chatter, type Link, openLink } from "./flash/espruinoLink.js";

const say = (line: string) => process.stdout.write(`${line}\n`);
let secrets: string[] = [];

function fail(message: string): never {
  process.stderr.write(`flash: ${message}\n`);
  process.exit(1);
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Newest modification time under the folders the bundles are built from. */
function newestSource(dirs: string[]): number {
  let newest = 0;
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".ts")) {
        newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
      }
    }
  }
  return newest;
}

function buildIfNeeded(firmware: string): void {
  const bundles = [firmware, "dist/boot0.js"];
  const sources = newestSource(["managers", "runtime", "board", "scripts/entries"]);
  if (bundles.every((file) => existsSync(file) && statSync(file).mtimeMs >= sources)) return;
  say("flash: building the bundles (npm run build)");
  execFileSync("npm", ["run", "build", "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
}

function mask(text: string): string {
  let masked = text;
  for (const secret of secrets) masked = masked.split(secret).join("***");
  return masked;
}

/** Writes `name` and checks on the board that it holds exactly `bytes`. */
async function writeChecked(link: Link, name: string, bytes: string): Promise<void> {
  await link.upload(name, bytes);
  const expected = crc32(Buffer.from(bytes, "latin1"));
  const found = (await link.evaluate(
    `(function(d){return d===undefined?null:[d.length,E.CRC32(d)]})(require("Storage").read(${JSON.stringify(name)}))`,
  )) as [number, number] | null | undefined;
  if (!found || found[0] !== bytes.length || found[1] !== expected) {
    throw new Error(
      `${name} did not read back as written (wrote ${bytes.length} bytes, CRC ${expected}; read ${found ? `${found[0]} bytes, CRC ${found[1]}` : "nothing"})`,
    );
  }
}

async function main(): Promise<void> {
  const port = option("port");
  const boardName = option("board");
  const devicePath = option("device");
  if (!port || !boardName || !devicePath) {
    fail(
      "usage: npm run flash -- --port <serial port | tcp://host:port> --board <profile> --device <file> [--managers a,b] [--firmware file] [--timeout s]",
    );
  }
  const firmwarePath = option("firmware") ?? "dist/espruino.js";
  const timeoutMs = Number(option("timeout") ?? 10) * 1000;
  const profile = loadProfile(boardName);
  const managersOption = option("managers");
  const provisioning = readDeviceFile(devicePath, profile, managersOption?.split(","));
  secrets = provisioning.secrets;
  if (option("firmware") === undefined) buildIfNeeded(firmwarePath);
  if (!existsSync(firmwarePath)) fail(`${firmwarePath} not found`);
  // Stored as the Espruino IDE stores code: about a sixth smaller, long strings left in flash.
  const firmware = pretokenise(readFileSync(firmwarePath, "latin1"));
  const stub = pretokenise(readFileSync("dist/boot0.js", "latin1"));
  const provisioningBytes = Object.values(provisioning.files).reduce((n, f) => n + f.length, 0);
  const fit = checkFit(profile, {
    firmwareBytes: firmware.length,
    stubBytes: stub.length + MARKER_BYTES,
    provisioningBytes,
    managers: provisioning.managers,
  });
  if (fit.problems.length > 0) {
    fail(
      `refused, nothing written: it does not fit ${profile.title}:\n  ${fit.problems.join("\n  ")}`,
    );
  }
  say(
    `flash: ${profile.title}; managers ${provisioning.managers.join(", ")}: about ${fit.jsVarsNeeded} of ${profile.jsVars} JsVars, ${fit.storageNeeded} of ${profile.storageBytes} bytes of Storage`,
  );
  say(`flash: network: ${profile.network.note}`);

  say(`flash: connecting to ${port}`);
  let lastShown = -1;
  const link = await openLink(port, {
    timeoutMs,
    onProgress: (sent, total) => {
      const percent = Math.floor((sent / total) * 10) * 10;
      if (total > 4096 && percent !== lastShown) {
        lastShown = percent;
        say(`flash:   ${percent}% of ${total} bytes sent`);
      }
    },
  });
  try {
    const env = (await link.evaluate("[process.env.BOARD, process.env.VERSION]")) as
      | string[]
      | undefined;
    say(`flash: connected: ${env ? `${env[0]} ${env[1]}` : "an Espruino"}`);
    if (env && env[0] !== profile.espruinoBoard) {
      say(
        `flash: warning: the board says it is ${env[0]}, the profile expects ${profile.espruinoBoard}`,
      );
    }
    say("flash: erasing the boot files and the firmware slots first (nothing boots until the end)");
    const erase = [
      ".boot0",
      ".bootcde",
      slotFile("a"),
      markerFile("a"),
      slotFile("b"),
      markerFile("b"),
    ];
    await link.evaluate(
      `(function(S){${erase.map((f) => `S.erase(${JSON.stringify(f)});`).join("")}S.compact();return 1})(require("Storage"))`,
    );
    const free = (await link.evaluate('require("Storage").getFree()')) as number | undefined;
    const needed = firmware.length + stub.length + MARKER_BYTES + provisioningBytes;
    if (typeof free === "number" && free < needed) {
      throw new Error(
        `the board's Storage has ${free} bytes free after erasing the old firmware; this needs ${needed}`,
      );
    }
    for (const [name, content] of Object.entries(provisioning.files)) {
      await writeChecked(link, name, content);
      say(`flash: wrote ${name} (${content.length} bytes), read back: same CRC`);
    }
    say(`flash: writing the firmware into slot A (${slotFile("a")}, ${firmware.length} bytes)`);
    await writeChecked(link, slotFile("a"), firmware);
    say(`flash: wrote ${slotFile("a")}, read back: same CRC`);
    const header = markerHeader(1, firmware.length, crc32(Buffer.from(firmware, "latin1")));
    const marker = await link.evaluate(
      `(function(S){S.write(${JSON.stringify(markerFile("a"))},${JSON.stringify(header)},0,${MARKER_BYTES});return S.read(${JSON.stringify(markerFile("a"))})})(require("Storage"))`,
    );
    if (marker !== header + "\xff".repeat(MARKER_BYTES - header.length)) {
      throw new Error(`${markerFile("a")} did not read back as written`);
    }
    say(`flash: wrote ${markerFile("a")}: slot A staged, not yet committed`);
    await writeChecked(link, ".boot0", stub);
    say(`flash: wrote the boot stub .boot0 (${stub.length} bytes), read back: same CRC`);
    say("flash: done: reset the board to boot it (the stub prints which slot it loads)");
  } finally {
    await link.close();
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: Error) => {
    const tail = mask(chatter.join("\n").slice(-1500));
    fail(`${mask(error.message)}${tail ? `\nespruino-cli said (secrets masked):\n${tail}` : ""}`);
  });
