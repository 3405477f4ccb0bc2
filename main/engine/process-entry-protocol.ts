/**
 * The message that hands the engine process one end of a new MessageChannel (the port travels in
 * the message's transfer list), through process.parentPort under Electron's utilityProcess. The
 * engine serves StudioApi on each port it is given; the first is main's own (the supervisor's),
 * later ones are windows'.
 */
export const ENGINE_CONNECT_MESSAGE = 'vae-studio:connect';
