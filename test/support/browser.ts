// Headless Chromium for the browser tests, with nothing installed beside `npm ci`: the Chromium build
// that the npm package @sparticuz/chromium ships (with the shared libraries and fonts it needs),
// unpacked once per version into the temporary folder and driven by playwright-core.
// CHROMIUM_PATH, when set, names another Chromium to drive instead (Debian's /usr/bin/chromium, say).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';

/** Flags for a headless run in a container or as root; nothing that weakens the page's security. */
const FLAGS = [
  '--no-sandbox',
  '--no-zygote',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--font-render-hinting=none',
];

interface BrowserBinary {
  readonly executablePath: string;
  /** Extra environment of the browser process (where its libraries and fonts are). */
  readonly env: Record<string, string>;
}

const run = promisify(execFile);

/**
 * Unpacks the packaged Chromium into `<tmp>/agent-kpi-chromium-<version>` unless a previous run did.
 * The package unpacks into `os.tmpdir()`, so a child process does it with TMPDIR pointing at a
 * private staging folder, which is then renamed into place: test files that start at the same time
 * never see a half-written browser, and a Chromium left in /tmp by another tool is never picked up.
 */
async function packagedChromium(): Promise<BrowserBinary> {
  // The package exports its entry point only (build/index.js); its root is two folders up.
  const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))), '..');
  const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(tmpdir(), `agent-kpi-chromium-${version}`);
  const complete = path.join(dir, '.complete');
  if (!existsSync(complete)) {
    const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
    mkdirSync(staging, { recursive: true });
    try {
      const bin = path.join(packageRoot, 'bin');
      // chromium.br, fonts.tar.br and swiftshader.tar.br through executablePath(); the NSS and expat
      // libraries (al2023.tar.br) are unpacked there only on Lambda, so they are asked for here too.
      const script = `
        import Chromium, { inflate } from '@sparticuz/chromium';
        await Chromium.executablePath(${JSON.stringify(bin)});
        await inflate(${JSON.stringify(path.join(bin, 'al2023.tar.br'))});`;
      await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, TMPDIR: staging },
        cwd: packageRoot,
      });
      // The package's fonts.conf names Lambda's folders; this one names the unpacked fonts.
      writeFileSync(
        path.join(staging, 'fonts.conf'),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${dir}/fonts</dir>\n  <cachedir>${dir}/fonts-cache</cachedir>\n</fontconfig>\n`,
      );
      writeFileSync(path.join(staging, '.complete'), `${version}\n`);
      try {
        renameSync(staging, dir);
      } catch (error) {
        // Another test file finished first: its copy is as good as this one.
        if (!existsSync(complete)) throw error;
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return {
    executablePath: path.join(dir, 'chromium'),
    env: {
      LD_LIBRARY_PATH: [path.join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_FILE: path.join(dir, 'fonts.conf'),
    },
  };
}

/** The Chromium the tests drive: `CHROMIUM_PATH` when set, else the one shipped by npm. */
export async function browserBinary(): Promise<BrowserBinary> {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    if (!existsSync(override)) throw new Error(`CHROMIUM_PATH is ${override}, which does not exist`);
    return { executablePath: override, env: {} };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The Chromium shipped by npm (@sparticuz/chromium) is a Linux x64 build; on ${process.platform} ${process.arch}, set CHROMIUM_PATH to a Chromium or Chrome executable`,
    );
  }
  return packagedChromium();
}

export async function launchBrowser(): Promise<Browser> {
  const binary = await browserBinary();
  return chromium.launch({
    executablePath: binary.executablePath,
    args: FLAGS,
    env: { ...process.env, ...binary.env },
  });
}
