import { getSqs } from '../../functions/shared/clients.ts';

/**
 * The next SendMessage to `queueUrl` fails, as a crash between the sender's write and its send would
 * (SDK middleware on the real SQS client the stack in this process uses). `lost()` says whether it happened.
 */
export function loseNextSend(queueUrl: string): { lost: () => boolean } {
  let lost = false;
  const name = `loseNextSend:${queueUrl}`;
  getSqs().middlewareStack.add(
    (next, context) => async (args) => {
      if (!lost && context.commandName === 'SendMessageCommand' && (args.input as { QueueUrl?: string }).QueueUrl === queueUrl) {
        lost = true;
        getSqs().middlewareStack.remove(name);
        throw Object.assign(new Error(`injected: the message to ${queueUrl} is lost`), { name: 'InjectedSendFailure' });
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { lost: () => lost };
}

/** How many messages `run` sends to `queueUrl` (single sends and batch entries). */
export async function messagesSentTo(queueUrl: string, run: () => Promise<unknown>): Promise<number> {
  let sent = 0;
  const name = `messagesSentTo:${queueUrl}`;
  getSqs().middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { QueueUrl?: string; Entries?: unknown[] };
      if (input.QueueUrl === queueUrl) sent += context.commandName === 'SendMessageBatchCommand' ? (input.Entries?.length ?? 0) : 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    getSqs().middlewareStack.remove(name);
  }
  return sent;
}
