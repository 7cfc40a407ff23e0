import { ApiClient } from './client.ts';
import { paths, readCredential, type Credential } from './state.ts';

/** What every enrolled command works with: where its state lives, who it is, how it talks to the API. */
export interface AgentContext {
  stateDir: string;
  credential: Credential;
  client: ApiClient;
}

/** Loads the credential (NotEnrolledError when absent) and builds the API client from it. */
export function openContext(stateDir: string): AgentContext {
  const credential = readCredential(stateDir);
  // The address came from `enroll --api` and is kept in the credential file: that is what to check.
  const hint = `check apiUrl in ${paths(stateDir).credential}`;
  return { stateDir, credential, client: new ApiClient(credential.apiUrl, credential.credential, undefined, hint) };
}
