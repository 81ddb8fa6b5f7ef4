import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the schema (`npm run db:generate`) and applied by the Hub at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './hub/db/schema.ts',
  out: './migrations',
});
