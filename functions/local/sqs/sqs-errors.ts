/**
 * SQS errors as the JSON protocol carries them: `__type` names the SDK's exception class, and the
 * `x-amzn-query-error` header gives the legacy error code the SDK reports as `Code`.
 */
export class SqsError extends Error {
  constructor(
    /** The exception's shape name, e.g. `QueueDoesNotExist` (the SDK's `error.name`). */
    readonly type: string,
    /** The legacy query error code, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly senderFault = true,
  ) {
    super(message);
    this.name = 'SqsError';
  }

  /** The response body of the JSON protocol. */
  toJson(): string {
    return JSON.stringify({ __type: `com.amazonaws.sqs#${this.type}`, message: this.message });
  }

  queryErrorHeader(): string {
    return `${this.code};${this.senderFault ? 'Sender' : 'Receiver'}`;
  }
}

export const invalidParameter = (message: string): SqsError => new SqsError('InvalidParameterValue', 'InvalidParameterValue', message);
export const missingParameter = (name: string): SqsError =>
  new SqsError('MissingParameter', 'MissingParameter', `The request must contain the parameter ${name}.`);
export const invalidAttributeName = (name: string): SqsError =>
  new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
export const queueDoesNotExist = (): SqsError =>
  new SqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
export const queueNameExists = (name: string): SqsError =>
  new SqsError('QueueNameExists', 'QueueAlreadyExists', `A queue already exists with the same name (${name}) and a different value for an attribute.`);
export const receiptHandleInvalid = (handle: string): SqsError =>
  new SqsError('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
export const unsupportedOperation = (message: string): SqsError =>
  new SqsError('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', message);
export const invalidMessageContents = (message: string): SqsError => new SqsError('InvalidMessageContents', 'InvalidMessageContents', message);

/** Errors of a batch request as a whole (the entries themselves fail one by one in `Failed`). */
export const batchErrors = {
  empty: (what: string) =>
    new SqsError('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', `There should be at least one ${what} in the request.`),
  tooMany: (count: number) =>
    new SqsError(
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${count}.`,
    ),
  idsNotDistinct: (id: string) =>
    new SqsError('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${id} repeated.`),
  invalidId: () =>
    new SqsError(
      'InvalidBatchEntryId',
      'AWS.SimpleQueueService.InvalidBatchEntryId',
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    ),
  tooLong: (bytes: number, limit: number) =>
    new SqsError('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', `Batch requests cannot be longer than ${limit} bytes. You have sent ${bytes} bytes.`),
};
