// Debian's chromium for the browser tests (scripts/setup installs it): where it is, and the flags
// every test launches it with. A missing browser is an error, never a skip.
import { existsSync } from 'node:fs';

// The chromium executable: $JIT_CHROMIUM, else Debian's. Throws naming the places looked at.
export function findChromium() {
  const candidates = [process.env.JIT_CHROMIUM, '/usr/bin/chromium', '/usr/lib/chromium/chromium'].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(`chromium not found (looked at ${candidates.join(', ')}): run scripts/setup, which installs `
      + 'Debian\'s chromium package, or set JIT_CHROMIUM');
  }
  return found;
}

// Headless in a container: no sandbox (no user namespaces), no GPU, no /dev/shm limits.
// No name but localhost resolves and no background fetches start: the browser reaches loopback only.
export const kChromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost'];
