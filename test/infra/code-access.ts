import ts from 'typescript';
import { relative, resolve } from 'node:path';

/**
 * What a Lambda function's code can do, found by reading it: every DynamoDB command, SES send and secret that
 * the code reachable from its `handler` export can use. The walk follows references through the type checker
 * (calls, values, classes, callbacks, dynamic `import()`, and a module's top-level statements once anything
 * of it is reached), so a command is found wherever it hides behind helpers; it over-approximates (a function
 * is reached if referenced, whether or not that branch runs), which is the safe side for permissions.
 *
 * One pattern needs to be named: `defineEntity` returns an object of methods (`get`, `put`, `remove`, ...),
 * so reaching it would reach every command. Instead, a call of an `Entity` method reaches only that method's
 * implementation in `defineEntity`.
 */
export interface CodeAccess {
  /** DynamoDB actions (`GetItem`, `Query`, ...), each with one path of declarations that reaches it. */
  table: Map<string, string[]>;
  /** Reaches SES v2 SendEmail. */
  mail: string[] | undefined;
  /** Configuration secrets read (`secret('DRIFTWATCH_MASTER_SECRET')`, the property itself or destructured), each with a path. */
  secrets: Map<string, string[]>;
  /** Queues it sends to (`enqueue`, `enqueueMany`), each with a path; `?` when the queue is not a declared constant. */
  sends: Map<string, string[]>;
}

/** The secrets the functions read from their configuration, by environment variable. */
export const SECRET_VARIABLES = ['DRIFTWATCH_MASTER_SECRET', 'OPERATOR_KEY_HASH', 'WEBHOOK_SECRET_KEY'] as const;

/** lib-dynamodb's document commands are named after the action without `Item`; client commands after the action. */
const DOCUMENT_COMMAND_ACTIONS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  ExecuteStatementCommand: 'PartiQLSelect',
};

const ENTITY_FILE = 'functions/store/entity.ts';
const CONFIG_FILE = 'functions/shared/config.ts';
const ENQUEUE_FILE = 'functions/queues/enqueue.ts';

