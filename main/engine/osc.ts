// The OSC server (docs/design.md, "Control: OSC and MIDI"): Open Sound Control over UDP, decoded by
// node-osc, controlling the engine's control state of the most recently active window (control.ts).
//
//   /vae/map x y          the point on the map; x, y in 0..1 across ±2 standard deviations
//   /vae/latent i v       latent dimension i (1-based, as the sliders' z1…) to v, 0..1 across its range over the training frames
//   /vae/snapshot n       recall snapshot n (1-based) or, with a string, the snapshot of that name
//   /vae/audition 1|0     live audition on (latched) or off
//   /vae/live 1|0         live input through the model on or off
//   /vae/mix m            live input's dry/wet mix, 0..1
//   /vae/get              nothing changes; the reply says where the point is
//
// After each one the sender gets `/vae/point x y` (the window's point in the same units; without
// arguments when the window has no point yet) or `/vae/error "why"` (no window, no model explored,
// no such snapshot). A packet that is not OSC, an unknown address or arguments of the wrong kind or
// range are ignored: no state changes and no reply, and getControl() counts them.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decode, encode, Message } from 'node-osc';
import type { ControlCommand } from '../../common/api.js';
import { ControlError, type ControlService } from './control.js';

export interface OscOptions {
  /** Default 127.0.0.1; anything else lets the network steer the studio (OSC has no authentication). */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
}

export interface OscServer {
  host: string;
  port: number;
  /** Packets (or messages in bundles) ignored as malformed so far. */
  readonly ignored: number;
  close(): Promise<void>;
}

/** Commands waiting their turn at most; more are dropped (and counted as ignored). */
const MAX_QUEUE = 256;
/** Bundles inside bundles deeper than this are ignored. */
const MAX_DEPTH = 8;

interface OscArg {
  type: string;
  value: unknown;
}
interface Decoded {
  oscType: 'message' | 'bundle';
  address?: unknown;
  args?: unknown;
  elements?: unknown;
}

const ON_OFF = (args: unknown[]): boolean | null => {
  if (args.length !== 1) return null;
  const v = args[0];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  return null;
};
const inRange = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;

/** The command an OSC message asks for, or null when it is not one of ours or its arguments are wrong. */
export function parseOscMessage(address: string, args: unknown[]): ControlCommand | null {
  switch (address) {
    case '/vae/map':
      // A little past the edges is fine (the engine clamps far-off points); NaN or 1e30 is not.
      return args.length === 2 && inRange(args[0], -1, 2) && inRange(args[1], -1, 2)
        ? { kind: 'point', x: args[0], y: args[1] }
        : null;
    case '/vae/latent':
      return args.length === 2 &&
        Number.isInteger(args[0]) &&
        inRange(args[0], 1, 64) &&
        inRange(args[1], -1, 2)
        ? { kind: 'latent', dim: (args[0] as number) - 1, value: args[1] }
        : null;
    case '/vae/snapshot': {
      if (args.length !== 1) return null;
      const v = args[0];
      if (Number.isInteger(v) && inRange(v, 1, 1000)) return { kind: 'snapshot', which: v as number };
      if (typeof v === 'string' && v.length > 0 && v.length <= 120) return { kind: 'snapshot', which: v };
      return null;
    }
    case '/vae/audition': {
      const on = ON_OFF(args);
      return on === null ? null : { kind: 'audition', on };
    }
    case '/vae/live': {
      const on = ON_OFF(args);
      return on === null ? null : { kind: 'live', on };
    }
    case '/vae/mix':
      return args.length === 1 && inRange(args[0], 0, 1) ? { kind: 'mix', value: args[0] } : null;
    case '/vae/get':
      return args.length === 0 ? { kind: 'get' } : null;
    default:
      return null;
  }
}

/** The messages of a decoded packet, bundles flattened in order; null when any part is malformed. */
function messagesOf(decoded: Decoded, depth = 0): { address: string; args: unknown[] }[] | null {
  if (depth > MAX_DEPTH || typeof decoded !== 'object' || decoded === null) return null;
  if (decoded.oscType === 'message') {
    if (typeof decoded.address !== 'string' || !Array.isArray(decoded.args)) return null;
    const args: unknown[] = [];
    for (const arg of decoded.args as OscArg[]) {
      if (typeof arg !== 'object' || arg === null) return null;
      args.push(arg.value);
    }
    return [{ address: decoded.address, args }];
  }
  if (decoded.oscType === 'bundle' && Array.isArray(decoded.elements)) {
    const out: { address: string; args: unknown[] }[] = [];
    for (const element of decoded.elements as Decoded[]) {
      const inner = messagesOf(element, depth + 1);
      if (!inner) return null;
      out.push(...inner);
    }
    return out;
  }
  return null;
}

export async function startOscServer(control: ControlService, options: OscOptions = {}): Promise<OscServer> {
  const host = options.host ?? '127.0.0.1';
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let ignored = 0;
  let queued = 0;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const reply = (to: RemoteInfo, address: string, ...args: (number | string)[]) => {
    if (closed) return;
    try {
      socket.send(encode(new Message(address, ...args)), to.port, to.address, () => {
        // A reply that cannot be delivered (the sender has gone) is nobody's problem.
      });
    } catch {
      // The socket closed meanwhile.
    }
  };

  const run = async (command: ControlCommand, from: RemoteInfo) => {
    try {
      const { xy } = await control.command(command);
      if (xy) reply(from, '/vae/point', xy[0], xy[1]);
      else reply(from, '/vae/point');
    } catch (err) {
      // A ControlError says what the user can fix; anything else (a map that failed) says its message.
      reply(
        from,
        '/vae/error',
        err instanceof ControlError ? err.message : `failed: ${(err as Error).message}`,
      );
    }
  };

  socket.on('message', (packet: Buffer, from: RemoteInfo) => {
    let messages: { address: string; args: unknown[] }[] | null;
    try {
      messages = messagesOf(decode(packet) as Decoded);
    } catch {
      messages = null;
    }
    const commands = messages?.map((m) => parseOscMessage(m.address, m.args));
    if (!commands || commands.length === 0 || commands.some((c) => c === null)) {
      ignored++;
      return;
    }
    for (const command of commands as ControlCommand[]) {
      if (queued >= MAX_QUEUE) {
        ignored++;
        continue;
      }
      queued++;
      // In order of arrival: a map fetched for one message is there for the next.
      chain = chain.then(() => run(command, from)).finally(() => queued--);
    }
  });
  // A socket error (an ICMP unreachable for a reply, say) never ends the server.
  socket.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const { port } = socket.address();
  control.setOscStatus(() => ({ host, port, ignored }));

  return {
    host,
    port,
    get ignored() {
      return ignored;
    },
    async close() {
      if (closed) return;
      closed = true;
      control.setOscStatus(null);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      await chain.catch(() => undefined);
    },
  };
}
