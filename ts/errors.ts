/**
 * The one error type the SDK throws. `code` is stable: match on it, not on the message.
 */
export type NextminiErrorCode =
  | 'MALFORMED_PACKET'
  | 'OUT_OF_RANGE'
  | 'CONFIG_INVALID'
  | 'INVALID_ARGUMENT'
  | 'PAYLOAD_TOO_LARGE'
  | 'NO_ROUTE'
  | 'QUEUE_FULL'
  | 'UNKNOWN_NODE'
  | 'INVALID_ROUTES'
  | 'NOT_INITIALIZED'
  | 'RECEIVER_EXISTS'
  | 'CLOSED'
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_RESET'
  | 'CONTROLLER_REJECTED'
  | 'CONTROLLER_UNREACHABLE'
  | 'PEER_UNREACHABLE'
  | 'PEER_DOWN'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'NOT_GROUP_SOURCE'
  | 'POOL_EXHAUSTED'
  | 'UNKNOWN_GROUP'
  | 'UNKNOWN_SESSION'
  | 'UNKNOWN_FLOW'
  | 'NOT_COMPLETE'
  | 'INTERNAL';

export class NextminiError extends Error {
  readonly code: NextminiErrorCode;

  constructor(code: NextminiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NextminiError';
    this.code = code;
  }
}

/** True when `err` is a NextminiError, optionally with the given code. */
export function isNextminiError(err: unknown, code?: NextminiErrorCode): err is NextminiError {
  return err instanceof NextminiError && (code === undefined || err.code === code);
}

const CORE_MESSAGE = /^([A-Z_]+)\|([\s\S]*)$/;

/**
 * Converts what the wasm core threw into a NextminiError. The core formats its typed errors
 * as `"<CODE>|<message>"` (see core-rs/src/wasm.rs); anything else is an internal fault.
 */
export function fromCoreError(err: unknown): NextminiError {
  if (err instanceof NextminiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const m = CORE_MESSAGE.exec(message);
  if (m) return new NextminiError(m[1] as NextminiErrorCode, m[2]!);
  return new NextminiError('INTERNAL', `nextmini core failed: ${message}`, { cause: err });
}

/** Runs a core call, converting its errors exactly once at the boundary. */
export function callCore<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromCoreError(err);
  }
}
