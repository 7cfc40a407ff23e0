import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, QueueNameExists, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { dlqName } from '../queues/define-queue.ts';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from './lambda-events.ts';
import type { LocalLog } from './local-log.ts';
import type { LocalService } from './service.ts';
import { LocalSqs } from './sqs/sqs-service.ts';
import { startSqsServer, type SqsServer } from './sqs/sqs-server.ts';

/** A queue the stack creates, with its DLQ. */
export interface QueueSpec {
  name: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

export interface QueueCounts {
  visible: number;
  notVisible: number;
  delayed: number;
}

/**
 * The SQS stand-in: the local queue server (sqs/) with its messages persisted under `<dataDir>/queues`,
 * and every queue of `specs` created through the SQS API with its DLQ and redrive policy. Messages
 * acknowledged to a sender survive a restart, kill -9 included.
 */
export class QueuesService implements LocalService {
  readonly name = 'queues';
  endpoint = '';
  /** Queue URLs by name, DLQs included (`<name>-dlq`). */
  readonly urls: Record<string, string> = {};
  /** A client on the local queue server, for the pollers and for tests. */
  client!: SQSClient;
  private sqs: LocalSqs | undefined;
  private server: SqsServer | undefined;

  constructor(private readonly o: { dataDir: string; specs: QueueSpec[]; log: LocalLog }) {}

  async start(): Promise<void> {
    this.sqs = await LocalSqs.open(join(this.o.dataDir, 'queues'), { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT });
    this.server = await startSqsServer(this.sqs);
    this.endpoint = this.server.endpoint;
    this.client = new SQSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: this.endpoint });
    for (const spec of this.o.specs) await this.createWithDlq(spec);
    this.reportLeftovers();
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    await this.server?.close();
    await this.sqs?.close();
  }

  /** Calls `listener` after every send to any queue (the pollers wake up at once). */
  onSent(listener: (queue: string) => void): void {
    this.sqs!.on('sent', listener);
  }

  counts(name: string): QueueCounts {
    return this.sqs!.counts(name);
  }

  private async createWithDlq(spec: QueueSpec): Promise<void> {
    const dlq = dlqName(spec.name);
    this.urls[dlq] = await this.ensureQueue(dlq, { MessageRetentionPeriod: '1209600' });
    const dlqArn = (await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.urls[dlq], AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    if (!dlqArn) throw new Error(`no ARN for queue ${dlq}`);
    this.urls[spec.name] = await this.ensureQueue(spec.name, {
      VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
    });
  }

  /** CreateQueue, or, for a queue kept from an earlier run with other settings, SetQueueAttributes. */
  private async ensureQueue(name: string, attributes: Record<string, string>): Promise<string> {
    try {
      return (await this.client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
    } catch (error) {
      if (!(error instanceof QueueNameExists)) throw error;
      const url = this.server!.queueUrl(name);
      await this.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
      return url;
    }
  }

  /** Queues of an earlier run that nothing declares any more keep their messages; say so once. */
  private reportLeftovers(): void {
    for (const name of this.sqs!.queueNames()) {
      if (this.urls[name]) continue;
      const { visible, notVisible, delayed } = this.sqs!.counts(name);
      const total = visible + notVisible + delayed;
      if (total > 0) this.o.log('warn', `queue ${name} of the data dir is not declared any more: its ${total} message(s) stay there, undelivered`);
    }
  }
}
