// The messages that carry StudioApi over any transport, and their validation.
//
//   request   {id, type: 'call', method, args}      args: the method's arguments, in order
//   cancel    {id, type: 'cancel'}                    the caller gave up on request id
//   response  {id, type: 'result', value}
//             {id, type: 'error', error: {name, message}}   id is null when the request's own id
//                                                            could not be read
//   event     {type: 'event', event}                 a StudioEvent
//
// Ids are the caller's: positive safe integers, unique among its pending calls. The engine checks
// every incoming message here: its shape, that the method exists, the arguments against the
// method's schema, and its size against the method's cap. Imports nothing from Node, so the
// browser's client shares it.
import { z } from 'zod';
import type { StudioApi, StudioEvent, StudioMethod } from './api.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest file importSource takes in one message; bigger ones go by beginUpload/uploadChunk. */
export const MAX_IMPORT_BYTES = 64 * MiB;
/** The largest piece uploadChunk takes. */
export const MAX_UPLOAD_CHUNK_BYTES = 8 * MiB;
/** Every message but an import is far smaller than this. */
export const MAX_CALL_BYTES = 1 * MiB;
/** The most any single message may be on any transport: an import plus room for its envelope. */
export const MAX_MESSAGE_BYTES = MAX_IMPORT_BYTES + 64 * KiB;
/**
 * The most a WebSocket message's JSON header may be: the engine refuses a longer one by its length
 * field, unparsed; only typed arrays (imports) may be larger. Room for the largest request the
 * studio sends (1000 snapshots of 64 full-precision latents, about 1.3 MB of JSON), while a junk
 * header costs the engine at most about 100 MB and a second or two to parse.
 */
export const MAX_HEADER_BYTES = 2 * MAX_CALL_BYTES;

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const soundOptions = z.object({
  motion: z.enum(['material', 'hold']).optional(),
  from: z.enum(['posterior', 'prior']).optional(),
});
const sourceId = z.string().min(1).max(255);
/** Live input's settings (LiveInputSettings). */
const liveSettings = z
  .object({
    mix: z.number().min(0).max(1).optional(),
    gain: z.number().min(0).max(1000).optional(),
    offset: z
      .object({
        direction: z.union([z.enum(['axis1', 'axis2']), z.number().int().min(0).max(63)]),
        amount: z.number().min(-100).max(100),
      })
      .nullable()
      .optional(),
    morph: z
      .object({ z: z.array(z.number().finite()).min(2).max(64), amount: z.number().min(0).max(1) })
      .nullable()
      .optional(),
  })
  .strict();
const channel = z.number().int().min(0).max(15);
const midi7 = z.number().int().min(0).max(127);
/** A project's MIDI mappings (midi.json), as setMidiMap takes them and the engine reads them back. */
export const midiMapSchema = z
  .object({
    mappings: z
      .array(
        z
          .object({
            source: z.discriminatedUnion('kind', [
              z.object({ kind: z.literal('cc'), channel, controller: midi7 }).strict(),
              z.object({ kind: z.literal('note'), channel, note: midi7 }).strict(),
              z.object({ kind: z.literal('pitchbend'), channel }).strict(),
            ]),
            target: z.discriminatedUnion('kind', [
              z.object({ kind: z.literal('mapX') }).strict(),
              z.object({ kind: z.literal('mapY') }).strict(),
              z.object({ kind: z.literal('latent'), dim: z.number().int().min(0).max(63) }).strict(),
              z.object({ kind: z.literal('mix') }).strict(),
              z.object({ kind: z.literal('volume') }).strict(),
              z
                .object({
                  kind: z.literal('snapshot'),
                  index: z.number().int().min(1).max(1000),
                  play: z.boolean(),
                })
                .strict(),
              z.object({ kind: z.literal('keys'), play: z.boolean() }).strict(),
            ]),
            min: z.number().min(-1).max(2),
            max: z.number().min(-1).max(2),
            curve: z.enum(['linear', 'exponential', 'logarithmic']),
          })
          .strict(),
      )
      .max(512),
  })
  .strict();

