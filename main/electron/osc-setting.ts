// The desktop app's OSC setting (docs/design.md, "Control: OSC and MIDI"): where the engine's OSC
// server listens, if anywhere. It comes from the app's command line (`--osc=PORT`,
// `--osc-host=HOST`), else the `osc` entry of settings.json in the app's user-data folder
// (`{"osc": {"port": 9000, "host": "127.0.0.1"}}`; `"osc": null` or no entry: off). Main passes it to
// the engine process as process-entry's `--osc` and `--osc-host`, so a restarted engine listens
// again. Pure functions: main.ts reads the file and the switches and applies what these return.

export interface OscSetting {
  port: number;
  host: string;
}

export const DEFAULT_OSC_HOST = '127.0.0.1';

function port(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

function host(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Za-z0-9.:-]{1,253}$/.test(value) ? value : null;
}

/**
 * The setting from the command line's switches (Electron's app.commandLine values, '' when absent)
 * and the text of settings.json (null when there is none). A switch wins over the file; anything
 * malformed is refused with a reason (the app then starts without OSC and says why on stderr).
 */
export function oscSetting(
  switches: { osc: string; oscHost: string },
  settingsText: string | null,
): { setting: OscSetting | null; problem: string | null } {
  if (switches.osc !== '') {
    const p = port(switches.osc);
    const h = switches.oscHost === '' ? DEFAULT_OSC_HOST : host(switches.oscHost);
    if (p === null) return { setting: null, problem: `--osc=${switches.osc}: not a port (0 to 65535)` };
    if (h === null)
      return { setting: null, problem: `--osc-host=${switches.oscHost}: not a host name or address` };
    return { setting: { port: p, host: h }, problem: null };
  }
  if (settingsText === null) return { setting: null, problem: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(settingsText);
  } catch (err) {
    return { setting: null, problem: `settings.json: not JSON (${(err as Error).message})` };
  }
  const osc = (parsed as { osc?: unknown } | null)?.osc;
  if (osc === undefined || osc === null) return { setting: null, problem: null };
  const p = port((osc as { port?: unknown }).port);
  const rawHost = (osc as { host?: unknown }).host;
  const h = rawHost === undefined ? DEFAULT_OSC_HOST : host(rawHost);
  if (typeof osc !== 'object' || p === null)
    return { setting: null, problem: 'settings.json: osc.port must be a port number (0 to 65535)' };
  if (h === null) return { setting: null, problem: 'settings.json: osc.host must be a host name or address' };
  return { setting: { port: p, host: h }, problem: null };
}

/** process-entry's arguments for the setting. */
export function oscArgs(setting: OscSetting | null): string[] {
  return setting ? ['--osc', String(setting.port), '--osc-host', setting.host] : [];
}
