import type { BotIdentityStore, Clock } from '../workflow/ports.js';
import { type Db, toBuffer } from './db.js';

export function createBotIdentityStore(db: Db, clock: Clock): BotIdentityStore {
  return {
    async get(email) {
      const rows = await db.query('SELECT serial, sealed_key FROM bot_identity WHERE email = $1', [email]);
      return rows[0] ? { serial: String(rows[0].serial), sealedKey: toBuffer(rows[0].sealed_key) } : null;
    },
    async put(email, serial, sealedKey) {
      await db.query('INSERT INTO bot_identity (email, serial, sealed_key, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO UPDATE SET serial = $2, sealed_key = $3, updated_at = $4', [email, serial, sealedKey, clock.now()]);
    },
  };
}
