import { AdminKeyEntity } from '../admin/auth/admin-key.entity';
import { generateAdminKey } from '../admin/auth/admin-key-material';
import { AdminKeysService } from '../admin/auth/admin-keys.service';
import { hashApiKey } from '../tenants/api-key-material';
import { CliCommand, requireOption } from './cli-command';

function describeAdminKey(key: AdminKeyEntity) {
  return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt, revokedAt: key.revokedAt };
}

/** Operators' keys to the admin API and dashboard (/dashboard), stored as SHA-256 like tenant keys. */
export const adminCommands: CliCommand[] = [
  {
    name: 'admin-keys create',
    description: 'create an admin key for the dashboard and /admin/v1 (shown once)',
    options: [
      { flags: '--name <name>', description: "the operator's name for the key", required: true },
      { flags: '--replace', description: 'revoke the active admin keys of that name first' },
    ],
    async run(args, context) {
      const name = requireOption(args, 'name');
      const service = (await context.app()).get(AdminKeysService);
      const { key, plaintext } = await service.create(name, { replace: args.options.replace === true });
      context.print(`admin key ${key.id} (${key.name}, shown once): ${plaintext}`, { key: describeAdminKey(key), adminKey: plaintext });
    },
  },
  {
    name: 'admin-keys list',
    description: 'list admin keys (never the keys themselves)',
    async run(_args, context) {
      const keys = await (await context.app()).get(AdminKeysService).list();
      context.print(
        keys.map((k) => `${k.id}  ${k.prefix}…  ${k.revokedAt ? 'revoked' : 'active '}  ${k.name}`).join('\n') || 'no admin keys',
        {
          keys: keys.map(describeAdminKey),
        },
      );
    },
  },
  {
    name: 'admin-keys revoke',
    arguments: ['<key-id>'],
    description: 'revoke an admin key (its dashboard sessions end too)',
    async run(args, context) {
      const keyId = args.positionals[0];
      if (!keyId) throw new Error('admin-keys revoke needs the key id');
      const key = await (await context.app()).get(AdminKeysService).revoke(keyId);
      context.print(`revoked ${key.id} at ${key.revokedAt?.toISOString()}`, { key: describeAdminKey(key) });
    },
  },
  {
    name: 'admin-keys token',
    description: 'make a new ADMIN_TOKEN and its ADMIN_TOKEN_SHA256 (nothing is stored)',
    async run(_args, context) {
      const token = generateAdminKey();
      const sha256 = hashApiKey(token);
      context.print(
        `admin token (keep it secret, give it to operators): ${token}\nput in the api environment either ADMIN_TOKEN=${token}\nor, to store only its hash, ADMIN_TOKEN_SHA256=${sha256}`,
        { adminToken: token, adminTokenSha256: sha256 },
      );
    },
  },
];
