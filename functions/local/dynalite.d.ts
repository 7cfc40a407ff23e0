/** Types for dynalite 4 (the package ships none): a DynamoDB-compatible HTTP server backed by LevelDB. */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when omitted. */
    path?: string;
    ssl?: boolean;
    /** Milliseconds a table stays CREATING / DELETING / UPDATING (defaults 500). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
  }

  /** An http.Server whose close() also closes the LevelDB store. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
