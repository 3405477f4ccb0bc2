// What can train here and why not (the API's `backends`, the UI's backend picker): every backend
// ml/backend.ts knows, from what is installed and what the browser's probe found, without loading
// a native addon or a backend in this process (the engine's main thread asks this).
import { createRequire } from 'node:module';
import { BACKEND_NAMES, type BackendName } from '../backend.js';
import { probeBrowserGpu } from './probe.js';

export interface BackendAvailability {
  name: BackendName;
  /** Whether it can be chosen here (a software adapter can: forced, it runs, slowly). */
  available: boolean;
  /** Why not, or what to know (a software adapter); null when there is nothing to say. */
  reason: string | null;
  /** Whether a GPU would do the work. */
  gpu: boolean;
  /** Browser backends: the adapter, in words. */
  adapter: string | null;
  host: 'node' | 'chromium';
}

export interface BackendChoices {
  /** What training picks when none is named. */
  automatic: BackendName;
  backends: BackendAvailability[];
}

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

export async function listBackends(): Promise<BackendChoices> {
  const probe = await probeBrowserGpu();
  const backends = BACKEND_NAMES.map((name): BackendAvailability => {
    switch (name) {
      case 'tensorflow-gpu':
        return installed('@tensorflow/tfjs-node-gpu')
          ? {
              name,
              available: true,
              reason: 'opt-in: needs CUDA 11.2 and cuDNN 8.1 exactly',
              gpu: true,
              adapter: null,
              host: 'node',
            }
          : {
              name,
              available: false,
              reason: '@tensorflow/tfjs-node-gpu is not installed (an optional dependency; needs CUDA 11.2)',
              gpu: false,
              adapter: null,
              host: 'node',
            };
      case 'webgpu':
      case 'webgl': {
        const found = probe[name];
        if (
          probe.browser === null ||
          (!found && probe.probedAt === 0 && /no GPU device/.test(probe[`${name}Reason`] ?? ''))
        )
          // No browser, or no GPU device node: it can still be forced where a browser exists (SwiftShader).
          return {
            name,
            available: probe.browser !== null,
            reason: probe[`${name}Reason`] ?? null,
            gpu: false,
            adapter: null,
            host: 'chromium',
          };
        if (!found)
          return {
            name,
            available: false,
            reason: probe[`${name}Reason`] ?? 'no adapter',
            gpu: false,
            adapter: null,
            host: 'chromium',
          };
        const adapter = [found.vendor, found.architecture, found.description].filter(Boolean).join(' ');
        return {
          name,
          available: true,
          reason: found.software ? `software adapter (${adapter}): slower than wasm` : null,
          gpu: !found.software,
          adapter,
          host: 'chromium',
        };
      }
      case 'tensorflow':
        return installed('@tensorflow/tfjs-node')
          ? { name, available: true, reason: null, gpu: false, adapter: null, host: 'node' }
          : {
              name,
              available: false,
              reason: '@tensorflow/tfjs-node is not installed (an optional dependency)',
              gpu: false,
              adapter: null,
              host: 'node',
            };
      default:
        return { name, available: true, reason: null, gpu: false, adapter: null, host: 'node' };
    }
  });
  return { automatic: automaticChoice(backends), backends };
}

/** What the automatic choice trains on, given what each backend offers (ml/backend.ts's order). */
export function automaticChoice(
  backends: readonly { name: BackendName; available: boolean; gpu: boolean }[],
): BackendName {
  const by = (n: BackendName) => backends.find((b) => b.name === n)!;
  return by('webgpu').gpu
    ? 'webgpu'
    : by('webgl').gpu
      ? 'webgl'
      : by('tensorflow').available
        ? 'tensorflow'
        : 'wasm';
}
