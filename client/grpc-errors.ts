import type { ServiceError as GrpcServiceError } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';

/**
 * The gRPC error behind `err`: `err` itself or the first of its causes that is one (the SDK wraps
 * gRPC failures in its own errors, e.g. a ServiceError "Workflow Update failed"). Looks at most
 * five levels deep; undefined when there is none.
 */
export function grpcErrorIn(err: unknown): GrpcServiceError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (isGrpcServiceError(e)) return e;
  return undefined;
}
