// What `npm run import:flask` maps: a row of the original Flask API's table "user" to an item of
// POST /users/import, and the lines of the --map file.

/** A row of the original's "user" table as the importer reads it (created_at already UTC). */
export type OriginalUser = {
  id: number;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  password: string | null;
  role: string | null;
  active: boolean | null;
  created_at: Date | null;
};

export type ImportResult = {
  index: number;
  status: "created" | "updated" | "unchanged" | "invalid" | "conflict";
  id?: string;
  errors?: { path: string; message: string }[];
};

/**
 * The row as an import item: the integer id becomes `external_id`, the hash goes as it is (the
 * API checks its form), and a missing value is left out so the API names the field it lacks
 * (or, for role and active, applies its default). Nothing is fixed up: a row our rules refuse is
 * reported, not silently changed.
 */
export function toImportItem(row: OriginalUser, options: { verified: boolean }) {
  const item: Record<string, unknown> = { external_id: String(row.id) };
  const copy = {
    email: row.email,
    username: row.username,
    first_name: row.first_name,
    last_name: row.last_name,
    role: row.role,
    active: row.active,
  };
  for (const [key, value] of Object.entries(copy)) {
    if (value !== null) item[key] = value;
  }
  if (row.password) item.password_hash = row.password;
  if (row.created_at) item.created_at = row.created_at.toISOString();
  if (options.verified) item.email_verified = true;
  return item;
}

/** One CSV line (RFC 4180): fields with a comma, quote or line break are quoted. */
export function csvLine(fields: string[]): string {
  return `${fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(",")}\n`;
}
