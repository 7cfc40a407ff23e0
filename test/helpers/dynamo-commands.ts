import { getDb } from '../../functions/shared/clients.ts';

/**
 * The DynamoDB commands the API sends while `act` runs (the test stack runs in the test's process and
 * shares its document client): how tests assert the request count of a hot path such as the check-in.
 */
export async function dynamoCommandsOf(act: () => Promise<unknown>): Promise<string[]> {
  const counted: string[] = [];
  const { doc } = getDb();
  const name = `countForTest${Math.random()}`;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      counted.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await act();
  } finally {
    doc.middlewareStack.remove(name);
  }
  return counted;
}
