// What can train here and why not (the API's `backends`, the UI's backend picker): every backend
// ml/backend.ts knows, from what is installed and what the browser's probe found, without loading
// a native addon or a backend in this process (the engine's main thread asks this).
import { createRequire } from 'node:module';
import type { BackendChoice } from '../../common/api.js';
import { BACKEND_NAMES, type BackendName } from '../backend.js';
import type { AdapterInfo } from './protocol.js';
import { probeBrowserGpu } from './probe.js';

/** The API's BackendChoice with the backend's name as ml/backend.ts knows it (a software adapter is available: forced, it runs, slowly). */
export interface BackendAvailability extends BackendChoice {
  name: BackendName;
}

export interface BackendChoices {
  /** What training picks when none is named. */
  automatic: BackendName;
  backends: BackendAvailability[];
}

/** An adapter in words: vendor, architecture and description. */
export function adapterLabel(adapter: Pick<AdapterInfo, 'vendor' | 'architecture' | 'description'>): string {
  return [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ');
}

/** A backend that runs in this process (tensorflow-gpu, tensorflow, wasm, cpu): from what is installed. */
export function nodeBackend(name: Exclude<BackendName, 'webgpu' | 'webgl'>): BackendAvailability {
  const unavailable = (reason: string): BackendAvailability => ({
    name,
    available: false,
    reason,
    gpu: false,
    adapter: null,
    host: 'node',
  });
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
        : unavailable('@tensorflow/tfjs-node-gpu is not installed (an optional dependency; needs CUDA 11.2)');
    case 'tensorflow':
      if (!installed('@tensorflow/tfjs-node'))
        return unavailable('@tensorflow/tfjs-node is not installed (an optional dependency)');
      return { name, available: true, reason: null, gpu: false, adapter: null, host: 'node' };
    default:
      return { name, available: true, reason: null, gpu: false, adapter: null, host: 'node' };
  }
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
        const adapter = adapterLabel(found);
        return {
          name,
          available: true,
          reason: found.software ? `software adapter (${adapter}): slower than wasm` : null,
          gpu: !found.software,
          adapter,
          host: 'chromium',
        };
      }
      default:
        return nodeBackend(name);
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
