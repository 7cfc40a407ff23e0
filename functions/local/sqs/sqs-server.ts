import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { SqsError, batchErrors, invalidParameter, missingParameter, unsupportedOperation } from './sqs-errors.ts';
import { md5OfMessageAttributes, type MessageAttributeValue, type StoredMessage } from './sqs-queue.ts';
import type { LocalSqs } from './sqs-service.ts';
import { closeHttpServer, listenLocal } from '../http-server.ts';

/**
 * The SQS JSON protocol (`x-amz-target: AmazonSQS.<Action>`, as the AWS SDK v3 speaks it) over HTTP on
 * 127.0.0.1, in front of a LocalSqs. Requests are checked with zod; anything SQS would reject is
 * answered with SQS's own error shape, so the SDK raises the same exception classes as in the cloud.
 */
export interface SqsServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  queueUrl(name: string): string;
  close(): Promise<void>;
}

const MAX_BATCH_BYTES = 1_048_576;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

const queueUrl = z.string();
const attributeValue = z.object({
  DataType: z.string(),
  StringValue: z.string().optional(),
  BinaryValue: z.string().optional(),
  StringListValues: z.array(z.string()).optional(),
  BinaryListValues: z.array(z.string()).optional(),
});
const messageFields = {
  MessageBody: z.string(),
  DelaySeconds: z.number().int().optional(),
  MessageAttributes: z.record(z.string(), attributeValue).optional(),
  MessageSystemAttributes: z.record(z.string(), attributeValue).optional(),
  MessageGroupId: z.string().optional(),
  MessageDeduplicationId: z.string().optional(),
};
const entries = <T extends z.ZodRawShape>(shape: T) => z.array(z.object({ Id: z.string(), ...shape }));
const attributeNames = z.array(z.string()).optional();

const ACTIONS = {
  CreateQueue: z.object({ QueueName: z.string(), Attributes: z.record(z.string(), z.string()).optional(), tags: z.record(z.string(), z.string()).optional() }),
  GetQueueUrl: z.object({ QueueName: z.string(), QueueOwnerAWSAccountId: z.string().optional() }),
  ListQueues: z.object({ QueueNamePrefix: z.string().optional(), MaxResults: z.number().int().min(1).max(1000).optional(), NextToken: z.string().optional() }),
  DeleteQueue: z.object({ QueueUrl: queueUrl }),
  PurgeQueue: z.object({ QueueUrl: queueUrl }),
  GetQueueAttributes: z.object({ QueueUrl: queueUrl, AttributeNames: attributeNames }),
  SetQueueAttributes: z.object({ QueueUrl: queueUrl, Attributes: z.record(z.string(), z.string()) }),
  SendMessage: z.object({ QueueUrl: queueUrl, ...messageFields }),
  SendMessageBatch: z.object({ QueueUrl: queueUrl, Entries: entries(messageFields) }),
  ReceiveMessage: z.object({
    QueueUrl: queueUrl,
    MaxNumberOfMessages: z.number().int().min(1).max(10).optional(),
    VisibilityTimeout: z.number().int().min(0).max(43_200).optional(),
    WaitTimeSeconds: z.number().int().min(0).max(20).optional(),
    AttributeNames: attributeNames,
    MessageSystemAttributeNames: attributeNames,
    MessageAttributeNames: attributeNames,
    ReceiveRequestAttemptId: z.string().optional(),
  }),
  DeleteMessage: z.object({ QueueUrl: queueUrl, ReceiptHandle: z.string() }),
  DeleteMessageBatch: z.object({ QueueUrl: queueUrl, Entries: entries({ ReceiptHandle: z.string() }) }),
  ChangeMessageVisibility: z.object({ QueueUrl: queueUrl, ReceiptHandle: z.string(), VisibilityTimeout: z.number().int() }),
  ChangeMessageVisibilityBatch: z.object({ QueueUrl: queueUrl, Entries: entries({ ReceiptHandle: z.string(), VisibilityTimeout: z.number().int() }) }),
} as const;
type Action = keyof typeof ACTIONS;
type Input<A extends Action> = z.infer<(typeof ACTIONS)[A]>;

