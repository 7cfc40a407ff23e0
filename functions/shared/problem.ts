/**
 * The one error hierarchy of the API. Anything thrown that is an AppError renders as
 * application/problem+json with its status; anything else is a 500 that reveals nothing.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }

  toProblem(): Record<string, unknown> {
    const problem: Record<string, unknown> = {
      type: `https://driftwatch.dev/problems/${this.type}`,
      title: this.title,
      status: this.status,
      detail: this.message,
    };
    if (this.errors) problem.errors = this.errors;
    return problem;
  }
}

export class ValidationError extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'validation', 'Invalid request', detail, errors);
  }
}
export class UnauthorizedError extends AppError {
  constructor(detail = 'A valid credential is required.') {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}
export class ForbiddenError extends AppError {
  constructor(detail = 'Your role does not allow this action.') {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}
export class NotFoundError extends AppError {
  constructor(what = 'resource') {
    super(404, 'not-found', 'Not found', `No such ${what}.`);
  }
}
export class ConflictError extends AppError {
  constructor(detail: string) {
    super(409, 'conflict', 'Conflict', detail);
  }
}
/** 429: a limit per time or per object was reached; `retryAfterSeconds` becomes the Retry-After header. */
export class TooManyRequestsError extends AppError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'too-many-requests', 'Too many requests', detail);
  }
}
/**
 * 503: a service we depend on (DynamoDB, SQS) is throttling or failing, after the SDK's own retries; nothing was
 * changed that a retry of the request would not finish. `retryAfterSeconds` becomes the Retry-After header.
 */
export class ServiceUnavailableError extends AppError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(503, 'unavailable', 'Service unavailable', detail);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, 'payload-too-large', 'Payload too large', `The request body exceeds ${limitBytes} bytes.`);
  }
}
export class UnsupportedMediaTypeError extends AppError {
  constructor(detail: string) {
    super(415, 'unsupported-media-type', 'Unsupported media type', detail);
  }
}
