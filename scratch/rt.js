const { Pool } = require('/work/main/node_modules/pg');
(async () => {
  const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/sauti_bench', max: 4 });
  const t = await pool.query(`SELECT id FROM tenants LIMIT 1`); const tenant = t.rows[0].id;
  await pool.query(`UPDATE tenants SET credit_balance = 1e12 WHERE id = $1`, [tenant]);
  const time = async (name, fn) => { for (let i = 0; i < 200; i++) await fn(i); const a = []; for (let i = 0; i < 2000; i++) { const s = performance.now(); await fn(i + 1e6); a.push(performance.now() - s); } a.sort((x, y) => x - y); console.log(name.padEnd(40), 'p50', a[1000].toFixed(3), 'p99', a[1980].toFixed(3)); };
  await time('SELECT 1', () => pool.query('SELECT 1'));
  await time('SELECT 1 named', () => pool.query({ name: 's1', text: 'SELECT 1' }));
  let n = 0; const ref = () => `rt_${process.pid}_${n++}`;
  await time('reserve', () => pool.query('SELECT reserve_credits($1::uuid, $2::bigint, $3::varchar)', [tenant, 1, ref()]));
  await time('reserve named', () => pool.query({ name: 'r', text: 'SELECT reserve_credits($1::uuid, $2::bigint, $3::varchar)', values: [tenant, 1, ref()] }));
  const c = await pool.connect(); await c.query('SET synchronous_commit = off'); 
  await time('reserve async commit', () => c.query('SELECT reserve_credits($1::uuid, $2::bigint, $3::varchar)', [tenant, 1, ref()]));
  c.release();
  await pool.query(`DELETE FROM credit_ledger WHERE reference LIKE 'rt_%'`);
  await pool.end();
})();