/** Starts the server on a free port of 127.0.0.1. */
export async function startSqsServer(sqs: LocalSqs): Promise<SqsServer> {
  const longPolls = new AbortController();
  let endpoint = '';
  const urlOf = (name: string) => `${endpoint}/${sqs.identity.accountId}/${name}`;
  const nameOf = (url: string) => {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      path = url;
    }
    const name = path.split('/').filter(Boolean).pop();
    if (!name) throw invalidParameter(`Value ${url} for parameter QueueUrl is invalid.`);
    return name;
  };

  const handlers: { [A in Action]: (input: Input<A>) => Promise<object> | object } = {
    CreateQueue: async (i) => {
      await sqs.createQueue(i.QueueName, i.Attributes ?? {}, Date.now());
      return { QueueUrl: urlOf(i.QueueName) };
    },
    GetQueueUrl: (i) => {
      sqs.queueAttributes(i.QueueName, [], Date.now());
      return { QueueUrl: urlOf(i.QueueName) };
    },
    ListQueues: (i) => ({
      QueueUrls: sqs
        .queueNames()
        .filter((n) => n.startsWith(i.QueueNamePrefix ?? ''))
        .sort()
        .slice(0, i.MaxResults ?? 1000)
        .map(urlOf),
    }),
    DeleteQueue: async (i) => (await sqs.deleteQueue(nameOf(i.QueueUrl)), {}),
    PurgeQueue: async (i) => (await sqs.purgeQueue(nameOf(i.QueueUrl)), {}),
    GetQueueAttributes: (i) => ({ Attributes: sqs.queueAttributes(nameOf(i.QueueUrl), i.AttributeNames ?? [], Date.now()) }),
    SetQueueAttributes: async (i) => (await sqs.setQueueAttributes(nameOf(i.QueueUrl), i.Attributes, Date.now()), {}),
    SendMessage: async (i) => {
      const [sent] = await sqs.send(nameOf(i.QueueUrl), [sendInput(i)], Date.now());
      if (sent instanceof Error) throw sent;
      return sendResult(sent!);
    },
    SendMessageBatch: async (i) => {
      checkBatch(i.Entries, 'SendMessageBatchRequestEntry');
      const bytes = i.Entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody), 0);
      if (bytes > MAX_BATCH_BYTES) throw batchErrors.tooLong(bytes, MAX_BATCH_BYTES);
      const results = await sqs.send(nameOf(i.QueueUrl), i.Entries.map(sendInput), Date.now());
      return batchResult(i.Entries, results, (sent) => sendResult(sent));
    },
    ReceiveMessage: async (i) => {
      const deliveries = await sqs.receive(nameOf(i.QueueUrl), {
        max: i.MaxNumberOfMessages ?? 1,
        visibilitySeconds: i.VisibilityTimeout,
        waitSeconds: i.WaitTimeSeconds,
        signal: longPolls.signal,
      });
      const systemNames = [...(i.AttributeNames ?? []), ...(i.MessageSystemAttributeNames ?? [])];
      return {
        Messages: deliveries.map((d) => ({
          MessageId: d.message.id,
          ReceiptHandle: d.receiptHandle,
          MD5OfBody: d.message.md5OfBody,
          Body: d.message.body,
          ...systemAttributes(d.message, systemNames, sqs.identity.accountId),
          ...messageAttributes(d.message, i.MessageAttributeNames ?? []),
        })),
      };
    },
    DeleteMessage: async (i) => {
      const [result] = await sqs.delete(nameOf(i.QueueUrl), [i.ReceiptHandle]);
      if (result instanceof Error) throw result;
      return {};
    },
    DeleteMessageBatch: async (i) => {
      checkBatch(i.Entries, 'DeleteMessageBatchRequestEntry');
      const results = await sqs.delete(nameOf(i.QueueUrl), i.Entries.map((e) => e.ReceiptHandle));
      return batchResult(i.Entries, results, () => ({}));
    },
    ChangeMessageVisibility: async (i) => {
      const [result] = await sqs.changeVisibility(nameOf(i.QueueUrl), [{ handle: i.ReceiptHandle, seconds: i.VisibilityTimeout }], Date.now());
      if (result instanceof Error) throw result;
      return {};
    },
    ChangeMessageVisibilityBatch: async (i) => {
      checkBatch(i.Entries, 'ChangeMessageVisibilityBatchRequestEntry');
      const results = await sqs.changeVisibility(
        nameOf(i.QueueUrl),
        i.Entries.map((e) => ({ handle: e.ReceiptHandle, seconds: e.VisibilityTimeout })),
        Date.now(),
      );
      return batchResult(i.Entries, results, () => ({}));
    },
  };

  const server = createServer((req, res) => {
    handle(req).then(
      (body) => reply(res, 200, body),
      (error: unknown) => {
        const sqsError = error instanceof SqsError ? error : new SqsError('InternalError', 'InternalError', String((error as Error)?.message ?? error), 500, false);
        reply(res, sqsError.status, sqsError.toJson(), { 'x-amzn-query-error': sqsError.queryErrorHeader() });
      },
    );
  });

  async function handle(req: IncomingMessage): Promise<string> {
    const text = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target.startsWith('AmazonSQS.')) {
      throw unsupportedOperation('The local queue server speaks the SQS JSON protocol only (x-amz-target: AmazonSQS.<Action>), as the AWS SDK v3 and CLI v2 do.');
    }
    const action = target.slice('AmazonSQS.'.length);
    if (!(action in ACTIONS)) throw unsupportedOperation(`${action} is not emulated by the local queue server.`);
    let json: unknown;
    try {
      json = text.trim() ? JSON.parse(text) : {};
    } catch {
      throw new SqsError('MalformedInput', 'MalformedInput', 'The request body is not valid JSON.');
    }
    const parsed = ACTIONS[action as Action].safeParse(json);
    if (!parsed.success) throw inputError(parsed.error);
    return JSON.stringify(await (handlers[action as Action] as (input: unknown) => Promise<object> | object)(parsed.data));
  }

  endpoint = `http://127.0.0.1:${await listenLocal(server, 0)}`;

  return {
    endpoint,
    queueUrl: urlOf,
    close: () => {
      longPolls.abort();
      return closeHttpServer(server, 1000);
    },
  };
}

