/**
 * The provider's side of tfplugin6: one async function per RPC name, and the wrapper that turns
 * each into a grpc-js unary handler. A handler that throws answers a normal response carrying one
 * ERROR diagnostic with the message (the stack only in the debug log); every call is logged with
 * its method and duration at debug.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from './hclog.js';

/** The RPCs of service tfplugin6.Provider (protocol 6.8). */
export const RPC_NAMES = [
  'GetMetadata',
  'GetProviderSchema',
  'ValidateProviderConfig',
  'ValidateResourceConfig',
  'ValidateDataResourceConfig',
  'UpgradeResourceState',
  'ConfigureProvider',
  'ReadResource',
  'PlanResourceChange',
  'ApplyResourceChange',
  'ImportResourceState',
  'MoveResourceState',
  'ReadDataSource',
  'ValidateEphemeralResourceConfig',
  'OpenEphemeralResource',
  'RenewEphemeralResource',
  'CloseEphemeralResource',
  'GetFunctions',
  'CallFunction',
  'StopProvider',
] as const;

export type RpcName = (typeof RPC_NAMES)[number];

/** What a handler gets besides the request. */
export interface CallContext {
  readonly method: RpcName;
  readonly log: Logger;
  /** Aborted when Terraform calls StopProvider (Ctrl-C): long operations should give up. */
  readonly stopSignal: AbortSignal;
}

/** The request and response objects are proto-loader's (snake_case fields, enums as strings, bytes as Buffer). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProviderHandler = (req: any, call: CallContext) => Promise<any>;

export type ProviderHandlers = Partial<Record<RpcName, ProviderHandler>>;

/** The response that reports `message` as the call's failure, in the field each RPC has for it. */
export function errorResponse(method: RpcName, message: string): Record<string, unknown> {
  if (method === 'StopProvider') return { Error: message };
  if (method === 'CallFunction') return { error: { text: message } };
  return { diagnostics: [{ severity: 'ERROR', summary: message, detail: '' }] };
}

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m ? m : String(err);
}

export function wrapHandler(method: RpcName, handler: ProviderHandler, ctx: Omit<CallContext, 'method'>): grpc.handleUnaryCall<unknown, unknown> {
  const call: CallContext = { method, ...ctx };
  return (unary, callback) => {
    const started = performance.now();
    const duration = () => Math.round((performance.now() - started) * 1000) / 1000;
    Promise.resolve()
      .then(() => handler(unary.request, call))
      .then(
        (response) => {
          ctx.log.debug('rpc', { method, duration_ms: duration() });
          callback(null, response ?? {});
        },
        (err: unknown) => {
          const message = messageOf(err);
          ctx.log.debug('rpc failed', { method, duration_ms: duration(), error: message, stack: (err as Error | null)?.stack });
          callback(null, errorResponse(method, message));
        },
      );
  };
}
