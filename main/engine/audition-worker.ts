// The audition worker: every live audition stream of the engine, in a thread of its own, so that
// nothing else the engine does (an import, a map, an export) makes it stutter. It keeps its own
// model cache; the main thread (audition.ts) owns the streams' records and routes the audio.
import { parentPort, workerData } from 'node:worker_threads';
import type { StudioEvent } from '../../common/api.js';
import { initBackend, type BackendName } from '../../ml/backend.js';
import { AuditionStreams } from './audition-streams.js';
import { ModelCache } from './model-cache.js';

export type ToAuditionWorker =
  | { type: 'start'; stream: number; folder: string; p1: number; p2: number; trace?: boolean }
  | { type: 'move'; stream: number; p1: number; p2: number; sentAt: number }
  | { type: 'moveTo'; stream: number; z: Float32Array; sentAt: number }
  | { type: 'stop'; stream: number }
  | { type: 'endModel'; folder: string; reason: string }
  | { type: 'forget'; folder: string }
  | { type: 'rekey'; from: string; to: string };
export type FromAuditionWorker =
  | { type: 'started'; stream: number; sampleRate: number; hop: number }
  | { type: 'failed'; stream: number; error: { name: string; message: string } }
  /** A chunk, exactly as the API's 'audio' event carries it to the stream's owner. */
  | Extract<StudioEvent, { type: 'audio' }>
  | { type: 'ended'; stream: number; reason: string };

const { backend, idleMs } = (workerData ?? {}) as { backend?: BackendName; idleMs?: number };
const port = parentPort!;
const post = (message: FromAuditionWorker, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);
const models = new ModelCache();
const streams = new AuditionStreams(
  {
    audio: (stream, samples, echo, trace) => {
      const copy = samples.slice();
      post(
        {
          type: 'audio',
          stream,
          samples: copy,
          ...(echo !== undefined ? { echo: echo.sentAt, echoAt: echo.at } : {}),
          ...(trace ? { trace } : {}),
        },
        [copy.buffer],
      );
    },
    ended: (stream, reason) => post({ type: 'ended', stream, reason }),
  },
  { idleMs },
);

async function start(message: Extract<ToAuditionWorker, { type: 'start' }>): Promise<void> {
  try {
    await initBackend(backend);
    const lease = await models.acquire(message.folder);
    const format = await streams.start(message.stream, message.folder, lease, message.p1, message.p2, {
      trace: message.trace,
    });
    post({ type: 'started', ...format });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    post({ type: 'failed', stream: message.stream, error: { name: error.name, message: error.message } });
  }
}

port.on('message', (message: ToAuditionWorker) => {
  switch (message.type) {
    case 'start':
      void start(message);
      break;
    case 'move':
      streams.move(message.stream, message.p1, message.p2, message.sentAt);
      break;
    case 'moveTo':
      streams.moveTo(message.stream, message.z, message.sentAt);
      break;
    case 'stop':
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