interface MethodSpec {
  /** The arguments as an array, exactly as the method takes them. */
  args: z.ZodType<unknown[]>;
  /** How many parameters the method declares: the engine is called with a CallContext after them. */
  arity: number;
  /** The largest request accepted, in bytes (as messageSize estimates it). */
  maxBytes: number;
}

/** One entry per StudioApi method; the `satisfies` makes a missing or extra method a compile error. */
export const METHODS = {
  hello: { args: z.tuple([]), arity: 0, maxBytes: MAX_CALL_BYTES },
  backends: { args: z.tuple([]), arity: 0, maxBytes: MAX_CALL_BYTES },
  openProject: {
    args: z.tuple([
      z.string().min(1).max(4096).optional(),
      z.object({ create: z.boolean().optional() }).optional(),
    ]),
    arity: 2,
    maxBytes: MAX_CALL_BYTES,
  },
  newProject: { args: z.tuple([z.string().min(1).max(120)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  recentProjects: { args: z.tuple([]), arity: 0, maxBytes: MAX_CALL_BYTES },
  getSourceAudio: { args: z.tuple([sourceId]), arity: 1, maxBytes: MAX_CALL_BYTES },
  importSource: {
    args: z.tuple([
      z.string().min(1).max(255),
      z
        .custom<Uint8Array>((b) => b instanceof Uint8Array, {
          message: "expected a Uint8Array of the file's bytes",
        })
        .refine((b) => b.byteLength <= MAX_IMPORT_BYTES, {
          message: `a file may have at most ${MAX_IMPORT_BYTES / MiB} MiB`,
        }),
    ]),
    arity: 2,
    maxBytes: MAX_MESSAGE_BYTES,
  },
  beginUpload: {
    args: z.tuple([z.string().min(1).max(255), z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)]),
    arity: 2,
    maxBytes: MAX_CALL_BYTES,
  },
  uploadChunk: {
    args: z.tuple([
      z.string().min(1).max(64),
      z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      z
        .custom<Uint8Array>((b) => b instanceof Uint8Array, { message: 'expected a Uint8Array of bytes' })
        .refine((b) => b.byteLength >= 1 && b.byteLength <= MAX_UPLOAD_CHUNK_BYTES, {
          message: `a piece must have 1 byte to ${MAX_UPLOAD_CHUNK_BYTES / MiB} MiB`,
        }),
    ]),
    arity: 3,
    maxBytes: MAX_UPLOAD_CHUNK_BYTES + 64 * KiB,
  },
  finishUpload: { args: z.tuple([z.string().min(1).max(64)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  cancelUpload: { args: z.tuple([z.string().min(1).max(64)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  importPath: { args: z.tuple([z.string().min(1).max(4096)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  importRecording: {
    args: z.tuple([
      z.string().min(1).max(255),
      z
        .custom<Float32Array>((b) => b instanceof Float32Array, {
          message: 'expected a Float32Array of samples',
        })
        .refine((b) => b.byteLength <= MAX_IMPORT_BYTES, {
          message: `a recording may have at most ${MAX_IMPORT_BYTES / MiB} MiB`,
        }),
      z.number().int().min(8000).max(192000),
    ]),
    arity: 3,
    maxBytes: MAX_MESSAGE_BYTES,
  },
  removeSource: { args: z.tuple([sourceId]), arity: 1, maxBytes: MAX_CALL_BYTES },
  renameSource: {
    args: z.tuple([sourceId, z.string().min(1).max(255)]),
    arity: 2,
    maxBytes: MAX_CALL_BYTES,
  },
  findSource: { args: z.tuple([z.string().regex(/^[0-9a-f]{64}$/)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  getModelTraining: { args: z.tuple([z.string().min(1).max(255)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  train: {
    args: z.tuple([
      z.object({
        name: z.string().min(1).max(120),
        preset: z.enum(['seed-speech', 'compact']),
        latent: z.number().int().min(2).max(64),
        epochs: z.number().int().min(1).max(100000),
        batch: z.number().int().min(1).max(65536),
        beta: z.number().min(0).max(1000),
        sources: z.array(sourceId).min(1).max(10000).optional(),
        backend: z.enum(['tensorflow-gpu', 'webgpu', 'webgl', 'tensorflow', 'wasm', 'cpu']).optional(),
      }),
    ]),
    arity: 1,
    maxBytes: MAX_CALL_BYTES,
  },
  renameModel: {
    args: z.tuple([z.string().min(1).max(255), z.string().min(1).max(120)]),
    arity: 2,
    maxBytes: MAX_CALL_BYTES,
  },
  deleteModel: { args: z.tuple([z.string().min(1).max(255)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  getSourceFrames: { args: z.tuple([sourceId]), arity: 1, maxBytes: MAX_CALL_BYTES },
  sample: {
    args: z.tuple([
      z.string().min(1).max(255),
      z.number().int().min(1).max(64),
      z.number().min(0.05).max(30),
      z.number().min(0).max(10),
      z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
      soundOptions.optional(),
    ]),
    arity: 6,
    maxBytes: MAX_CALL_BYTES,
  },
  resumeTraining: { args: z.tuple([z.string().min(1).max(255)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  listTraining: { args: z.tuple([]), arity: 0, maxBytes: MAX_CALL_BYTES },
  listJobs: { args: z.tuple([]), arity: 0, maxBytes: MAX_CALL_BYTES },
  cancelJob: { args: z.tuple([z.string().min(1).max(300)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  renderLatent: {
    args: z.tuple([
      z.string().min(1).max(255),
      z.custom<Float32Array>((b) => b instanceof Float32Array && b.length >= 2 && b.length <= 64, {
        message: 'expected a Float32Array of 2 to 64 latent values',
      }),
      z.number().min(0.05).max(30),
      soundOptions.optional(),
    ]),
    arity: 4,
    maxBytes: MAX_CALL_BYTES,
  },
  getSnapshots: { args: z.tuple([z.string().min(1).max(255)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  setSnapshots: {
    args: z.tuple([
      z.string().min(1).max(255),
      z
        .array(z.object({ name: z.string().min(1).max(120), z: z.array(z.number().finite()).min(2).max(64) }))
        .max(1000),
    ]),
    arity: 2,
    maxBytes: MAX_CALL_BYTES,
  },
  moveAuditionTo: {
    args: z.tuple([
      z.number().int().positive(),
      z.custom<Float32Array>((b) => b instanceof Float32Array && b.length >= 2 && b.length <= 64, {
        message: 'expected a Float32Array of 2 to 64 latent values',
      }),
      z.number().finite(),
    ]),
    arity: 3,
    maxBytes: MAX_CALL_BYTES,
  },
  resynthesize: {
    args: z.tuple([
      z.string().min(1).max(255),
      sourceId,
      z.object({
        phase: z.enum(['source', 'griffinlim', 'pghi', 'pghi-gl', 'rtpghi']).optional(),
        offset: z
          .object({
            direction: z.union([z.enum(['axis1', 'axis2']), z.number().int().min(0).max(63)]),
            amount: z.number().min(-100).max(100),
          })
          .optional(),
        morph: z.object({ target: sourceId, amount: z.number().min(0).max(1) }).optional(),
      }),
    ]),
    arity: 3,
    maxBytes: MAX_CALL_BYTES,
  },
  getMap: { args: z.tuple([z.string().min(1).max(255)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  renderPoint: {
    args: z.tuple([
      z.string().min(1).max(255),
      z.number().finite(),
      z.number().finite(),
      z.number().min(0.05).max(30),
      soundOptions.optional(),
    ]),
    arity: 5,
    maxBytes: MAX_CALL_BYTES,
  },
  startAudition: {
    args: z.tuple([
      z.string().min(1).max(255),
      z.number().finite(),
      z.number().finite(),
      z.object({ trace: z.boolean().optional() }).optional(),
    ]),
    arity: 4,
    maxBytes: MAX_CALL_BYTES,
  },
  moveAudition: {
    args: z.tuple([
      z.number().int().positive(),
      z.number().finite(),
      z.number().finite(),
      z.number().finite(),
    ]),
    arity: 4,
    maxBytes: MAX_CALL_BYTES,
  },
  stopAudition: { args: z.tuple([z.number().int().positive()]), arity: 1, maxBytes: MAX_CALL_BYTES },
  startLiveInput: {
    args: z.tuple([
      z.string().min(1).max(255),
      z.number().int().min(8000).max(192000),
      liveSettings.optional(),
    ]),
    arity: 3,
    maxBytes: MAX_CALL_BYTES,
  },
  liveInput: {
    args: z.tuple([
      z.number().int().positive(),
      z.custom<Float32Array>((b) => b instanceof Float32Array && b.length >= 1 && b.length <= 96000, {
        message: 'expected a Float32Array of 1 to 96000 samples',
      }),
      z.number().finite(),
    ]),
    arity: 3,
    maxBytes: MAX_CALL_BYTES,
  },
  setLiveInput: {
    args: z.tuple([z.number().int().positive(), liveSettings]),
    arity: 2,
    maxBytes: MAX_CALL_BYTES,
  },
  stopLiveInput: { args: z.tuple([z.number().int().positive()]), arity: 1, maxBytes: MAX_CALL_BYTES },
  exportSounds: {
    args: z.tuple([
      z.object({
        model: z.string().min(1).max(255),
        kind: z.enum(['random', 'grid', 'path', 'resynth']),
        count: z.number().int().min(1).max(1000).optional(),
        points: z
          .array(z.object({ p1: z.number().finite(), p2: z.number().finite() }))
          .min(1)
          .max(10000)
          .optional(),
        latents: z.array(z.array(z.number().finite()).min(2).max(64)).min(1).max(10000).optional(),
        sources: z.array(sourceId).min(1).max(10000).optional(),
        seconds: z.number().min(0.05).max(600),
        bitDepth: z.enum(['16', '24', '32f']),
        rate: z.number().int().min(1000).max(768000).optional(),
        normalize: z.enum(['material', 'peak', 'none']),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .optional(),
        temperature: z.number().min(0).max(10).optional(),
        motion: z.enum(['material', 'hold']).optional(),
        fadeSeconds: z.number().min(0).max(10).optional(),
        filePrefix: z.string().min(1).max(60).optional(),
        name: z.string().min(1).max(120),
        folder: z.string().min(1).max(4096).optional(),
      }),
    ]),
    arity: 1,
    maxBytes: MAX_CALL_BYTES,
  },
  getExportZip: { args: z.tuple([z.string().min(1).max(255)]), arity: 1, maxBytes: MAX_CALL_BYTES },
  reportControl: {
    args: z.tuple([
      z
        .object({
          model: z.string().min(1).max(255).nullable().optional(),
          point: z.tuple([z.number().finite(), z.number().finite()]).nullable().optional(),
          z: z.array(z.number().finite()).min(2).max(64).nullable().optional(),
          audition: z.boolean().optional(),
          live: z.boolean().optional(),
          mix: z.number().min(0).max(1).optional(),
          snapshot: z.number().int().min(1).max(1000).nullable().optional(),
          active: z.boolean().optional(),
        })
        .strict(),
    ]),
    arity: 1,
    maxBytes: MAX_CALL_BYTES,
  },
  getControl: { args: z.tuple([]), arity: 0, maxBytes: MAX_CALL_BYTES },
  getMidiMap: { args: z.tuple([]), arity: 0, maxBytes: MAX_CALL_BYTES },
  setMidiMap: { args: z.tuple([midiMapSchema]), arity: 1, maxBytes: MAX_CALL_BYTES },
} as const satisfies Record<StudioMethod, MethodSpec>;

// Each schema must accept exactly what its method's parameters are: a mismatch names the method
// in a compile error here.
type SchemaArgs<M extends StudioMethod> = z.output<(typeof METHODS)[M]['args']>;
type Mismatched = {
  [M in StudioMethod]: SchemaArgs<M> extends Parameters<StudioApi[M]>
    ? Parameters<StudioApi[M]> extends SchemaArgs<M>
      ? never
      : M
    : M;
}[StudioMethod];
const argsMatch: [Mismatched] extends [never] ? true : Mismatched = true;
void argsMatch;

export const STUDIO_METHODS = Object.keys(METHODS) as StudioMethod[];

export type CallRequest = {
  [M in StudioMethod]: { id: number; type: 'call'; method: M; args: Parameters<StudioApi[M]> };
}[StudioMethod];
export interface CancelRequest {
  id: number;
  type: 'cancel';
}
export type Request = CallRequest | CancelRequest;

export interface WireError {
  name: string;
  message: string;
}
export type Response =
  { id: number; type: 'result'; value: unknown } | { id: number | null; type: 'error'; error: WireError };
export interface EventMessage {
  type: 'event';
  event: StudioEvent;
}
/** What the engine sends. */
export type EngineMessage = Response | EventMessage;

/** A request the engine refuses; `id` is the request's where it could be read. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    readonly id: number | null = null,
  ) {
    super(message);
  }
}

/**
 * What a transport delivers in place of a message it could not decode (a WebSocket frame that is
 * not our format), so the receiver can answer it like any other bad message.
 */
export class UndecodableMessage {
  constructor(readonly reason: string) {}
}

const envelope = z.discriminatedUnion('type', [
  z.object({ id, type: z.literal('call'), method: z.string().max(100), args: z.array(z.unknown()) }),
  z.object({ id, type: z.literal('cancel') }),
]);

/** Checks an incoming request. Throws ProtocolError, with the id where there is one. */
export function parseRequest(message: unknown): Request {
  if (message instanceof UndecodableMessage) throw new ProtocolError(message.reason);
  let size: number;
  try {
    size = messageSize(message);
  } catch (err) {
    throw new ProtocolError((err as Error).message, readId(message));
  }
  if (size > MAX_MESSAGE_BYTES) {
    throw new ProtocolError(
      `message too large (${mib(size)}; the limit is ${mib(MAX_MESSAGE_BYTES)})`,
      readId(message),
    );
  }
  const parsed = envelope.safeParse(message);
  if (!parsed.success) {
    throw new ProtocolError(`malformed request: ${describe(parsed.error)}`, readId(message));
  }
  const request = parsed.data;
  if (request.type === 'cancel') return request;
  if (!Object.hasOwn(METHODS, request.method)) {
    throw new ProtocolError(`unknown method ${JSON.stringify(request.method)}`, request.id);
  }
  const method = request.method as StudioMethod;
  const spec: MethodSpec = METHODS[method];
  if (size > spec.maxBytes) {
    throw new ProtocolError(
      `${method}: request too large (${mib(size)}; the limit is ${mib(spec.maxBytes)})`,
      request.id,
    );
  }
  const args = spec.args.safeParse(request.args);
  if (!args.success) {
    throw new ProtocolError(`${method}: bad arguments: ${describe(args.error)}`, request.id);
  }
  return { id: request.id, type: 'call', method, args: args.data } as CallRequest;
}

const responseSchema = z.discriminatedUnion('type', [
  z.object({ id, type: z.literal('result'), value: z.unknown().optional() }),
  z.object({
    id: id.nullable(),
    type: z.literal('error'),
    error: z.object({ name: z.string(), message: z.string() }),
  }),
  z.object({ type: z.literal('event'), event: z.object({ type: z.string() }).loose() }),
]);

/** Checks a message from the engine; null for anything that is not one. */
export function parseEngineMessage(message: unknown): EngineMessage | null {
  const parsed = responseSchema.safeParse(message);
  return parsed.success ? (parsed.data as EngineMessage) : null;
}

/** An error as it crosses the boundary: its name and message, never its stack. */
export function toWireError(err: unknown): WireError {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/**
 * About how many bytes a message takes: typed arrays by their length, strings by theirs, other
 * values a few bytes each. Cheap, and a cap on it bounds what a structured clone carried.
 */
export function messageSize(value: unknown, depth = 0): number {
  if (depth > 64) throw new Error('message nested too deeply');
  if (typeof value === 'string') return value.length + 2;
  if (typeof value !== 'object' || value === null) return 8;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  let size = 2;
  if (Array.isArray(value)) {
    for (const item of value) size += messageSize(item, depth + 1) + 1;
  } else {
    for (const [k, v] of Object.entries(value)) size += k.length + 3 + messageSize(v, depth + 1);
  }
  return size;
}

function readId(message: unknown): number | null {
  if (typeof message !== 'object' || message === null) return null;
  const parsed = id.safeParse((message as { id?: unknown }).id);
  return parsed.success ? parsed.data : null;
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes < MiB ? 3 : 1)} MiB`;
}