function sendInput(entry: z.infer<typeof ACTIONS.SendMessage> | Input<'SendMessageBatch'>['Entries'][number]) {
  return {
    body: entry.MessageBody,
    delaySeconds: entry.DelaySeconds,
    attributes: entry.MessageAttributes as Record<string, MessageAttributeValue> | undefined,
    traceHeader: entry.MessageSystemAttributes?.AWSTraceHeader?.StringValue,
  };
}

function sendResult(sent: StoredMessage): Record<string, string> {
  return { MessageId: sent.id, MD5OfMessageBody: sent.md5OfBody, ...(sent.md5OfAttributes ? { MD5OfMessageAttributes: sent.md5OfAttributes } : {}) };
}

function checkBatch(list: Array<{ Id: string }>, what: string): void {
  if (list.length === 0) throw batchErrors.empty(what);
  if (list.length > 10) throw batchErrors.tooMany(list.length);
  const seen = new Set<string>();
  for (const { Id } of list) {
    if (!BATCH_ENTRY_ID.test(Id)) throw batchErrors.invalidId();
    if (seen.has(Id)) throw batchErrors.idsNotDistinct(Id);
    seen.add(Id);
  }
}

function batchResult<T>(list: Array<{ Id: string }>, results: Array<T | Error>, ok: (result: T) => object): object {
  const Successful: object[] = [];
  const Failed: object[] = [];
  results.forEach((result, n) => {
    const Id = list[n]!.Id;
    if (result instanceof SqsError) Failed.push({ Id, SenderFault: result.senderFault, Code: result.type, Message: result.message });
    else if (result instanceof Error) Failed.push({ Id, SenderFault: false, Code: 'InternalError', Message: result.message });
    else Successful.push({ Id, ...ok(result) });
  });
  return { Successful, Failed };
}

function systemAttributes(message: StoredMessage, names: string[], accountId: string): { Attributes?: Record<string, string> } {
  if (names.length === 0) return {};
  const all: Record<string, string | undefined> = {
    SenderId: accountId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    AWSTraceHeader: message.traceHeader,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  const wanted = names.includes('All') ? Object.keys(all) : names;
  const Attributes: Record<string, string> = {};
  for (const name of wanted) if (all[name] !== undefined) Attributes[name] = all[name]!;
  return { Attributes };
}

function messageAttributes(message: StoredMessage, names: string[]): { MessageAttributes?: Record<string, MessageAttributeValue>; MD5OfMessageAttributes?: string } {
  if (!message.attributes || names.length === 0) return {};
  const matches = (attr: string) =>
    names.some((n) => n === 'All' || n === '.*' || n === attr || (n.endsWith('.*') && attr.startsWith(n.slice(0, -1))));
  const picked = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => matches(name)));
  if (Object.keys(picked).length === 0) return {};
  return { MessageAttributes: picked, MD5OfMessageAttributes: md5OfMessageAttributes(picked) };
}

function inputError(error: z.ZodError): SqsError {
  const issue = error.issues[0]!;
  const path = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.input === undefined) return missingParameter(path || issue.message);
  return invalidParameter(`Value for parameter ${path} is invalid. Reason: ${issue.message}.`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(body);
}
