// The live worker: every live input stream of the engine, in a thread of its own (like the audition
// worker), so that nothing else the engine does makes it stutter. It keeps its own model cache; the
// main thread (live.ts) owns the streams' records and routes the audio.
import { parentPort, workerData } from 'node:worker_threads';
import type { LiveInputSettings } from '../../common/api.js';
import { initBackend, type BackendName } from '../../ml/backend.js';
import { LiveStreams } from './live-streams.js';
import { ModelCache } from './model-cache.js';

export type ToLiveWorker =
  | { type: 'start'; stream: number; folder: string; inputRate: number; settings?: LiveInputSettings }
  | { type: 'input'; stream: number; samples: Float32Array; sentAt: number }
  | { type: 'set'; stream: number; settings: LiveInputSettings; request: number }
  | { type: 'stop'; stream: number }
  | { type: 'endModel'; folder: string; reason: string }
  | { type: 'forget'; folder: string }
  | { type: 'rekey'; from: string; to: string };
export type FromLiveWorker =
  | { type: 'started'; stream: number; sampleRate: number; hop: number; latencyMs: number }
  | { type: 'failed'; stream: number; error: { name: string; message: string } }
  | { type: 'set'; request: number; error: string | null }
  | { type: 'audio'; stream: number; samples: Float32Array; echo?: number; echoAt?: number }
  | { type: 'ended'; stream: number; reason: string };

const { backend, idleMs } = (workerData ?? {}) as { backend?: BackendName; idleMs?: number };
const port = parentPort!;
const post = (message: FromLiveWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const models = new ModelCache();
const streams = new LiveStreams(
  {
    audio: (stream, samples, echo) => {
      const copy = samples.slice();
      post({ type: 'audio', stream, samples: copy, ...(echo ? { echo: echo.clock, echoAt: echo.at } : {}) }, [
        copy.buffer,
      ]);
    },
    ended: (stream, reason) => post({ type: 'ended', stream, reason }),
  },
  { idleMs },
);

/** Input not yet run, per stream: the clock at its first sample, and the chunks in order. */
const pending = new Map<number, { sentAt: number; chunks: Float32Array[] }>();
let draining = false;

function drain(): void {
  draining = false;
  const work = [...pending];
  pending.clear();
  for (const [stream, { sentAt, chunks }] of work) {
    const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      samples.set(c, at);
      at += c.length;
    }
    streams.input(stream, samples, sentAt);
  }
}

async function start(message: Extract<ToLiveWorker, { type: 'start' }>): Promise<void> {
  try {
    await initBackend(backend);
    const lease = await models.acquire(message.folder);
    const format = await streams.start(
      message.stream,
      message.folder,
      lease,
      message.inputRate,
      message.settings,
    );
    post({ type: 'started', ...format });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    post({ type: 'failed', stream: message.stream, error: { name: error.name, message: error.message } });
  }
}

port.on('message', (message: ToLiveWorker) => {
  switch (message.type) {
    case 'start':
      void start(message);
      break;
    case 'input': {
      // Gathered and run together once the queue is empty: a worker that fell behind catches up in
      // one batch through the model instead of one call per chunk.
      const queued = pending.get(message.stream);
      if (queued) queued.chunks.push(message.samples);
      else pending.set(message.stream, { sentAt: message.sentAt, chunks: [message.samples] });
      if (!draining) {
        draining = true;
        setImmediate(drain);
      }
      break;
    }
    case 'set':
      try {
        streams.set(message.stream, message.settings);
        post({ type: 'set', request: message.request, error: null });
      } catch (err) {
        post({ type: 'set', request: message.request, error: (err as Error).message });
      }
      break;
    case 'stop':
      pending.delete(message.stream);
      streams.stop(message.stream);
      break;
    case 'endModel':
      streams.endModel(message.folder, message.reason);
      models.forget(message.folder);
      break;
    case 'forget':
      models.forget(message.folder);
      break;
    case 'rekey':
      streams.rekey(message.from, message.to);
      models.rekey(message.from, message.to);
      break;
  }
});
