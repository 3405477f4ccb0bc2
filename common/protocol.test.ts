import { describe, expect, it } from 'vitest';
import {
  MAX_CALL_BYTES,
  MAX_IMPORT_BYTES,
  MAX_UPLOAD_CHUNK_BYTES,
  parseEngineMessage,
  parseRequest,
  ProtocolError,
  STUDIO_METHODS,
  UndecodableMessage,
} from './protocol.js';

const call = (method: string, args: unknown[], id = 1) => ({ id, type: 'call', method, args });

function refusal(message: unknown): ProtocolError {
  try {
    parseRequest(message);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('parseRequest accepted it');
}

describe('request validation', () => {
  it('accepts each method with its arguments', () => {
    expect(STUDIO_METHODS).toEqual([
      'hello',
      'backends',
      'openProject',
      'newProject',
      'recentProjects',
      'getSourceAudio',
      'importSource',
      'beginUpload',
      'uploadChunk',
      'finishUpload',
      'cancelUpload',
      'importPath',
      'importRecording',
      'removeSource',
      'renameSource',
      'findSource',
      'getModelTraining',
      'train',
      'renameModel',
      'deleteModel',
      'getSourceFrames',
      'sample',
      'resumeTraining',
      'listTraining',
      'listJobs',
      'cancelJob',
      'renderLatent',
      'getSnapshots',
      'setSnapshots',
      'moveAuditionTo',
      'resynthesize',
      'getMap',
      'renderPoint',
      'startAudition',
      'moveAudition',
      'stopAudition',
      'startLiveInput',
      'liveInput',
      'setLiveInput',
      'stopLiveInput',
      'exportSounds',
      'getExportZip',
      'reportControl',
      'getControl',
      'getMidiMap',
      'setMidiMap',
    ]);
    expect(parseRequest(call('hello', []))).toEqual(call('hello', []));
    // An upload's piece: bytes, at most MAX_UPLOAD_CHUNK_BYTES, at a whole offset.
    const piece = new Uint8Array(1024);
    expect(parseRequest(call('uploadChunk', ['abc', 0, piece]))).toEqual(
      call('uploadChunk', ['abc', 0, piece]),
    );
    expect(refusal(call('uploadChunk', ['abc', 0.5, piece])).message).toMatch(/bad arguments: 1/);
    expect(
      refusal(call('uploadChunk', ['abc', 0, new Uint8Array(MAX_UPLOAD_CHUNK_BYTES + 1)])).message,
    ).toMatch(/at most 8 MiB|bad arguments/);
    expect(refusal(call('beginUpload', ['a.flac', 0])).message).toMatch(/bad arguments: 1/);
    expect(parseRequest(call('openProject', []))).toEqual(call('openProject', []));
    expect(parseRequest(call('openProject', ['/tmp/p']))).toEqual(call('openProject', ['/tmp/p']));
    expect(parseRequest(call('openProject', ['/tmp/p', { create: true }]))).toEqual(
      call('openProject', ['/tmp/p', { create: true }]),
    );
    expect(refusal(call('openProject', ['/tmp/p', { create: 'yes' }])).message).toMatch(/create/);
    expect(parseRequest(call('cancelJob', ['train/m']))).toEqual(call('cancelJob', ['train/m']));
    const bytes = new Uint8Array([1, 2, 3]);
    expect(parseRequest(call('importSource', ['a.wav', bytes]))).toEqual(
      call('importSource', ['a.wav', bytes]),
    );
    const settings = { name: 'm', preset: 'compact', latent: 8, epochs: 3, batch: 64, beta: 0.01 };
    expect(parseRequest(call('train', [settings]))).toEqual(call('train', [settings]));
    expect(parseRequest({ id: 4, type: 'cancel' })).toEqual({ id: 4, type: 'cancel' });
  });

  it('refuses training settings out of range, naming the field', () => {
    const settings = { name: 'm', preset: 'compact', latent: 999, epochs: 3, batch: 64, beta: 0.01 };
    expect(refusal(call('train', [settings])).message).toMatch(/latent/);
    expect(refusal(call('train', [{ ...settings, latent: 8, preset: 'huge' }])).message).toMatch(/preset/);
  });

  it('refuses a malformed envelope, keeping the id where it can be read', () => {
    expect(refusal(null).id).toBeNull();
    expect(refusal('hello').message).toMatch(/malformed request/);
    expect(refusal({ type: 'call', method: 'hello', args: [] }).message).toMatch(/malformed request: id/);
    expect(refusal({ id: -1, type: 'call', method: 'hello', args: [] }).id).toBeNull();
    expect(refusal({ id: 1.5, type: 'cancel' }).id).toBeNull();
    const wrongType = refusal({ id: 3, type: 'result', value: 1 });
    expect(wrongType.id).toBe(3);
    expect(refusal({ id: 3, type: 'call', method: 'hello' }).message).toMatch(/args/);
  });

  it('refuses an unknown method, including ones every object has', () => {
    for (const method of ['format', 'toString', '__proto__', 'constructor', 'onEvent', 'dispose']) {
      const err = refusal(call(method, [], 9));
      expect(err.message).toBe(`unknown method ${JSON.stringify(method)}`);
      expect(err.id).toBe(9);
    }
  });

  it('refuses wrong arguments, saying which', () => {
    expect(refusal(call('hello', [1])).message).toMatch(/^hello: bad arguments/);
    expect(refusal(call('openProject', [42])).message).toMatch(/^openProject: bad arguments: 0: /);
    expect(refusal(call('openProject', [''])).message).toMatch(/openProject: bad arguments/);
    expect(refusal(call('getSourceAudio', [])).message).toMatch(/getSourceAudio: bad arguments/);
    expect(refusal(call('importSource', ['a.wav', [1, 2, 3]])).message).toMatch(
      /importSource: bad arguments: 1: /,
    );
    expect(refusal(call('importSource', ['a.wav', new Float32Array(3)])).message).toMatch(/bad arguments/);
    expect(refusal(call('importSource', ['', new Uint8Array(3)])).message).toMatch(/bad arguments: 0/);
    expect(refusal(call('removeSource', ['a', 'b'])).message).toMatch(/removeSource: bad arguments/);
  });

  it('refuses oversized requests: over the method cap, and over the import cap', () => {
    const big = refusal(call('openProject', ['x'.repeat(MAX_CALL_BYTES)]));
    expect(big.message).toMatch(/^openProject: request too large \(1\.0 MiB; the limit is 1\.0 MiB\)/);
    expect(big.id).toBe(1);
    const huge = refusal(call('importSource', ['a.wav', new Uint8Array(MAX_IMPORT_BYTES + 1024 * 1024)]));
    expect(huge.message).toMatch(/^message too large/);
    // Just under the import cap is fine for importSource.
    expect(() =>
      parseRequest(call('importSource', ['a.wav', new Uint8Array(MAX_IMPORT_BYTES)])),
    ).not.toThrow();
  });

  it('turns what a transport could not decode into a refusal without an id', () => {
    const err = refusal(new UndecodableMessage('not JSON (Unexpected token)'));
    expect(err.message).toBe('not JSON (Unexpected token)');
    expect(err.id).toBeNull();
  });

  it('refuses a request nested deep enough to be an attack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(refusal(call('hello', [deep], 5)).message).toMatch(/nested too deeply/);
  });
});

describe('engine message validation', () => {
  it('accepts results, errors and events and nothing else', () => {
    expect(parseEngineMessage({ id: 1, type: 'result', value: new Float32Array(1) })).not.toBeNull();
    expect(
      parseEngineMessage({ id: null, type: 'error', error: { name: 'ProtocolError', message: 'x' } }),
    ).not.toBeNull();
    expect(
      parseEngineMessage({ type: 'event', event: { type: 'progress', job: 'j', done: 1, total: 2 } }),
    ).not.toBeNull();
    expect(parseEngineMessage({ id: 1, type: 'error', error: 'x' })).toBeNull();
    expect(parseEngineMessage({ type: 'event' })).toBeNull();
    expect(parseEngineMessage('result')).toBeNull();
  });
});
