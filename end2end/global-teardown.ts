// After every flow has run: the server's debug-level log (server.log, written by serve.mjs) must hold none of the
// personal data the tests entered and no secret they used. The values come from the database itself (every
// person, contact and gestionnaire stored during the run), from the outbox (every link token and code sent), from
// the passwords of the specs, and from the session cookies the browsers held (recorded by fixtures.ts).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Columns of personal data per table; tables or columns a build lacks are skipped. */
const PERSONAL = {
  pre_registrations: ["nom_naissance", "prenoms", "date_naissance", "email", "mobile", "nom_exercice", "prenom_exercice"],
  professionals: ["nom_naissance", "prenoms", "date_naissance", "email", "mobile", "nom_exercice", "prenom_exercice"],
  gestionnaires: ["email", "nom"],
};

function databaseValues(database: string): string[] {
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
wanted = json.loads(sys.argv[2])
values = []
for table, columns in wanted.items():
    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    for column in columns:
        if column in present:
            values += [v for (v,) in db.execute(f"SELECT {column} FROM {table}") if v]
print(json.dumps(values))
`;
  const out = execFileSync("python3", ["-c", script, database, JSON.stringify(PERSONAL)], { encoding: "utf8" });
  const values: string[] = [];
  for (const value of JSON.parse(out) as string[]) {
    // First names are stored as a JSON list.
    if (value.startsWith("[")) values.push(...(JSON.parse(value) as string[]));
    else values.push(value);
  }
  return values;
}

/** The same value as it may be written elsewhere: a mobile in national form, a date in French order. */
function variants(value: string): string[] {
  const out = [value];
  const mobile = value.match(/^\+33(\d{9})$/);
  if (mobile) out.push(`0${mobile[1]}`, `0${mobile[1]}`.replace(/(\d\d)(?=\d)/g, "$1 "));
  const date = value.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (date) out.push(`${date[3]}/${date[2]}/${date[1]}`);
  return out;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Tokens (long hex or base64url runs) and one-time codes found in what the server sent. */
function secretsSent(dir: string): string[] {
  const secrets: string[] = [];
  const sent = [...filesUnder(join(dir, "outbox")), join(dir, "seed-demo.out")].filter(existsSync);
  for (const file of sent) {
    const text = readFileSync(file, "utf8").replace(/=\r?\n/g, "");
    secrets.push(...(text.match(/\/[0-9a-f]{32,}\b/g) ?? []).map((s) => s.slice(1)));
    secrets.push(...(text.match(/[?&](?:jeton|token)=([A-Za-z0-9_-]{16,})/g) ?? []).map((s) => s.split("=")[1]));
    // One-time codes are shown as a run of 6 to 8 digits on a line of their own or after "code".
    secrets.push(...(text.match(/(?:code[^0-9\n]{0,40})(\d{6,8})\b/gi) ?? []).map((s) => s.match(/\d{6,8}$/)?.[0] ?? ""));
  }
  return secrets;
}

function specPasswords(): string[] {
  const tests = join(dirname(fileURLToPath(import.meta.url)), "tests");
  return readdirSync(tests)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...readFileSync(join(tests, f), "utf8").matchAll(/PASSWORD\w*\s*=\s*"([^"]{8,})"/g)].map((m) => m[1]));
}

export default async function globalTeardown() {
  const dir = process.env.ENROLE_E2E_DIR;
  if (process.env.ENROLE_E2E_BASE_URL || !dir) return; // an external server: its log is not ours to read
  const logFile = join(dir, "server.log");
  if (!existsSync(logFile)) throw new Error(`no server log at ${logFile}`);
  // The migration runner logs the migration files' SQL (the product's own text, comments included): not data.
  const log = readFileSync(logFile, "utf8")
    .split("\n")
    .filter((line) => !/ migrate(\{[^}]*\})?: sqlx::query/.test(line))
    .join("\n");
  if (!/ DEBUG /.test(log)) throw new Error("server.log holds no debug line: the scan would prove nothing");

  const candidates = new Map<string, string>();
  for (const value of databaseValues(join(dir, "enrole.sqlite"))) {
    for (const v of variants(String(value))) candidates.set(v, "personal data");
  }
  for (const secret of secretsSent(dir)) candidates.set(secret, "token or code");
  for (const password of specPasswords()) candidates.set(password, "password");
  const seen = join(dir, "secrets-seen.txt");
  if (existsSync(seen)) {
    for (const line of readFileSync(seen, "utf8").split("\n")) if (line) candidates.set(line, "session id");
  }
  const personal = [...candidates.values()].filter((kind) => kind === "personal data").length;
  if (personal === 0) throw new Error("no person in the database: the flows did not run, the scan would prove nothing");

  const leaks: string[] = [];
  for (const [value, kind] of candidates) {
    // Very short values (a 2-letter first name) would match anywhere; 3 characters and more are checked as words.
    if (value.length < 3) continue;
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const pattern = new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, "u");
    const line = log.split("\n").find((l) => pattern.test(l));
    if (line) leaks.push(`${kind} "${value}" in: ${line.slice(0, 300)}`);
  }
  console.log(
    `log scan: ${log.split("\n").length} lines of server.log checked against ${candidates.size} values ` +
      `(${personal} personal, ${candidates.size - personal} secrets)`,
  );
  if (leaks.length > 0) throw new Error(`the server log leaks:\n${leaks.join("\n")}`);
}
