-- Trigram matching backs the users search (GET /users?q=): a substring match on any of four
-- columns stays an index scan however many users there are. drizzle-kit cannot emit extensions,
-- so this one migration is written by hand (drizzle-kit generate --custom).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
