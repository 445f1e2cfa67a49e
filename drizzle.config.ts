import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './daemon/store/schema.ts',
  out: './daemon/store/migrations',
});