export function analyzeCodeAccess(root: string, entries: Record<string, string>): Record<string, CodeAccess> {
  const configPath = resolve(root, 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root);
  const program = ts.createProgram(Object.values(entries).map((e) => resolve(root, e)), { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const isOwn = (file: ts.SourceFile) => !file.isDeclarationFile && !file.fileName.includes('/node_modules/');
  const rel = (file: ts.SourceFile) => relative(root, file.fileName);

  const entityFile = program.getSourceFile(resolve(root, ENTITY_FILE));
  const defineEntity = entityFile && findFunction(entityFile, 'defineEntity');
  /** `defineEntity`'s returned object literal: its property `remove` is what `anEntity.remove(...)` runs. */
  const entityMethods = new Map<string, ts.Node>();
  if (defineEntity?.body) {
    const visitReturn = (node: ts.Node): void => {
      if (ts.isReturnStatement(node) && node.expression && ts.isObjectLiteralExpression(node.expression)) {
        for (const p of node.expression.properties) if (p.name && ts.isIdentifier(p.name)) entityMethods.set(p.name.text, p);
      } else if (!ts.isFunctionLike(node)) ts.forEachChild(node, visitReturn);
    };
    ts.forEachChild(defineEntity.body, visitReturn);
  }

  // Only a name some declaration of ours has can resolve to our code: asking the checker about the others
  // (hono's and zod's deep generic types) is most of the cost, and would answer with node_modules anyway.
  const ownNames = new Set<string>();
  for (const file of program.getSourceFiles()) {
    if (!isOwn(file)) continue;
    const collect = (node: ts.Node): void => {
      const named = (node as ts.NamedDeclaration).name;
      if (named && (ts.isIdentifier(named) || ts.isPrivateIdentifier(named)) && !ts.isParameter(node)) ownNames.add(named.text);
      ts.forEachChild(node, collect);
    };
    collect(file);
  }

  const out: Record<string, CodeAccess> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const file = program.getSourceFile(resolve(root, entry));
    if (!file) throw new Error(`${entry}: not found`);
    const moduleSymbol = checker.getSymbolAtLocation(file);
    const handler = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === 'handler');
    if (!handler) throw new Error(`${entry}: exports no handler`);

    const access: CodeAccess = { table: new Map(), mail: undefined, secrets: new Map(), sends: new Map() };
    const seen = new Set<ts.Node>();
    const seenFiles = new Set<ts.SourceFile>();
    const queue: Array<{ node: ts.Node; path: string[] }> = [];
    const reach = (node: ts.Node, path: string[]) => {
      if (seen.has(node)) return;
      seen.add(node);
      queue.push({ node, path: [...path, describe(node)] });
      const file = node.getSourceFile();
      if (!seenFiles.has(file)) {
        // Importing a module runs its top-level statements (route registrations, `app.use(...)`).
        seenFiles.add(file);
        for (const statement of file.statements) if (runsOnImport(statement)) reach(statement, path);
      }
    };
    const reachSymbol = (symbol: ts.Symbol | undefined, path: string[]) => {
      if (!symbol) return;
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      for (const declaration of target.declarations ?? []) {
        const file = declaration.getSourceFile();
        if (ts.isSourceFile(declaration)) {
          if (isOwn(declaration)) for (const statement of declaration.statements) if (!ts.isImportDeclaration(statement)) reach(statement, path);
          continue;
        }
        if (!isOwn(file)) continue;
        if (declaration === defineEntity) continue; // reached method by method instead (above)
        if (file === entityFile && isEntityMember(declaration)) {
          const implementation = entityMethods.get(target.name);
          if (implementation) reach(implementation, path);
          continue;
        }
        if (ts.isInterfaceDeclaration(declaration) || ts.isTypeAliasDeclaration(declaration)) continue;
        reach(declaration, path);
      }
    };
    const where = (node: ts.Node) => `${rel(node.getSourceFile())}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`;

    reachSymbol(handler, []);
    while (queue.length > 0) {
      const { node, path } = queue.shift()!;
      const visit = (child: ts.Node): void => {
        if (ts.isTypeNode(child) || ts.isImportDeclaration(child) || ts.isInterfaceDeclaration(child) || ts.isTypeAliasDeclaration(child)) return;
        if (ts.isNewExpression(child)) {
          const symbol = resolved(checker, checker.getSymbolAtLocation(child.expression));
          const declaredIn = symbol?.declarations?.[0]?.getSourceFile().fileName ?? '';
          if (symbol && /Command$/.test(symbol.name) && /node_modules\/@aws-sdk\/(lib|client)-dynamodb\//.test(declaredIn)) {
            const action = DOCUMENT_COMMAND_ACTIONS[symbol.name] ?? symbol.name.replace(/Command$/, '');
            if (!access.table.has(action)) access.table.set(action, [...path, where(child)]);
          }
          if (symbol && /node_modules\/@aws-sdk\/client-sesv2\//.test(declaredIn) && symbol.name === 'SendEmailCommand') access.mail ??= [...path, where(child)];
        }
        // `config().NAME` and `const { NAME } = config()` both read the variable.
        const read = ts.isPropertyAccessExpression(child) ? child.name : ts.isBindingElement(child) ? (child.propertyName ?? child.name) : undefined;
        if (read && ts.isIdentifier(read) && (SECRET_VARIABLES as readonly string[]).includes(read.text)) {
          if (!access.secrets.has(read.text)) access.secrets.set(read.text, [...path, where(child)]);
        }
        if (ts.isCallExpression(child) && child.arguments[0]) {
          const callee = resolved(checker, checker.getSymbolAtLocation(ts.isPropertyAccessExpression(child.expression) ? child.expression.name : child.expression));
          const calleeFile = callee?.declarations?.[0] ? rel(callee.declarations[0].getSourceFile()) : '';
          const first = child.arguments[0];
          if (calleeFile === CONFIG_FILE && callee!.name === 'secret' && ts.isStringLiteral(first) && !access.secrets.has(first.text)) {
            access.secrets.set(first.text, [...path, where(child)]);
          }
          if (calleeFile === ENQUEUE_FILE && (callee!.name === 'enqueue' || callee!.name === 'enqueueMany')) {
            const queue = queueNameOf(checker, first) ?? '?';
            if (!access.sends.has(queue)) access.sends.set(queue, [...path, where(child)]);
          }
        }
        if (ts.isCallExpression(child) && child.expression.kind === ts.SyntaxKind.ImportKeyword && child.arguments[0]) {
          reachSymbol(checker.getSymbolAtLocation(child.arguments[0]), path);
        }
        if ((ts.isIdentifier(child) || ts.isPrivateIdentifier(child)) && ownNames.has(child.text)) reachSymbol(checker.getSymbolAtLocation(child), path);
        ts.forEachChild(child, visit);
      };
      if (ts.isFunctionLike(node) || ts.isClassLike(node)) ts.forEachChild(node, visit);
      else visit(node);
    }
    out[name] = access;
  }
  return out;

  function describe(node: ts.Node): string {
    const named = (node as { name?: ts.Node }).name;
    const label = named && (ts.isIdentifier(named) || ts.isStringLiteral(named)) ? named.text : ts.SyntaxKind[node.kind];
    return `${label} (${rel(node.getSourceFile())})`;
  }
}

function resolved(checker: ts.TypeChecker, symbol: ts.Symbol | undefined): ts.Symbol | undefined {
  return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The `name` of the `defineQueue({ name: ... })` constant that `expression` names. */
function queueNameOf(checker: ts.TypeChecker, expression: ts.Expression): string | undefined {
  const declaration = resolved(checker, checker.getSymbolAtLocation(expression))?.declarations?.[0];
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer || !ts.isCallExpression(declaration.initializer)) return undefined;
  const options = declaration.initializer.arguments[0];
  if (!options || !ts.isObjectLiteralExpression(options)) return undefined;
  for (const property of options.properties) {
    if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name) && property.name.text === 'name' && ts.isStringLiteral(property.initializer)) return property.initializer.text;
  }
  return undefined;
}

function findFunction(file: ts.SourceFile, name: string): ts.FunctionDeclaration | undefined {
  return file.statements.find((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === name);
}

/** A member of the `Entity` interface (what `defineEntity` returns). */
function isEntityMember(node: ts.Node): boolean {
  return (ts.isMethodSignature(node) || ts.isPropertySignature(node)) && ts.isInterfaceDeclaration(node.parent) && node.parent.name.text === 'Entity';
}

/** Top-level statements that run when the module is imported, other than declarations (reached by reference). */
function runsOnImport(statement: ts.Statement): boolean {
  return !(
    ts.isImportDeclaration(statement) ||
    ts.isExportDeclaration(statement) ||
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isVariableStatement(statement) ||
    ts.isEnumDeclaration(statement)
  );
}
