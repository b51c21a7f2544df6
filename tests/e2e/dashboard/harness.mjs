// Shared by the dashboard's browser test and its benchmark (bench/dashboard): command-line
// arguments, Debian's headless Chromium through playwright-core (never a downloaded browser), and
// `glasslab run --serve` / `glasslab serve` started as child processes.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

/// "--name value" pairs into an object.
export function parseArgs(argv, required) {
  const args = {};
  for (let i = 0; i < argv.length; ++i) if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
  for (const name of required) if (!args[name]) throw new Error(`--${name} is required`);
  return args;
}

/// Chromium with the flags this closed network needs (no background connections) and a fresh profile.
export async function launchChromium(npmDir, profileDir, chromiumPath = '/usr/bin/chromium') {
  if (!fs.existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: scripts/setup-deps.sh installs Debian's chromium (nothing here skips)`);
  const require = createRequire(path.join(npmDir, 'package.json'));
  const { chromium } = require('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1300 },
  });
}

/// Starts a glasslab command; resolves `ready` once `pattern` matches its stderr (or stdout).
export function startGlasslab(binary, argv, pattern, timeoutMs = 30000) {
  const child = spawn(binary, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p = { child, stderr: '', stdout: '', exit: null };
  p.exited = new Promise((resolve) => child.on('exit', (code) => { p.exit = code ?? 128; resolve(p.exit); }));
  p.ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`'${pattern}' not seen within ${timeoutMs} ms:\n${p.stderr}`)), timeoutMs);
    const look = () => {
      const m = pattern.exec(p.stderr + p.stdout);
      if (m) { clearTimeout(timer); resolve(m); }
    };
    child.stderr.on('data', (d) => { p.stderr += d; look(); });
    child.stdout.on('data', (d) => { p.stdout += d; look(); });
    child.on('exit', () => reject(new Error(`${path.basename(binary)} ${argv[0]} exited early:\n${p.stderr}`)));
  });
  p.stop = async () => { if (p.exit === null) { child.kill('SIGTERM'); await p.exited; } };
  return p;
}

/// `glasslab run SCHEDULE --sim --serve`: resolves { url, run, token } when the run has begun.
export function startServedRun(binary, schedule, db, speed) {
  // `run` prints the token line before the dashboard line.
  const p = startGlasslab(binary, ['run', schedule, '--sim', '--speed', String(speed), '--db', db, '--serve', '--port', '0',
    '--no-keys'], /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)#run=(\d+)/);
  p.started = p.ready.then((m) => ({ url: m[1], run: Number(m[2]), token: /control token: ([0-9a-f]{32})/.exec(p.stderr)[1] }));
  return p;
}

export async function waitFor(page, description, predicate, arg, timeout = 15000) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`timed out waiting for ${description}`);
  }
}

export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, median_ms: Math.round(at(0.5)), p95_ms: Math.round(at(0.95)), max_ms: Math.round(sorted[sorted.length - 1]) };
}
